import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { respond } from '../../src/commands/respond.js';
import { runTrail, trailExitCode, writeEventsOut, type TrailDeps } from '../../src/commands/trail.js';
import type { TrailSettings } from '../../src/settings.js';
import type { AwsEmulator, Scenario, ScenarioEvent } from '../emulators/aws/index.js';
import { MANAGED, scanResultOf, startWorld, testAws, type Keys } from './world.js';

let emu: AwsEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
  vi.unstubAllEnvs();
});

const NOW = Date.now();
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function attackerEvents(keyId: string): ScenarioEvent[] {
  const e = (
    minutes: number,
    eventName: string,
    eventSource: string,
    region = 'us-east-1',
    extra: Partial<ScenarioEvent> = {},
  ) => ({
    eventTime: ago(minutes),
    eventName,
    eventSource,
    region,
    accessKeyId: keyId,
    userName: 'alice',
    sourceIPAddress: '203.0.113.66',
    userAgent: 'python-requests/2.31',
    ...extra,
  });
  const recon = Array.from({ length: 110 }, (_, i) => e(300 - i, 'ListBuckets', 's3.amazonaws.com'));
  return [
    ...recon,
    e(120, 'GetCallerIdentity', 'sts.amazonaws.com'),
    e(100, 'CreateUser', 'iam.amazonaws.com', 'us-east-1', {
      resources: [{ ResourceType: 'AWS::IAM::User', ResourceName: 'backdoor' }],
    }),
    e(99, 'CreateAccessKey', 'iam.amazonaws.com', 'us-east-1', { errorCode: 'AccessDenied' }),
    e(60, 'RunInstances', 'ec2.amazonaws.com', 'eu-west-1', { sourceIPAddress: '198.51.100.23' }),
    e(59, 'StopLogging', 'cloudtrail.amazonaws.com', 'us-west-2'),
    e(200 * 24 * 60, 'ListUsers', 'iam.amazonaws.com'), // older than the window
  ];
}

const withAttack = (s: Scenario, k: Keys) => {
  s.accounts[0]!.events = attackerEvents(k.alice.keyId);
};

async function world(extra: (k: Keys) => Partial<Scenario> = () => ({})) {
  const w = await startWorld();
  emu = w.emu;
  const k = w.keys;
  const acc = emu.state.accounts.get(MANAGED)!;
  // Faults join the running world the way the scenario would have declared them.
  const more = extra(k);
  for (const f of more.faults ?? []) emu.state.faults.push({ ...f });
  return { k, emu, acc };
}

function settings(keyId: string, over: Partial<TrailSettings> = {}): TrailSettings {
  return {
    keyId,
    since: null,
    until: null,
    regions: 'all',
    format: 'json',
    eventsOut: null,
    roleTemplate: null,
    firstExposure: null,
    follow: false,
    filter: null,
    ...over,
  };
}

const fast = (sleeps: number[] = []): Omit<TrailDeps, 'aws'> => ({
  minIntervalMs: 0,
  backoffBaseMs: 10,
  sleep: async (ms) => void sleeps.push(ms),
});

