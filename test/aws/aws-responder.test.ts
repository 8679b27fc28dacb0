import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsResponder, type AwsResponderSettings } from '../../src/commands/aws-responder.js';
import type { AwsEmulator } from '../emulators/aws/index.js';
import { MANAGED, OTHER, scanResultOf, startWorld, testAws, type Found, type Keys } from './world.js';

let emu: AwsEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
  vi.unstubAllEnvs();
});

const ROLE = 'arn:aws:iam::{accountId}:role/keyleak-responder';
// No pacing between CloudTrail pages: the emulator does not throttle these small reads.
const TRAIL = { trail: { minIntervalMs: 0, backoffBaseMs: 1, sleep: async () => {} } };

function settings(over: Partial<AwsResponderSettings> = {}): AwsResponderSettings {
  return {
    deactivate: true,
    dryRun: true,
    revokeSessions: false,
    roleTemplate: ROLE,
    managedAccounts: [MANAGED, OTHER],
    trail: true,
    ...over,
  };
}

const assumedRoles = (e: AwsEmulator) =>
  e.requests.filter((q) => q.action === 'AssumeRole').map((q) => String(q.params.RoleArn));

describe('the AWS responder', () => {
  it('assumes the role once per account per run, for containment and CloudTrail alike', async () => {
    const w = await startWorld({}, 'central');
    emu = w.emu;
    const k = w.keys;
    const responder = new AwsResponder(testAws(), settings(), TRAIL);
    const found: Found[] = [
      { keyId: k.alice.keyId, secrets: [k.alice.secret] },
      { keyId: k.carol.keyId, secrets: [k.carol.secret] },
      { keyId: k.eve.keyId, secrets: [k.eve.secret] },
    ];
    const first = await responder.respond(scanResultOf(found), {});
    // A second pass in the same run (a pull request refreshing its incidents, say) reuses the sessions.
    await responder.respond(scanResultOf(found.slice(0, 1)), {});
    expect(first.report.findings.map((f) => f.verification?.status)).toEqual(['live', 'live', 'live']);
    expect([...first.trails.keys()].sort()).toEqual([k.alice.keyId, k.carol.keyId, k.eve.keyId].sort());
    expect(assumedRoles(emu).sort()).toEqual([
      `arn:aws:iam::${MANAGED}:role/keyleak-responder`,
      `arn:aws:iam::${OTHER}:role/keyleak-responder`,
    ]);
    // CloudTrail is read with the assumed session, never with the leaked key.
    const lookups = emu.requests.filter((q) => q.action === 'LookupEvents');
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups.every((q) => q.accessKeyId?.startsWith('ASIA'))).toBe(true);
  });

  const notes: [string, (k: Keys) => Found, Partial<AwsResponderSettings>, RegExp | null][] = [
    ['a live key gets a summary', (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }), {}, null],
    [
      'CloudTrail turned off is said so',
      (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
      { trail: false },
      /not read \(turned off\)/,
    ],
    [
      'an invalid key made no calls worth reading',
      (k) => ({ keyId: k.deleted.keyId, secrets: [k.deleted.secret] }),
      {},
      /not valid/,
    ],
    [
      'a role that cannot be assumed is said, not hidden',
      (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
      { roleTemplate: 'arn:aws:iam::{accountId}:role/no-such-role', managedAccounts: null },
      null,
    ],
  ];
  it.each(notes)('%s', async (name, found, over, note) => {
    const w = await startWorld({}, 'central');
    emu = w.emu;
    const f = found(w.keys);
    const r = await new AwsResponder(testAws(), settings(over), TRAIL).respond(scanResultOf([f]), {});
    const got = r.notes.get(f.keyId)!;
    if (note) expect(got.trail).toMatch(note);
    else if (name.startsWith('a live')) {
      expect(got.trail).toBeNull();
      expect(r.trails.get(f.keyId)!.keyId).toBe(f.keyId);
    } else {
      expect(r.trails.has(f.keyId)).toBe(false);
      expect(got.trail ?? '').not.toBe('');
    }
  });

  it('responds only to the keys asked for and leaves the others as found', async () => {
    const w = await startWorld({}, 'central');
    emu = w.emu;
    const k = w.keys;
    const r = await new AwsResponder(testAws(), settings(), TRAIL).respond(
      scanResultOf([
        { keyId: k.alice.keyId, secrets: [k.alice.secret] },
        { keyId: k.carol.keyId, secrets: [k.carol.secret] },
      ]),
      { keyIds: [k.carol.keyId] },
    );
    expect(r.report.findings.map((f) => [f.keyId, f.verification?.status ?? null])).toEqual([
      [k.alice.keyId, null],
      [k.carol.keyId, 'live'],
    ]);
    expect(emu.requests.some((q) => q.accessKeyId === k.alice.keyId)).toBe(false);
  });
});
