import type { AccountSession } from '../adapters/aws.js';
import { ROLE_REVOKE_POLICY_NAME } from '../core/revoke-policies.js';
import type { AttackDigest } from '../core/attack-digest.js';
import {
  costWindow,
  describePersistence,
  findSpike,
  planPersistence,
  type CostReport,
  type PersistenceStep,
} from '../core/persistence.js';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Contains what the digest shows the attacker left behind, one item after another, each recorded with
 * how to undo it. With `dryRun` nothing is called and each item says so.
 */
export async function containPersistence(
  session: AccountSession,
  digest: AttackDigest,
  o: { dryRun: boolean; now: () => Date; log?: (line: string) => void },
): Promise<PersistenceStep[]> {
  const steps: PersistenceStep[] = [];
  for (const item of planPersistence(digest)) {
    const { what, undo } = describePersistence(item, ROLE_REVOKE_POLICY_NAME);
    const at = o.now();
    const step: PersistenceStep = {
      kind: item.kind,
      what,
      target: item.target,
      outcome: 'dry-run',
      detail: null,
      undo,
      at: at.toISOString(),
    };
    if (!o.dryRun) {
      try {
        if (item.kind === 'deactivate-key') await session.deactivateKey(item.target, item.userName!);
        else if (item.kind === 'delete-login-profile') await session.deleteLoginProfile(item.target);
        else await session.revokeRoleSessions(item.target, at);
        step.outcome = 'done';
      } catch (e) {
        step.outcome = 'failed';
        step.detail = message(e);
      }
    }
    o.log?.(`contain-persistence: ${step.outcome}: ${what} ${item.target}`);
    steps.push(step);
  }
  return steps;
}

/** Daily cost from two weeks before the exposure to today, and whether a day since then spiked. */
export async function checkCost(session: AccountSession, exposure: string, now: Date): Promise<CostReport> {
  const w = costWindow(now, exposure);
  try {
    const { currency, days } = await session.dailyCost(w.start, w.end);
    return { currency, since: w.exposedOn, days, spike: findSpike(days, w.exposedOn), error: null };
  } catch (e) {
    return { currency: 'USD', since: w.exposedOn, days: [], spike: null, error: message(e) };
  }
}
