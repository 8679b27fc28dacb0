import { parseRepo } from '../adapters/github.js';
import type { Finding, ScanReport } from '../core/types.js';
import { refreshIncidents, remoteEvidence } from './incidents.js';
import type { IncidentSink, KeyIncident, OrgKeyFinding } from './ports-org.js';
import type { RunEnv } from './ports.js';

/** One finding for a key across repositories: every location, each naming its repository. */
export function mergeOccurrences(k: OrgKeyFinding): Finding {
  const base = k.occurrences[0]!.finding;
  return {
    ...base,
    secretFound: k.secrets.secrets.length > 0 || base.secretFound,
    locations: k.occurrences.flatMap((o) =>
      o.finding.locations.map((l) => ({ ...l, repo: o.repo.fullName })),
    ),
  };
}

/**
 * The org scan's incident pipeline: verifies and contains every key once, then opens or updates one
 * incident per key in the incident repository, listing every repository it leaked in. Keys every
 * repository already reported in an earlier run are left as they are.
 */
export class OrgIncidents implements IncidentSink {
  /** The findings handed over, with their verdicts, for the action's outputs and report file. */
  responded: ScanReport | null = null;
  readonly problems: string[] = [];

  constructor(private readonly deps: RunEnv) {}

  async report(keys: readonly OrgKeyFinding[]): Promise<KeyIncident[]> {
    const fresh = keys.filter((k) => k.occurrences.some((o) => !o.alreadyReported));
    const secrets = new Map(fresh.map((k) => [k.keyId, k.secrets]));
    this.deps.mask(secrets);
    const findings = fresh.map(mergeOccurrences);
    const scan: ScanReport = {
      findings,
      suppressed: [],
      stats: { mode: 'all', objectsScanned: 0, bytesScanned: 0, commitsScanned: 0, durationMs: 0 },
      incomplete: false,
      warnings: [],
    };
    const responded = await this.deps.responder.respond({ report: scan, secrets }, {});
    this.responded = responded.report;
    const { upserts, problems } = await refreshIncidents(this.deps, responded, async (f) => {
      const first = f.locations[0]?.repo;
      return remoteEvidence(first ? parseRepo(first) : this.deps.issueRepo);
    });
    this.problems.push(...problems);
    const issueOf = new Map(upserts.map((u) => [u.keyId, u.number]));
    const verdicts: KeyIncident[] = responded.report.findings.map((f) => ({
      keyId: f.keyId,
      status: f.verification?.status ?? 'not verified',
      issue: issueOf.get(f.keyId) ?? null,
    }));
    return verdicts;
  }
}