describe('keyleak trail', () => {
  it('reads every enabled region, every page, and digests what the key did', async () => {
    const w = await startWorld({ lookupEventsPerSecond: null }, 'managed', withAttack);
    emu = w.emu;
    const k = w.keys;

    const r = await runTrail(settings(k.alice.keyId), { aws: testAws(), ...fast() });
    expect(r.summary.regions).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    expect(r.summary.totalEvents).toBe(115);
    expect(r.summary.incompleteRegions).toEqual([]);
    expect(trailExitCode(r.summary)).toBe(0);
    const lookups = emu.requests.filter((q) => q.action === 'LookupEvents');
    expect(lookups.filter((q) => q.region === 'us-east-1')).toHaveLength(3); // 113 events, 50 a page
    expect(lookups.every((q) => (q.params.MaxResults as number) <= 50)).toBe(true);
    expect(lookups.every((q) => q.accessKeyId === k.responder.keyId)).toBe(true);
    expect(emu.requests.some((q) => q.action === 'DescribeRegions')).toBe(true);
    expect(r.summary.byIp).toEqual([
      { ip: '203.0.113.66', count: 114, first: ago(300), last: ago(59) },
      { ip: '198.51.100.23', count: 1, first: ago(60), last: ago(60) },
    ]);
    expect(r.summary.activity!.actions.map((a) => [a.category, a.eventName, a.region, a.failed])).toEqual([
      ['defense-evasion', 'StopLogging', 'us-west-2', null],
      ['access', 'CreateUser', 'us-east-1', null],
      ['access', 'CreateAccessKey', 'us-east-1', 'AccessDenied'],
      ['resources', 'RunInstances', 'eu-west-1', null],
    ]);

    // --events-out: what `aws cloudtrail lookup-events --output json` prints, so jq recipes keep working.
    const file = join(mkdtempSync(join(tmpdir(), 'keyleak-trail-')), 'trail.json');
    await writeEventsOut(r, file);
    const text = readFileSync(file, 'utf8');
    const parsed = JSON.parse(text) as { Events: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['Events']);
    expect(parsed.Events).toHaveLength(115);
    const created = parsed.Events.find((e) => e.EventName === 'CreateUser')!;
    expect(Object.keys(created)).toEqual([
      'EventId',
      'EventName',
      'ReadOnly',
      'AccessKeyId',
      'EventTime',
      'EventSource',
      'Username',
      'Resources',
      'CloudTrailEvent',
    ]);
    expect(created).toMatchObject({
      ReadOnly: 'false',
      AccessKeyId: k.alice.keyId,
      EventTime: ago(100).replace('Z', '+00:00'),
      EventSource: 'iam.amazonaws.com',
      Username: 'alice',
      Resources: [{ ResourceType: 'AWS::IAM::User', ResourceName: 'backdoor' }],
    });
    const inner = JSON.parse(created.CloudTrailEvent as string);
    expect(inner).toMatchObject({
      eventName: 'CreateUser',
      sourceIPAddress: '203.0.113.66',
      userIdentity: { accessKeyId: k.alice.keyId },
    });
    expect(text).not.toContain(k.alice.secret);
  });

  it("counts keyleak's own verification call as its own, not as the attacker's", async () => {
    const w = await world();
    await respond(
      scanResultOf([{ keyId: w.k.alice.keyId, secrets: [w.k.alice.secret] }]),
      {
        deactivate: false,
        dryRun: false,
        revokeSessions: false,
        roleTemplate: null,
        managedAccounts: [MANAGED],
      },
      { aws: testAws() },
    );
    const r = await runTrail(settings(w.k.alice.keyId, { regions: [] }), { aws: testAws(), ...fast() });
    expect(r.summary.totalEvents).toBe(1);
    expect(r.summary.ownEvents).toBe(1);
    expect(r.summary.byIp).toEqual([]);
    expect(r.summary.activity!.actions).toEqual([]);
    expect(r.summary.byEvent).toEqual([
      { eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', count: 1, errors: 0 },
    ]);
  });

  it('backs off on throttling and reads the region in the end', async () => {
    const w = await world(() => ({
      faults: [{ kind: 'throttle', service: 'cloudtrail', region: 'us-west-2', times: 5 }],
    }));
    const sleeps: number[] = [];
    const r = await runTrail(settings(w.k.alice.keyId), { aws: testAws(), ...fast(sleeps) });
    expect(r.summary.incompleteRegions).toEqual([]);
    expect(sleeps).toEqual([10, 20, 40, 80, 160]);
    expect(emu!.requests.filter((q) => q.action === 'LookupEvents' && q.region === 'us-west-2')).toHaveLength(
      6,
    );
  });

  it('lists a region that stays throttled after 8 attempts as incomplete, and exits 1', async () => {
    const w = await world(() => ({
      faults: [{ kind: 'throttle', service: 'cloudtrail', region: 'eu-west-1' }],
    }));
    const sleeps: number[] = [];
    const r = await runTrail(settings(w.k.alice.keyId), { aws: testAws(), ...fast(sleeps) });
    expect(r.summary.regions).toContain('eu-west-1');
    expect(r.summary.incompleteRegions).toEqual([
      { region: 'eu-west-1', reason: expect.stringMatching(/ThrottlingException.*gave up after 8 attempts/) },
    ]);
    expect(emu!.requests.filter((q) => q.action === 'LookupEvents' && q.region === 'eu-west-1')).toHaveLength(
      8,
    );
    expect(sleeps).toEqual([10, 20, 40, 80, 160, 320, 640]);
    expect(trailExitCode(r.summary)).toBe(1);
  });

  it('keeps what a region gave before it failed, and says the region is incomplete', async () => {
    const w = await startWorld({ lookupEventsPerSecond: null }, 'managed', withAttack);
    emu = w.emu;
    // The first page of us-east-1 is read, then every later call fails.
    let calls = 0;
    const aws = testAws();
    const responder = await aws.responder();
    const flaky = {
      ...aws,
      responder: async () => ({
        ...responder,
        enabledRegions: () => responder.enabledRegions(),
        lookupEvents: (region: string, q: Parameters<typeof responder.lookupEvents>[1]) => {
          if (region === 'us-east-1' && ++calls > 1)
            emu!.state.faults.push({ kind: '5xx', service: 'cloudtrail', times: 1 });
          return responder.lookupEvents(region, q);
        },
      }),
    };
    const r = await runTrail(settings(w.keys.alice.keyId, { regions: [] }), { aws: flaky, ...fast() });
    expect(r.events).toHaveLength(50);
    expect(r.summary.incompleteRegions).toEqual([
      {
        region: 'us-east-1',
        reason: expect.stringMatching(
          /ServiceUnavailable.*gave up after 8 attempts\); 50 events read before/,
        ),
      },
    ]);
  });

  it('says so when the responder may not read CloudTrail, without retrying', async () => {
    const w = await world();
    w.acc.users.get('responder')!.principal.deny.add('cloudtrail:LookupEvents');
    const r = await runTrail(settings(w.k.alice.keyId, { regions: ['eu-west-1'] }), {
      aws: testAws(),
      ...fast(),
    });
    expect(r.summary.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(r.summary.incompleteRegions.map((i) => i.region)).toEqual(['eu-west-1', 'us-east-1']);
    expect(r.summary.incompleteRegions[0]!.reason).toMatch(/AccessDeniedException/);
    expect(emu!.requests.filter((q) => q.action === 'LookupEvents')).toHaveLength(2);
  });

  it('paces itself to 2 requests per second per region, so AWS never throttles it', async () => {
    // AWS's real limit: 2 per second per region.
    const w = await startWorld({}, 'managed', withAttack);
    emu = w.emu;
    const started = Date.now();
    const r = await runTrail(settings(w.keys.alice.keyId, { regions: [] }), {
      aws: testAws(),
      backoffBaseMs: 10,
    });
    expect(r.summary.incompleteRegions).toEqual([]);
    expect(r.events).toHaveLength(113);
    expect(emu.requests.filter((q) => q.errorCode === 'ThrottlingException')).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('assumes the role from --role-template in the key account', async () => {
    const w = await startWorld({}, 'central');
    emu = w.emu;
    const r = await runTrail(
      settings(w.keys.eve.keyId, {
        regions: [],
        roleTemplate: 'arn:aws:iam::{accountId}:role/keyleak-responder',
      }),
      { aws: testAws(), ...fast() },
    );
    expect(r.summary.incompleteRegions).toEqual([]);
    const assume = emu.requests.find((q) => q.action === 'AssumeRole')!;
    expect(assume.params.RoleArn).toBe('arn:aws:iam::210987654321:role/keyleak-responder');
    const lookup = emu.requests.find((q) => q.action === 'LookupEvents')!;
    expect(lookup.accessKeyId).toMatch(/^ASIA/);
  });

  it('defaults the window to a day before the first exposure when that is within 90 days', async () => {
    const w = await world();
    const exposed = new Date(NOW - 10 * 86_400_000).toISOString();
    const r = await runTrail(settings(w.k.alice.keyId, { regions: [], firstExposure: exposed }), {
      aws: testAws(),
      ...fast(),
    });
    expect(Date.parse(r.summary.window.start)).toBe(Date.parse(exposed) - 86_400_000);
    const q = emu!.requests.find((x) => x.action === 'LookupEvents')!;
    expect(q.params.StartTime).toBe((Date.parse(exposed) - 86_400_000) / 1000);
  });
});
