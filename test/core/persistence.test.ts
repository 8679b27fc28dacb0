import { describe, expect, it } from 'vitest';
import type { AttackDigest } from '../../src/core/attack-digest.js';
import { costWindow, findSpike, planPersistence, roleNameOf } from '../../src/core/persistence.js';
import { makeKeyId } from '../helpers/keys.js';

const ACCOUNT = '123456789012';
const created = makeKeyId('AKIA', ACCOUNT);
const session = makeKeyId('ASIA', ACCOUNT);

function digest(over: Partial<AttackDigest>): AttackDigest {
  const none = { total: 0, calls: [] };
  return {
    window: { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' },
    actions: [],
    minted: [],
    reconnaissance: none,
    denied: none,
    noise: none,
    followed: [],
    follow: { maxDepth: 3, maxKeys: 25, notFollowed: [] },
    ...over,
  };
}

const minted = {
  sessionName: null,
  expiry: null,
  mintedBy: 'x',
  eventTime: '2026-01-01T01:00:00Z',
  region: 'us-east-1',
  via: null,
};
const loginProfile = (user: string, failed: string | null = null) => ({
  eventId: user,
  eventTime: '2026-01-01T01:00:00Z',
  eventName: 'CreateLoginProfile',
  eventSource: 'iam.amazonaws.com',
  region: 'us-east-1',
  sourceIPAddress: '203.0.113.66',
  userAgent: 'aws-cli',
  category: 'access' as const,
  severity: 1 as const,
  what: 'console password set',
  cite: '',
  failed,
  via: null,
  items: [{ kind: 'login profile', id: user }],
  undo: [],
});

describe('what contain-persistence acts on', () => {
  it.each([
    [
      'an access key the attacker created, by its user',
      digest({
        minted: [{ ...minted, keyId: created, kind: 'access-key', roleArn: null, userName: 'backup-admin' }],
      }),
      [{ kind: 'deactivate-key', target: created, userName: 'backup-admin' }],
    ],
    [
      'the role a session assumed, by name (path dropped)',
      digest({
        minted: [
          {
            ...minted,
            keyId: session,
            kind: 'session',
            roleArn: `arn:aws:iam::${ACCOUNT}:role/ops/ops-admin`,
            userName: null,
          },
        ],
      }),
      [{ kind: 'revoke-role-sessions', target: 'ops-admin', userName: null }],
    ],
    [
      'a login profile created',
      digest({ actions: [loginProfile('backup-admin')] }),
      [{ kind: 'delete-login-profile', target: 'backup-admin', userName: 'backup-admin' }],
    ],
    [
      'nothing for a login profile that failed',
      digest({ actions: [loginProfile('backup-admin', 'AccessDenied')] }),
      [],
    ],
    ['nothing for a hostile user name', digest({ actions: [loginProfile('a b;rm -rf /')] }), []],
    [
      'nothing for a federation token (no role)',
      digest({ minted: [{ ...minted, keyId: session, kind: 'session', roleArn: null, userName: null }] }),
      [],
    ],
  ])('%s', (_name, d, want) => {
    expect(planPersistence(d)).toEqual(want);
  });

  it.each([
    [`arn:aws:iam::${ACCOUNT}:role/ops-admin`, 'ops-admin'],
    [`arn:aws:iam::${ACCOUNT}:role/a/b/c`, 'c'],
    [`arn:aws:iam::${ACCOUNT}:user/ops-admin`, null],
    ['ops-admin', null],
  ])('role name of %s is %s', (arn, name) => expect(roleNameOf(arn)).toBe(name));
});

describe('the cost spike', () => {
  const quiet = Array.from({ length: 14 }, (_, i) => ({
    date: `2026-01-${String(i + 1).padStart(2, '0')}`,
    amount: 3 + (i % 2),
  }));
  it.each([
    [
      'a GPU day after the exposure',
      [...quiet, { date: '2026-01-15', amount: 412.5 }],
      { date: '2026-01-15', amount: 412.5, baseline: 3.5 },
    ],
    ['nothing on a quiet account', [...quiet, { date: '2026-01-15', amount: 4 }], null],
    [
      'nothing for cents tripled',
      [
        { date: '2026-01-01', amount: 0.01 },
        { date: '2026-01-15', amount: 0.05 },
      ],
      null,
    ],
    [
      'a spike before the exposure is the baseline, not the finding',
      [
        { date: '2026-01-10', amount: 500 },
        { date: '2026-01-15', amount: 480 },
      ],
      null,
    ],
  ])('%s', (_name, days, want) => {
    const spike = findSpike(days, '2026-01-15');
    if (want === null) expect(spike).toBeNull();
    else expect(spike).toMatchObject(want);
  });

  it('asks from two weeks before the exposure to tomorrow', () => {
    expect(costWindow(new Date('2026-03-01T12:00:00Z'), '2026-02-20T08:00:00Z')).toEqual({
      start: '2026-02-06',
      end: '2026-03-02',
      exposedOn: '2026-02-20',
    });
  });
});
