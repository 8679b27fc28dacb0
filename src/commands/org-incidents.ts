import { parseRepo } from '../adapters/github.js';
import type { Finding, LoneSecret, ScanReport } from '../core/types.js';
import { refreshIncidents, remoteEvidence } from './incidents.js';
import type { IncidentSink, KeyIncident, OrgKeyFinding, OrgSecretFinding } from './ports-org.js';
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

/** One lone secret across repositories: every location, each naming its repository. */
export function mergeSecretOccurrences(s: OrgSecretFinding): LoneSecret {
  return {
    secretRedacted: s.secretRedacted,
    fingerprint: s.fingerprint,
    locations: s.occurrences.flatMap((o) => o.secret.locations.map((l) => ({ ...l, repo: o.repo.fullName }))),
  };
}

/**
 * The org scan's incident pipeline: verifies and contains every key once, then opens or updates one
 * incident per key — and per secret found without its key id, which is never verified — in the incident
 * repository, listing every repository it leaked in. Those every repository already reported in an
 * earlier run are left as they are.
 */
export class OrgIncidents implements IncidentSink {
  /** The findings handed over, with their verdicts, for the action's outputs and report file. */
  responded: ScanReport | null = null;
  readonly problems: string[] = [];

  constructor(private readonly deps: RunEnv) {}

  async report(
    keys: readonly OrgKeyFinding[],
    lone: readonly OrgSecretFinding[] = [],
  ): Promise<KeyIncident[]> {
    const fresh = keys.filter((k) => k.occurrences.some((o) => !o.alreadyReported));
    const freshLone = lone.filter((s) => s.occurrences.some((o) => !o.alreadyReported));
    const secrets = new Map(fresh.map((k) => [k.keyId, k.secrets]));
    this.deps.mask(new Map([...secrets, ...freshLone.map((s) => [s.fingerprint, s.material] as const)]));
    const findings = fresh.map(mergeOccurrences);
    const loneSecrets = freshLone.map(mergeSecretOccurrences);
    const scan: ScanReport = {
      findings,
      suppressed: [],
      stats: { mode: 'all', objectsScanned: 0, bytesScanned: 0, commitsScanned: 0, durationMs: 0 },
      incomplete: false,
      warnings: [],
    };
    // Only keys go to the responder; the lone secrets join its answer for the incidents and the report.
    const answered = await this.deps.responder.respond({ report: scan, secrets }, {});
    const responded = { ...answered, report: { ...answered.report, loneSecrets } };
    this.responded = responded.report;
    const { upserts, problems } = await refreshIncidents(this.deps, responded, async (f) => {
      const first = f.locations[0]?.repo;
      return remoteEvidence(first ? parseRepo(first) : this.deps.issueRepo);
    });
    this.problems.push(...problems);
    const issueOf = new Map(upserts.map((u) => [u.keyId, u.number]));
    const verdicts: KeyIncident[] = [
      ...responded.report.findings.map((f) => ({
        keyId: f.keyId,
        status: f.verification?.status ?? ('not verified' as const),
        issue: issueOf.get(f.keyId) ?? null,
      })),
      ...loneSecrets.map((s) => ({
        keyId: s.fingerprint,
        status: 'not verified' as const,
        issue: issueOf.get(s.fingerprint) ?? null,
      })),
    ];
    return verdicts;
  }
}
