import { describe, expect, it } from 'vitest';
import { planContainment, type ContainmentInput } from '../../src/core/containment.js';
import type { Finding, Verification } from '../../src/core/types.js';
import { makeKeyId } from '../helpers/keys.js';

const ACCOUNT = '123456789012';
function finding(over: Partial<Finding> = {}): Finding {
  return {
    keyId: makeKeyId('AKIA', ACCOUNT),
    keyKind: 'long-term',
    accountId: ACCOUNT,
    canary: false,
    secretFound: true,
    secretRedacted: 'abcd****',
    sessionTokenFound: false,
    fingerprint: 'keyleak:v1:x',
    locations: [],
    ...over,
  };
}
const live: Verification = {
  status: 'live',
  reason: null,
  accountId: ACCOUNT,
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  userName: 'alice',
};
const active = {
  userName: 'alice',
  status: 'Active' as const,
  lastUsedDate: null,
  lastUsedService: null,
  lastUsedRegion: null,
  quarantinePolicies: [],
};
function input(over: Partial<ContainmentInput> = {}): ContainmentInput {
  return {
    finding: finding(),
    verification: live,
    managed: true,
    accountId: ACCOUNT,
    iam: active,
    responderProblem: null,
    options: { deactivate: true, dryRun: false, revokeSessions: false },
    now: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

describe('deciding containment', () => {
  const cases: [string, Partial<ContainmentInput>, string][] = [
    ['live, managed, active, --deactivate → deactivate', {}, 'deactivate'],
    [
      '--dry-run → dry-run',
      { options: { deactivate: true, dryRun: true, revokeSessions: false } },
      'dry-run',
    ],
    [
      'no --deactivate → manual',
      { options: { deactivate: false, dryRun: false, revokeSessions: false } },
      'manual',
    ],
    ['inactive in IAM → already-inactive', { iam: { ...active, status: 'Inactive' } }, 'already-inactive'],
    ['unmanaged → not-managed', { managed: false }, 'not-managed'],
    [
      'root → manual',
      { verification: { ...live, arn: `arn:aws:iam::${ACCOUNT}:root`, userName: null } },
      'manual',
    ],
    ['temporary → manual', { finding: finding({ keyKind: 'temporary' }) }, 'manual'],
    [
      'responder denied → manual',
      { responderProblem: { message: 'AccessDenied', accessDenied: true } },
      'manual',
    ],
    [
      'IAM unreadable → failed',
      { responderProblem: { message: 'timed out', accessDenied: false } },
      'failed',
    ],
    [
      'invalid → none',
      { verification: { ...live, status: 'invalid', reason: 'InvalidClientTokenId' } },
      'none',
    ],
    ['unknown → none', { verification: { ...live, status: 'unknown', reason: 'STS timed out' } }, 'none'],
    ['skipped → none', { verification: { ...live, status: 'skipped', reason: 'no secret found' } }, 'none'],
  ];
  it.each(cases)('%s', (_name, over, action) => {
    expect(planContainment(input(over)).action).toBe(action);
  });

  it('revokes sessions only when deactivating for real', () => {
    const opts = { deactivate: true, dryRun: false, revokeSessions: true };
    expect(planContainment(input({ options: opts })).revokeSessions).toBe(true);
    expect(planContainment(input({ options: { ...opts, dryRun: true } })).revokeSessions).toBe(false);
    expect(planContainment(input({ options: opts, managed: false })).revokeSessions).toBe(false);
  });

  it('mentions an AWS quarantine policy already attached', () => {
    const plan = planContainment(
      input({ iam: { ...active, quarantinePolicies: ['AWSCompromisedKeyQuarantineV3'] } }),
    );
    expect(plan.detail).toMatch(/AWSCompromisedKeyQuarantineV3/);
  });
});

describe('a key whose found secret is not its own (wrong-secret)', () => {
  const wrong: Verification = {
    status: 'wrong-secret',
    reason: 'SignatureDoesNotMatch: key exists and is active; the secret found is not its secret',
    accountId: null,
    arn: null,
    userName: null,
  };
  it.each([
    ['managed, --deactivate', { managed: true }],
    ['not managed', { managed: false }],
  ])('is never deactivated automatically, and the responder is told how (%s)', (_, over) => {
    const f = finding();
    const plan = planContainment(input({ ...over, finding: f, verification: wrong, iam: active }));
    expect(plan.action).toBe('none');
    expect(plan.detail).toMatch(/exists and is active/);
    expect(plan.detail).not.toMatch(/dead|invalid|not usable/);
    expect(plan.detail).toContain(`aws iam get-access-key-last-used --access-key-id ${f.keyId}`);
    expect(plan.detail).toContain(`aws iam update-access-key --access-key-id ${f.keyId} --status Inactive`);
  });
});
