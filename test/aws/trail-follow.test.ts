import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderTrail, runTrail, type TrailDeps } from '../../src/commands/trail.js';
import type { TrailSettings } from '../../src/settings.js';
import { attackScenario, type Attack } from '../emulators/aws/attack.js';
import type { AwsEmulator } from '../emulators/aws/index.js';
import { MANAGED, startWorld, testAws } from './world.js';

let emu: AwsEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
  vi.unstubAllEnvs();
});

const fast: Omit<TrailDeps, 'aws'> = { minIntervalMs: 0, backoffBaseMs: 10, sleep: async () => {} };

async function attacked(): Promise<{ keyId: string; attack: Attack }> {
  let attack: Attack | null = null;
  let keyId = '';
  const w = await startWorld({ lookupEventsPerSecond: null, logCallsToTrail: false }, 'managed', (s, k) => {
    keyId = k.alice.keyId;
    attack = attackScenario({
      accountId: MANAGED,
      keyId,
      userName: 'alice',
      now: new Date(),
      volume: 400,
      regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
    });
    // A hostile user agent: an escape sequence that would recolour a terminal.
    attack.events.push({
      ...attack.events[0]!,
      eventName: 'ListRoles',
      userAgent: 'evil\u001b[31mred\u001b[0m',
    });
    s.accounts[0]!.events = attack.events;
  });
  emu = w.emu;
  return { keyId, attack: attack! };
}

function settings(keyId: string, over: Partial<TrailSettings> = {}): TrailSettings {
  return {
    keyId,
    since: null,
    until: null,
    regions: 'all',
    format: 'text',
    eventsOut: null,
    roleTemplate: null,
    firstExposure: null,
    follow: false,
    filter: null,
    ...over,
  };
}

describe('keyleak trail --follow', () => {
  it('reads the sessions and access keys the key minted by their own ids, and labels what they did', async () => {
    const { keyId, attack } = await attacked();
    const r = await runTrail(settings(keyId, { follow: true }), { aws: testAws(), ...fast });
    const d = r.summary.activity!;
    expect(d.followed.map((f) => f.keyId).sort()).toEqual(
      [
        attack.expect.sessionKey,
        attack.expect.createdKey,
        d.minted.find((m) => m.mintedBy === 'GetFederationToken')!.keyId,
      ].sort(),
    );
    const leave = d.actions.find((a) => a.eventName === 'LeaveOrganization')!;
    expect(leave.via).toBe(`via role ops-admin, session key ${attack.expect.sessionKey}`);
    expect(d.actions.find((a) => a.eventName === 'PutUserPolicy')!.via).toBe(
      `via access key ${attack.expect.createdKey} of user backup-admin`,
    );
    const looked = emu!.requests.filter((q) => q.action === 'LookupEvents');
    const ids = new Set(
      looked.map((q) => (q.params.LookupAttributes as { AttributeValue: string }[])[0]!.AttributeValue),
    );
    expect(ids).toEqual(new Set([keyId, ...d.followed.map((f) => f.keyId)]));

    const text = renderTrail(r, 'text');
    expect(text).toContain('what the attacker did');
    expect(text).toContain('aws iam delete-login-profile --user-name backup-admin');
    expect(text).toContain(
      `${attack.expect.sessionKey}  session role arn:aws:iam::${MANAGED}:role/ops-admin`,
    );
    expect(text).not.toContain('\u001b');
    expect(JSON.parse(renderTrail(r, 'json')).activity.actions.length).toBe(d.actions.length);
  });

  it('without --follow reads only the leaked key and says which keys were not followed', async () => {
    const { keyId, attack } = await attacked();
    const r = await runTrail(settings(keyId), { aws: testAws(), ...fast });
    expect(r.summary.activity!.followed).toEqual([]);
    expect(r.summary.activity!.actions.map((a) => a.eventName)).not.toContain('LeaveOrganization');
    expect(renderTrail(r, 'text')).toContain(`${attack.expect.sessionKey}  session`);
    expect(renderTrail(r, 'text')).toContain('not followed (--follow)');
  });

  it.each([
    [
      '--event-name',
      { ip: [], eventName: ['RunInstances'], userAgent: null },
      (n: string) => n === 'RunInstances',
    ],
    ['--ip', { ip: ['203.0.113.66'], eventName: [], userAgent: null }, () => true],
    [
      '--user-agent',
      { ip: [], eventName: [], userAgent: 'exec-env/pacu' },
      (n: string) => /^(Describe|List|Get)/.test(n),
    ],
  ] as const)('filters like the runbook jq recipe for %s', async (_flag, filter, nameOk) => {
    const { keyId } = await attacked();
    const r = await runTrail(
      settings(keyId, { filter: { ...filter, ip: [...filter.ip], eventName: [...filter.eventName] } }),
      {
        aws: testAws(),
        ...fast,
      },
    );
    expect(r.events.length).toBeGreaterThan(0);
    expect(r.summary.totalEvents).toBe(r.events.length);
    for (const { event } of r.events) {
      const rec = JSON.parse(event.CloudTrailEvent) as {
        eventName: string;
        sourceIPAddress: string;
        userAgent: string;
      };
      expect(nameOk(rec.eventName)).toBe(true);
      if (filter.ip.length) expect(filter.ip).toContain(rec.sourceIPAddress);
      if (filter.userAgent) expect(rec.userAgent).toContain(filter.userAgent);
    }
  });
});
