import { afterEach, describe, expect, it, vi } from 'vitest';
import { respond, type RespondSettings } from '../../src/commands/respond.js';
import type { VerificationStatus } from '../../src/core/types.js';
import type { AwsEmulator, Fault } from '../emulators/aws/index.js';
import { makeKeyId, makeSecret } from '../helpers/keys.js';
import { MANAGED, scanResultOf, startWorld, testAws, type Found, type Keys } from './world.js';

const VERIFY_ONLY: RespondSettings = {
  deactivate: false,
  dryRun: false,
  revokeSessions: false,
  roleTemplate: null,
  managedAccounts: [MANAGED],
};

let emu: AwsEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
  vi.unstubAllEnvs();
});

interface Case {
  name: string;
  found: (k: Keys) => Found;
  faults?: Fault[];
  status: VerificationStatus;
  reason?: RegExp;
  /** GetCallerIdentity calls signed with the found key id. */
  stsCalls: number;
  extra?: (v: NonNullable<import('../../src/core/types.js').Finding['verification']>, k: Keys) => void;
}

const cases: Case[] = [
  {
    name: 'live: a working pair names its account, ARN and user',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    status: 'live',
    stsCalls: 1,
    extra: (v) => {
      expect(v.accountId).toBe(MANAGED);
      expect(v.arn).toBe(`arn:aws:iam::${MANAGED}:user/eng/alice`);
      expect(v.userName).toBe('alice');
    },
  },
  {
    name: 'live: a temporary key with its session token',
    found: (k) => ({ keyId: k.session.keyId, secrets: [k.session.secret], sessionTokens: [k.session.token] }),
    status: 'live',
    stsCalls: 1,
    extra: (v) => expect(v.arn).toMatch(/assumed-role\/deploy\/ci$/),
  },
  {
    name: 'live: the second candidate secret is the right one, tried after the first',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [makeSecret(), k.alice.secret] }),
    status: 'live',
    stsCalls: 3, // wrong, wrong again after the pause, right
  },
  {
    name: 'invalid: an unknown key id is InvalidClientTokenId',
    found: () => ({ keyId: makeKeyId('AKIA', MANAGED), secrets: [makeSecret()] }),
    status: 'invalid',
    reason: /InvalidClientTokenId/,
    stsCalls: 1,
  },
  {
    name: 'invalid: an inactive key is InvalidClientTokenId',
    found: (k) => ({ keyId: k.bob.keyId, secrets: [k.bob.secret] }),
    status: 'invalid',
    reason: /InvalidClientTokenId/,
    stsCalls: 1,
  },
  {
    name: 'invalid: a deleted key is InvalidClientTokenId',
    found: (k) => ({ keyId: k.deleted.keyId, secrets: [k.deleted.secret] }),
    status: 'invalid',
    reason: /InvalidClientTokenId/,
    stsCalls: 1,
  },
  {
    name: 'wrong-secret: SignatureDoesNotMatch, believed after one delayed retry, proves the key active',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [makeSecret()] }),
    status: 'wrong-secret',
    reason: /key exists and is active; the secret found is not its secret/,
    stsCalls: 2,
  },
  {
    name: 'wrong-secret: every candidate refused with SignatureDoesNotMatch',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [makeSecret(), makeSecret()] }),
    status: 'wrong-secret',
    reason: /2 candidate secrets: SignatureDoesNotMatch/,
    stsCalls: 4,
  },
  {
    name: 'invalid: an inactive key refuses even its own secret with InvalidClientTokenId',
    found: (k) => ({ keyId: k.bob.keyId, secrets: [k.bob.secret] }),
    status: 'invalid',
    reason: /InvalidClientTokenId/,
    stsCalls: 1,
  },
  {
    name: 'invalid: an expired session is ExpiredToken',
    found: (k) => ({ keyId: k.expired.keyId, secrets: [k.expired.secret], sessionTokens: [k.expired.token] }),
    status: 'invalid',
    reason: /ExpiredToken/,
    stsCalls: 1,
  },
  {
    name: 'unknown: STS timed out',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    faults: [{ kind: 'hang', service: 'sts' }],
    status: 'unknown',
    reason: /timed out/,
    stsCalls: 1,
  },
  {
    name: 'unknown: STS answered 503',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    faults: [{ kind: '5xx', service: 'sts' }],
    status: 'unknown',
    reason: /ServiceUnavailable \(HTTP 503\)/,
    stsCalls: 1,
  },
  {
    name: 'unknown: STS throttled',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    faults: [{ kind: 'throttle', service: 'sts' }],
    status: 'unknown',
    reason: /throttled/,
    stsCalls: 1,
  },
  {
    name: 'unknown: a proxy answered 403 without an AWS error code',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    faults: [{ kind: 'proxy-403', service: 'sts' }],
    status: 'unknown',
    reason: /HTTP 403 without an AWS error code/,
    stsCalls: 1,
  },
  {
    name: 'unknown: one candidate could not be told, the other was refused',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [makeSecret(), k.alice.secret] }),
    faults: [{ kind: '5xx', service: 'sts', times: 10 }],
    status: 'unknown',
    stsCalls: 2,
  },
  {
    name: 'skipped: a key id without a secret is never sent to STS',
    found: (k) => ({ keyId: k.alice.keyId }),
    status: 'skipped',
    reason: /no secret found/,
    stsCalls: 0,
  },
  {
    name: 'skipped: a canary-token key is never sent to STS',
    found: () => ({ keyId: makeKeyId('AKIA', '052310077262'), secrets: [makeSecret()] }),
    status: 'skipped',
    reason: /canary/,
    stsCalls: 0,
  },
  {
    name: 'skipped: a temporary key without its session token',
    found: (k) => ({ keyId: k.session.keyId, secrets: [k.session.secret] }),
    status: 'skipped',
    reason: /session token/,
    stsCalls: 0,
  },
];

