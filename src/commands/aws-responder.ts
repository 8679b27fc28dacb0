import { AwsCallError } from '../adapters/aws-errors.js';
import type { Aws } from '../adapters/aws.js';
import type { Finding } from '../core/types.js';
import type { ScanResult } from '../scan/result.js';
import type { Responded, Responder, RespondOptions } from './ports.js';
import { respond, type RespondSettings } from './respond.js';
import { checkCost, containPersistence } from './persistence.js';
import { AccountSessions } from './sessions.js';
import { readTrail, trailWindow, type TrailDeps } from './trail.js';

export interface AwsResponderSettings extends RespondSettings {
  /** Read each verified key's CloudTrail activity. */
  trail: boolean;
  /** Contain what the trail shows the attacker left behind (keys, passwords, role sessions). */
  containPersistence?: boolean;
  /** Read the account's daily cost since the exposure and flag a spike. */
  costCheck?: boolean;
}

function firstExposure(f: Finding): string | null {
  const dates = f.locations.map((l) => l.date).filter((d): d is string => d !== null);
  return dates.length > 0 ? new Date(Math.min(...dates.map((d) => Date.parse(d)))).toISOString() : null;
}

/** A key whose CloudTrail is worth reading: proven live, or known to IAM in an account keyleak manages. */
function wantsTrail(f: Finding): boolean {
  return f.verification?.status === 'live' || f.verification?.iam !== undefined;
}

/**
 * The action's AWS side: verification and containment (`respond`), then a CloudTrail summary per key
 * that was proven live or is known to IAM. What could not be done is said per key, in words.
 */
export class AwsResponder implements Responder {
  private sessions: AccountSessions | null = null;

  constructor(
    private readonly aws: Aws,
    private readonly settings: AwsResponderSettings,
    private readonly deps: { log?: (line: string) => void; trail?: Omit<TrailDeps, 'aws'> } = {},
  ) {}

  async respond(result: ScanResult, opts: RespondOptions): Promise<Responded> {
    const wanted = opts.keyIds ? new Set(opts.keyIds) : null;
    const selected = result.report.findings.filter((f) => !wanted || wanted.has(f.keyId));
    const settings: RespondSettings = {
      ...this.settings,
      ...(opts.containment ?? {}),
    };
    // One session per account for the whole run: containment and CloudTrail share it.
    const sessions = (this.sessions ??= new AccountSessions(this.aws, this.settings.roleTemplate));
    const responded = await respond(
      { report: { ...result.report, findings: selected }, secrets: result.secrets },
      settings,
      { aws: this.aws, log: this.deps.log, sessions },
    );
    const byKey = new Map(responded.findings.map((f) => [f.keyId, f]));

    const trails: Responded['trails'] = new Map();
    const notes: Responded['notes'] = new Map();
    const quarantine: NonNullable<Responded['quarantine']> = new Map();
    // An investigation that could not be done fails the run like a containment that could not.
    const investigationFailed = (keyId: string, error: string) => {
      const f = byKey.get(keyId);
      if (!f?.response) return;
      byKey.set(keyId, { ...f, response: { ...f.response, errors: [...(f.response.errors ?? []), error] } });
    };
    for (const f of responded.findings) {
      const v = f.verification;
      const iam = v?.iam;
      if (iam) quarantine.set(f.keyId, iam.quarantinePolicies);
      let trailNote: string | null = null;
      if (!this.settings.trail) trailNote = 'CloudTrail was not read (turned off)';
      else if (f.canary) trailNote = 'a canary token: its CloudTrail belongs to the canary service';
      else if (!wantsTrail(f)) {
        trailNote =
          v?.status === 'invalid'
            ? 'the key is not valid, so it made no calls worth reading'
            : 'CloudTrail is read for keys proven live or known to IAM in a managed account';
      } else {
        try {
          const window = trailWindow(
            { since: null, until: null, firstExposure: firstExposure(f) },
            (this.deps.trail?.now ?? (() => new Date()))(),
          );
          const accountId = v?.accountId ?? f.accountId;
          // As `keyleak trail` does: the role in the key's account, or the responder's own credentials.
          const session =
            this.settings.roleTemplate === null
              ? await sessions.ownSession()
              : accountId === null
                ? { ok: false as const, error: new Error(`the account of ${f.keyId} is not known`) }
                : await sessions.assumedSession(accountId);
          if (!session.ok) throw session.error;
          const t = await readTrail(
            session.value,
            { keyId: f.keyId, ...window, regions: 'all', follow: true, filter: null },
            { log: this.deps.log, ...this.deps.trail },
          );
          const summary = { ...t.summary };
          // Never on "could not tell" or an unverified key: only one STS answered for, live or not.
          if (
            this.settings.containPersistence &&
            summary.activity &&
            (v?.status === 'live' || v?.status === 'invalid')
          ) {
            summary.persistence = await containPersistence(t.session, summary.activity, {
              dryRun: settings.dryRun,
              now: () => new Date(),
              log: this.deps.log,
            });
          }
          if (this.settings.costCheck) {
            summary.cost = await checkCost(t.session, firstExposure(f) ?? summary.window.start, new Date());
          }
          trails.set(f.keyId, summary);
          if (summary.incompleteRegions.length > 0) {
            investigationFailed(
              f.keyId,
              `CloudTrail of ${f.keyId} could not be read in ${summary.incompleteRegions.map((r) => `${r.region} (${r.reason})`).join(', ')}`,
            );
          }
        } catch (e) {
          trailNote = `CloudTrail could not be read: ${e instanceof Error ? e.message : String(e)}`;
          // No credentials at all: no responder was configured, so no investigation was asked for.
          if (!(e instanceof AwsCallError && e.failureClass === 'no-credentials'))
            investigationFailed(
              f.keyId,
              `CloudTrail of ${f.keyId} could not be read: ${e instanceof Error ? e.message : String(e)}`,
            );
        }
      }
      notes.set(f.keyId, { verification: v?.reason ?? null, trail: trailNote });
    }
    const findings = result.report.findings.map((f) => byKey.get(f.keyId) ?? f);
    return { report: { ...responded, findings }, trails, notes, quarantine };
  }
}
