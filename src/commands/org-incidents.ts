import { parseRepo, type GitHub, type RepoRef } from '../adapters/github.js';
import type { SecretMaterial } from '../core/findings.js';
import type { TrailSummary } from '../core/incident.js';
import type { IncidentContext } from '../core/render/incident.js';
import type { Finding, ScanReport } from '../core/types.js';
import { upsertIncident } from './incidents.js';
import type { IncidentSink, IncidentVerdict, OrgKeyFinding } from './ports-org.js';
import type { Responder } from './ports.js';

export interface OrgIncidentDeps {
  github: GitHub;
  responder: Responder;
  /** Where the org's incidents live (`issue-repo`, or the repository the workflow runs in). */
  issueRepo: RepoRef;
  serverUrl: string;
  runUrl: string | null;
  contacts: string;
  now: () => Date;
  log: (message: string) => void;
  mask: (secrets: Map<string, SecretMaterial>) => void;
  uploadTrails: (trails: Map<string, TrailSummary>) => Promise<string | null>;
}

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

  constructor(private readonly deps: OrgIncidentDeps) {}

  async report(keys: readonly OrgKeyFinding[]): Promise<IncidentVerdict[]> {
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
    let artifactUrl: string | null = null;
    if (responded.trails.size > 0) {
      try {
        artifactUrl = await this.deps.uploadTrails(responded.trails);
      } catch (e) {
        this.problems.push(`could not upload trail.json: ${(e as Error).message}`);
      }
    }
    const labels = { done: false };
    const verdicts: IncidentVerdict[] = [];
    for (const f of responded.report.findings) {
      const note = responded.notes.get(f.keyId);
      const trail = responded.trails.get(f.keyId) ?? null;
      const first = f.locations[0]?.repo;
      const ctx: IncidentContext = {
        repo: first ? parseRepo(first) : this.deps.issueRepo,
        serverUrl: this.deps.serverUrl,
        runUrl: this.deps.runUrl,
        trailArtifactUrl: trail ? artifactUrl : null,
        refs: {},
        pulls: {},
        forcePush: null,
        trail,
        trailUnavailable: note?.trail ?? null,
        verificationNote: note?.verification ?? null,
        historyPlan: null,
        contacts: this.deps.contacts,
        checkedAt: this.deps.now().toISOString(),
        quarantine: responded.quarantine?.get(f.keyId) ?? null,
      };
      const status = f.verification?.status ?? 'not verified';
      try {
        const u = await upsertIncident(this.deps.github, this.deps.issueRepo, f, ctx, labels);
        this.deps.log(`incident for ${f.keyId}: #${u.number} ${u.outcome}`);
        verdicts.push({ keyId: f.keyId, status, issue: u.number });
      } catch (e) {
        this.problems.push(
          `could not open or update the incident issue for ${f.keyId}: ${(e as Error).message}`,
        );
        verdicts.push({ keyId: f.keyId, status, issue: null });
      }
    }
    return verdicts;
  }
}