describe('verification against STS', () => {
  it.each(cases)('$name', async (c) => {
    const world = await startWorld({ faults: c.faults });
    emu = world.emu;
    const found = c.found(world.keys);
    const sleeps: number[] = [];
    const report = await respond(scanResultOf([found]), VERIFY_ONLY, {
      aws: testAws(300),
      signatureRetryDelayMs: 1234,
      sleep: async (ms) => void sleeps.push(ms),
    });
    const v = report.findings[0]!.verification!;
    expect(v.status).toBe(c.status);
    if (c.reason) expect(v.reason).toMatch(c.reason);
    const sts = emu.requests.filter((r) => r.service === 'sts' && r.accessKeyId === found.keyId);
    expect(sts).toHaveLength(c.stsCalls);
    expect(sts.every((r) => r.action === 'GetCallerIdentity')).toBe(true);
    // The leaked key id signs nothing but GetCallerIdentity.
    expect(
      emu.requests.filter((r) => r.accessKeyId === found.keyId && r.action !== 'GetCallerIdentity'),
    ).toEqual([]);
    expect(sts.every((r) => r.userAgent.includes('keyleak/'))).toBe(true);
    // The pause is taken only before retrying a SignatureDoesNotMatch.
    expect(sleeps.every((ms) => ms === 1234)).toBe(true);
    c.extra?.(v, world.keys);
    expect(report.findings[0]!.response!.action).toBe(c.status === 'live' ? 'manual' : 'none');
  });

  it('rides out the STS quirk: a right secret refused right after a wrong one passes on the delayed retry', async () => {
    const world = await startWorld({ signatureQuirkMs: 150 });
    emu = world.emu;
    const k = world.keys;
    const report = await respond(
      scanResultOf([{ keyId: k.alice.keyId, secrets: [makeSecret(), k.alice.secret] }]),
      VERIFY_ONLY,
      { aws: testAws(), signatureRetryDelayMs: 200 },
    );
    expect(report.findings[0]!.verification!.status).toBe('live');
    const codes = emu.requests.filter((r) => r.accessKeyId === k.alice.keyId).map((r) => r.errorCode);
    expect(codes).toEqual(['SignatureDoesNotMatch', 'SignatureDoesNotMatch', 'SignatureDoesNotMatch', null]);
  });

  it('never tries two candidates of one key at once', async () => {
    const world = await startWorld();
    emu = world.emu;
    const k = world.keys;
    let inFlight = 0;
    let most = 0;
    const aws = testAws();
    const counting = {
      ...aws,
      async callerIdentity(p: Parameters<typeof aws.callerIdentity>[0]) {
        most = Math.max(most, ++inFlight);
        try {
          return await aws.callerIdentity(p);
        } finally {
          inFlight--;
        }
      },
    };
    await respond(
      scanResultOf([{ keyId: k.alice.keyId, secrets: [makeSecret(), makeSecret(), makeSecret()] }]),
      VERIFY_ONLY,
      { aws: counting, signatureRetryDelayMs: 0 },
    );
    expect(most).toBe(1);
  });
});
