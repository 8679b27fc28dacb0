import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Aws } from '../../src/adapters/aws.js';
import { respond, type RespondSettings } from '../../src/commands/respond.js';
import { renderJson } from '../../src/core/render/json.js';
import { renderMarkdown } from '../../src/core/render/markdown.js';
import { renderSarif } from '../../src/core/render/sarif.js';
import { renderText } from '../../src/core/render/text.js';
import type { ResponseAction } from '../../src/core/types.js';
import type { AwsEmulator, Fault } from '../emulators/aws/index.js';
import { makeKeyId, makeSecret } from '../helpers/keys.js';
import {
  allSecrets,
  MANAGED,
  OTHER,
  scanResultOf,
  startWorld,
  testAws,
  type Found,
  type Keys,
} from './world.js';

const CHANGES = new Set(['UpdateAccessKey', 'PutUserPolicy', 'AttachUserPolicy', 'DeleteAccessKey']);
const DEACTIVATE: RespondSettings = {
  deactivate: true,
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
  settings?: Partial<RespondSettings>;
  responder?: 'managed' | 'central' | 'none';
  faults?: Fault[];
  setup?: (emu: AwsEmulator, k: Keys) => void;
  wrapAws?: (aws: Aws, emu: AwsEmulator, k: Keys) => Aws;
  action: ResponseAction;
  detail: RegExp;
  /** Calls that would change state (made, refused or failed), as `action user`. */
  changes: string[];
  /** The key's IAM status afterwards. */
  statusAfter?: 'Active' | 'Inactive';
  /** What could not be done and fails the run; unset: nothing. */
  error?: RegExp;
  more?: (emu: AwsEmulator, k: Keys, f: import('../../src/core/types.js').Finding) => void;
}

