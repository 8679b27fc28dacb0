import type { AttackDigest } from './attack-digest.js';

/**
 * Containment as far as the evidence goes (`contain-persistence: true`): what the attacker left behind
 * that keyleak can switch off without destroying anything a person might need to look at.
 */
export type PersistenceKind = 'deactivate-key' | 'delete-login-profile' | 'revoke-role-sessions';

export interface PersistenceItem {
  kind: PersistenceKind;
  /** The access key id, user name or role name acted on. */
  target: string;
  /** The user an access key belongs to (deactivate-key). */
  userName: string | null;
}

/** What was done about one item, and how to take it back. */
export interface PersistenceStep {
  kind: PersistenceKind;
  what: string;
  target: string;
  outcome: 'done' | 'dry-run' | 'failed';
  detail: string | null;
  /** The command (argv) that undoes it. */
  undo: string[];
  at: string;
}

const ACCESS_KEY = /^AKIA[A-Z0-9]{16}$/;
const NAME = /^[\w+=,.@-]{1,128}$/;

/** The role name of a role ARN (`arn:aws:iam::123456789012:role/path/name`), or null. */
export function roleNameOf(arn: string): string | null {
  const m = /^arn:aws[\w-]*:iam::\d{12}:role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/.exec(arn);
  return m ? m[1]! : null;
}

/**
 * What to contain, read from the digest: access keys the attacker created, login profiles it created,
 * and every role the key's sessions assumed. Values that are not well-formed IAM names are left out: a
 * hostile record must not steer a call at something else.
 */
export function planPersistence(d: AttackDigest): PersistenceItem[] {
  const out = new Map<string, PersistenceItem>();
  const add = (i: PersistenceItem) => out.set(`${i.kind} ${i.target}`, i);
  for (const m of d.minted) {
    if (m.kind === 'access-key' && ACCESS_KEY.test(m.keyId) && m.userName && NAME.test(m.userName))
      add({ kind: 'deactivate-key', target: m.keyId, userName: m.userName });
    const role = m.kind === 'session' && m.roleArn ? roleNameOf(m.roleArn) : null;
    if (role) add({ kind: 'revoke-role-sessions', target: role, userName: null });
  }
  for (const a of d.actions) {
    if (a.failed || a.eventName !== 'CreateLoginProfile' || a.eventSource !== 'iam.amazonaws.com') continue;
    const user = a.items[0]?.id;
    if (user && NAME.test(user)) add({ kind: 'delete-login-profile', target: user, userName: user });
  }
  return [...out.values()];
}

/** In words, and the command that takes it back. */
export function describePersistence(
  i: PersistenceItem,
  policyName: string,
): { what: string; undo: string[] } {
  switch (i.kind) {
    case 'deactivate-key':
      return {
        what: `deactivated access key of user ${i.userName}`,
        undo: [
          'aws',
          'iam',
          'update-access-key',
          '--user-name',
          i.userName!,
          '--access-key-id',
          i.target,
          '--status',
          'Active',
        ],
      };
    case 'delete-login-profile':
      return {
        what: 'deleted the console password of user',
        undo: [
          'aws',
          'iam',
          'create-login-profile',
          '--user-name',
          i.target,
          '--password-reset-required',
          '--password',
          'NEW-PASSWORD',
        ],
      };
    case 'revoke-role-sessions':
      return {
        what: `ended sessions issued before now (inline deny ${policyName}) of role`,
        undo: ['aws', 'iam', 'delete-role-policy', '--role-name', i.target, '--policy-name', policyName],
      };
  }
}

/** Daily cost since before the exposure, as Cost Explorer reports it, and the spike if there is one. */
export interface CostReport {
  currency: string;
  since: string;
  days: { date: string; amount: number }[];
  spike: { date: string; amount: number; baseline: number; factor: number } | null;
  /** Why Cost Explorer could not be read; then `days` is empty. */
  error: string | null;
}

/**
 * The worst day since the exposure when it costs at least three times the usual day before it and
 * 10 more in the account's currency (so a quiet account's cents do not alarm). The usual day is the
 * median of the days before the exposure, or of all days when there are none.
 */
export function findSpike(days: { date: string; amount: number }[], exposedOn: string): CostReport['spike'] {
  const before = days.filter((d) => d.date < exposedOn).map((d) => d.amount);
  const base = (before.length > 0 ? before : days.map((d) => d.amount)).sort((a, b) => a - b);
  if (base.length === 0) return null;
  const mid = Math.floor(base.length / 2);
  const baseline = base.length % 2 ? base[mid]! : (base[mid - 1]! + base[mid]!) / 2;
  let worst: CostReport['spike'] = null;
  for (const d of days) {
    if (d.date < exposedOn) continue;
    if (d.amount >= 3 * baseline && d.amount >= baseline + 10 && (!worst || d.amount > worst.amount)) {
      worst = {
        date: d.date,
        amount: d.amount,
        baseline,
        factor: baseline > 0 ? d.amount / baseline : 0,
      };
    }
  }
  return worst;
}

/** The Cost Explorer window: two weeks before the exposure (the baseline) to today. */
export function costWindow(now: Date, exposure: string): { start: string; end: string; exposedOn: string } {
  const exposed = Number.isNaN(Date.parse(exposure)) ? now.getTime() : Date.parse(exposure);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  // Cost Explorer reaches back 14 months at most; 13 is safe.
  const start = Math.max(exposed - 14 * 86_400_000, now.getTime() - 395 * 86_400_000);
  return { start: day(start), end: day(now.getTime() + 86_400_000), exposedOn: day(exposed) };
}