const cases: Case[] = [
  {
    name: 'deactivated: a live key in a managed account, with the responder credentials',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    action: 'deactivated',
    detail:
      /iam:UpdateAccessKey \(Status=Inactive, UserName=alice\) as arn:aws:iam::123456789012:user\/responder/,
    changes: ['UpdateAccessKey alice'],
    statusAfter: 'Inactive',
    more: (emu, k) => {
      const update = emu.requests.find((r) => r.action === 'UpdateAccessKey')!;
      expect(update.accessKeyId).toBe(k.responder.keyId);
      expect(update.params).toMatchObject({
        AccessKeyId: k.alice.keyId,
        Status: 'Inactive',
        UserName: 'alice',
      });
    },
  },
  {
    name: 'deactivated, and the sessions of its user denied with the pre-made managed policy',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    settings: { revokeSessions: true },
    action: 'deactivated',
    detail:
      /Sessions minted from the user's keys denied \(managed policy arn:aws:iam::123456789012:policy\/keyleak-revoke-sessions attached to user alice\)/,
    changes: ['UpdateAccessKey alice', 'AttachUserPolicy alice'],
    statusAfter: 'Inactive',
    more: (emu) => {
      const alice = emu.state.accounts.get(MANAGED)!.users.get('alice')!;
      expect(alice.attachedPolicies).toContain('keyleak-revoke-sessions');
      // No policy is ever written: PutUserPolicy is not called.
      expect(alice.inlinePolicies.size).toBe(0);
      expect(emu.requests.find((r) => r.action === 'AttachUserPolicy')!.params).toMatchObject({
        PolicyArn: 'arn:aws:iam::123456789012:policy/keyleak-revoke-sessions',
      });
    },
  },
  {
    name: 'deactivated, with the quarantine AWS already attached shown',
    found: (k) => ({ keyId: k.carol.keyId, secrets: [k.carol.secret] }),
    action: 'deactivated',
    detail: /AWSCompromisedKeyQuarantineV2/,
    changes: ['UpdateAccessKey carol'],
    statusAfter: 'Inactive',
    more: (_emu, _k, f) =>
      expect(f.verification!.iam!.quarantinePolicies).toEqual(['AWSCompromisedKeyQuarantineV2']),
  },
  {
    name: 'deactivated through the role assumed from --role-template in the key account',
    found: (k) => ({ keyId: k.eve.keyId, secrets: [k.eve.secret] }),
    responder: 'central',
    settings: {
      roleTemplate: 'arn:aws:iam::{accountId}:role/keyleak-responder',
      managedAccounts: [MANAGED, OTHER],
    },
    action: 'deactivated',
    detail: /as arn:aws:sts::210987654321:assumed-role\/keyleak-responder\//,
    changes: ['UpdateAccessKey eve'],
    statusAfter: 'Inactive',
    more: (emu, k) => {
      const assume = emu.requests.find((r) => r.action === 'AssumeRole')!;
      expect(assume.accessKeyId).toBe(k.central.keyId);
      expect(assume.params.RoleArn).toBe(`arn:aws:iam::${OTHER}:role/keyleak-responder`);
      const update = emu.requests.find((r) => r.action === 'UpdateAccessKey')!;
      expect(update.accessKeyId).toMatch(/^ASIA/);
      expect(emu.state.keys.get(update.accessKeyId!)!.principal.arn).toMatch(
        /assumed-role\/keyleak-responder/,
      );
    },
  },
  {
    name: 'already-inactive: IAM shows the key inactive (turned off since STS saw it), so no call is made',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    wrapAws: (aws, emu, k) => ({
      ...aws,
      async callerIdentity(p) {
        const out = await aws.callerIdentity(p);
        emu.state.keys.get(k.alice.keyId)!.status = 'Inactive';
        return out;
      },
    }),
    action: 'already-inactive',
    detail: /inactive already; no deactivation call/,
    changes: [],
    statusAfter: 'Inactive',
  },
  {
    name: 'dry-run: says what would happen and changes nothing',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    settings: { dryRun: true, revokeSessions: true },
    action: 'dry-run',
    detail:
      /would deactivate the key of user alice in account 123456789012 .*keyleak-revoke-sessions.*nothing was changed/,
    changes: [],
    statusAfter: 'Active',
  },
  {
    name: 'not-managed: a live key of an account outside the managed set is not touched',
    found: (k) => ({ keyId: k.eve.keyId, secrets: [k.eve.secret] }),
    action: 'not-managed',
    detail: /account 210987654321, which keyleak does not manage: nothing was changed/,
    changes: [],
    statusAfter: 'Active',
    more: (emu) =>
      expect(emu.requests.filter((r) => r.service === 'iam' || r.action === 'AssumeRole')).toEqual([]),
  },
  {
    name: 'not-managed: without --managed-accounts only the responder credentials own account is managed',
    found: (k) => ({ keyId: k.eve.keyId, secrets: [k.eve.secret] }),
    settings: { managedAccounts: null },
    action: 'not-managed',
    detail: /does not manage/,
    changes: [],
    statusAfter: 'Active',
  },
  {
    name: 'not-managed: without responder credentials nothing is managed, and the detail says why',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    settings: { managedAccounts: null },
    responder: 'none',
    action: 'not-managed',
    detail: /no responder credentials/,
    changes: [],
    statusAfter: 'Active',
  },
  {
    name: 'failed, never "not managed": the responder credentials were revoked',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    settings: { managedAccounts: null },
    setup: (emu, k) => {
      emu.state.keys.get(k.responder.keyId)!.status = 'Inactive';
    },
    action: 'failed',
    detail: /the credentials are invalid or expired \(InvalidClientTokenId\)/,
    error: /containment of AKIA\S+ could not be done: .*invalid or expired/,
    changes: [],
    statusAfter: 'Active',
    more: (_emu, _k, f) => expect(f.response!.detail).not.toMatch(/security token included/),
  },
  {
    name: 'manual: a root user key can only be deactivated by root',
    found: (k) => ({ keyId: k.root.keyId, secrets: [k.root.secret] }),
    action: 'manual',
    detail: /root user access key.*only the root user can deactivate it/,
    changes: [],
    statusAfter: 'Active',
  },
  {
    name: 'manual: temporary credentials cannot be deactivated',
    found: (k) => ({ keyId: k.session.keyId, secrets: [k.session.secret], sessionTokens: [k.session.token] }),
    action: 'manual',
    detail: /temporary credentials .*Revoke the sessions/,
    changes: [],
  },
  {
    name: 'manual: the responder lacks iam:UpdateAccessKey, and the detail says who must do what',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    setup: (emu) =>
      emu.state.accounts.get(MANAGED)!.users.get('responder')!.principal.deny.add('iam:UpdateAccessKey'),
    action: 'manual',
    detail:
      /may not deactivate it .*AccessDenied.*aws iam update-access-key --access-key-id AKIA\S+ --status Inactive --user-name alice/,
    changes: ['UpdateAccessKey alice'], // refused by IAM
    error:
      /containment of AKIA\S+ could not be done: the responder may not deactivate it \(iam:UpdateAccessKey failed: access denied \(AccessDenied\)\)/,
    statusAfter: 'Active',
  },
  {
    name: 'manual: the role in the key account cannot be assumed',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    responder: 'central',
    settings: { roleTemplate: 'arn:aws:iam::{accountId}:role/no-such-role' },
    action: 'manual',
    detail: /may not do this .*sts:AssumeRole/,
    error: /containment of AKIA\S+ could not be done/,
    changes: [],
    statusAfter: 'Active',
  },
  {
    name: 'manual: deactivation was not asked for',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    settings: { deactivate: false },
    action: 'manual',
    detail: /deactivation was not requested \(--deactivate\)/,
    changes: [],
    statusAfter: 'Active',
  },
  {
    name: 'failed: IAM errored on UpdateAccessKey',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    faults: [{ kind: '5xx', service: 'iam', action: 'UpdateAccessKey' }],
    action: 'failed',
    detail: /deactivation failed: iam:UpdateAccessKey failed: AWS server error \(ServiceUnavailable\)/,
    error: /containment of AKIA\S+ could not be done: deactivation failed/,
    changes: ['UpdateAccessKey alice'],
    statusAfter: 'Active',
  },
  {
    name: 'failed: IAM could not be read, so nothing was changed',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    faults: [{ kind: 'hang', service: 'iam', action: 'GetAccessKeyLastUsed' }],
    action: 'failed',
    detail: /could not read the key in IAM .*no answer from AWS \(timed out\).*nothing was changed/,
    error: /containment of AKIA\S+ could not be done/,
    changes: [],
    statusAfter: 'Active',
  },
  {
    name: 'none: an invalid key needs no containment',
    found: (k) => ({ keyId: k.bob.keyId, secrets: [k.bob.secret] }),
    action: 'none',
    detail: /not usable \(InvalidClientTokenId/,
    changes: [],
  },
  {
    name: 'none: unknown never leads to a change, even with --deactivate',
    found: (k) => ({ keyId: k.alice.keyId, secrets: [k.alice.secret] }),
    faults: [{ kind: 'proxy-403', service: 'sts' }],
    action: 'none',
    detail: /could not tell whether the key is live .*nothing was changed/,
    changes: [],
    statusAfter: 'Active',
  },
  {
    name: 'none: a key without its secret is never deactivated, but IAM tells its owner, status and last use',
    found: (k) => ({ keyId: k.dave.keyId }),
    action: 'none',
    detail:
      /not deactivated automatically.*IAM: user dave, status Active, last used 2026-01-02T03:04:05.000Z \(s3 in eu-west-1\)/,
    changes: [],
    statusAfter: 'Active',
    more: (_emu, _k, f) =>
      expect(f.verification).toMatchObject({
        status: 'skipped',
        iam: { userName: 'dave', status: 'Active', lastUsedService: 's3', lastUsedRegion: 'eu-west-1' },
      }),
  },
  {
    name: 'none: a canary token is neither verified nor touched',
    found: () => ({ keyId: makeKeyId('AKIA', '717712589309'), secrets: [makeSecret()] }),
    action: 'none',
    detail: /canary token: not verified/,
    changes: [],
    more: (emu) => expect(emu.requests).toEqual([]),
  },
];

describe('containment', () => {
  it.each(cases)('$name', async (c) => {
    const world = await startWorld({ faults: c.faults }, c.responder ?? 'managed');
    emu = world.emu;
    const k = world.keys;
    c.setup?.(emu, k);
    const found = c.found(k);
    const aws = c.wrapAws ? c.wrapAws(testAws(400), emu, k) : testAws(400);
    const logs: string[] = [];
    const report = await respond(
      scanResultOf([found]),
      { ...DEACTIVATE, ...c.settings },
      { aws, signatureRetryDelayMs: 0, log: (l) => logs.push(l) },
    );
    const f = report.findings[0]!;
    expect(f.response!.action).toBe(c.action);
    expect(f.response!.detail).toMatch(c.detail);
    expect(Date.parse(f.response!.at)).not.toBeNaN();
    const changes = emu.requests
      .filter((r) => CHANGES.has(r.action))
      .map((r) => `${r.action} ${String(r.params.UserName)}`);
    expect(changes).toEqual(c.changes);
    // Changes are never signed with the leaked key.
    expect(
      emu.requests.filter((r) => r.accessKeyId === found.keyId && r.action !== 'GetCallerIdentity'),
    ).toEqual([]);
    if (c.statusAfter) expect(emu.state.keys.get(found.keyId)!.status).toBe(c.statusAfter);
    if (c.error) expect(f.response!.errors).toEqual([expect.stringMatching(c.error)]);
    else expect(f.response!.errors).toBeUndefined();
    c.more?.(emu, k, f);

    const outputs = [
      renderText(report),
      renderJson(report),
      renderMarkdown(report),
      renderSarif(report),
      logs.join('\n'),
    ];
    for (const secret of allSecrets(k)) for (const out of outputs) expect(out).not.toContain(secret);
  });

  it('handles a whole report: each key on its own, the leaked keys signing nothing but GetCallerIdentity', async () => {
    const world = await startWorld();
    emu = world.emu;
    const k = world.keys;
    const found = [
      { keyId: k.alice.keyId, secrets: [k.alice.secret] },
      { keyId: k.eve.keyId, secrets: [k.eve.secret] },
      { keyId: k.bob.keyId, secrets: [k.bob.secret] },
      { keyId: k.dave.keyId },
      { keyId: k.root.keyId, secrets: [k.root.secret] },
    ];
    const report = await respond(
      scanResultOf(found),
      { ...DEACTIVATE, revokeSessions: true },
      {
        aws: testAws(),
        signatureRetryDelayMs: 0,
      },
    );
    expect(report.findings.map((f) => [f.verification!.status, f.response!.action])).toEqual([
      ['live', 'deactivated'],
      ['live', 'not-managed'],
      ['invalid', 'none'],
      ['skipped', 'none'],
      ['live', 'manual'],
    ]);
    const leaked = new Set(found.map((f) => f.keyId));
    const byLeaked = emu.requests.filter((r) => r.accessKeyId !== null && leaked.has(r.accessKeyId));
    expect(new Set(byLeaked.map((r) => `${r.service}:${r.action}`))).toEqual(
      new Set(['sts:GetCallerIdentity']),
    );
    expect(
      emu.requests
        .filter((r) => CHANGES.has(r.action))
        .map((r) => `${r.action} ${String(r.params.UserName)}`),
    ).toEqual(['UpdateAccessKey alice', 'AttachUserPolicy alice']);
  });
});
