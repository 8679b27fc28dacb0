import { describe, expect, inject, it } from 'vitest';
import { ATTACK_REGIONS, attackScenario, type Attack } from '../emulators/aws/attack.js';
import { startAwsEmulator, type AwsEmulator } from '../emulators/aws/index.js';
import { makeState, startGitHubEmulator } from '../emulators/github/index.js';
import { makePair } from '../helpers/keys.js';
import { MANAGED, useEmulatorEnv } from '../aws/world.js';
import { trackCleanups } from './cleanups.js';
import { pushPayload, runAction, secretNowhere, World } from './harness.js';

const dist = inject('actionDist');

const { worlds, closers } = trackCleanups();

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/**
 * A live key pushed to main whose holder ran a 2,400-event attack across 10 regions: the real bundle
 * against the GitHub emulator, the real SDK against the AWS emulator.
 */
async function attackedPush(inputs: Record<string, string>) {
  const leaked = makePair('AKIA', MANAGED);
  const responder = makePair('AKIA', MANAGED);
  const attack: Attack = attackScenario({
    accountId: MANAGED,
    keyId: leaked.keyId,
    userName: 'deploy-bot',
    now: new Date(),
    volume: 2400,
    seed: 12,
  });
  // Two weeks of a quiet account, then GPU instances.
  const dailyCost: Record<string, number> = {};
  for (let i = -14; i < 0; i++) dailyCost[day(i)] = 3.1 + (i % 3) * 0.2;
  dailyCost[day(0)] = 412.55;
  const aws: AwsEmulator = await startAwsEmulator({
    accounts: [
      {
        id: MANAGED,
        regions: ATTACK_REGIONS,
        users: [
          { name: 'keyleak-responder', keys: [{ id: responder.keyId, secret: responder.secret }] },
          { name: 'deploy-bot', keys: [{ id: leaked.keyId, secret: leaked.secret }] },
          ...attack.users,
        ],
        roles: attack.roles,
        events: attack.events,
        dailyCost,
      },
    ],
    lookupEventsPerSecond: null,
    logCallsToTrail: false,
  });
  closers.push(aws);
  useEmulatorEnv(aws, responder);
  const gh = await startGitHubEmulator(makeState(['octo/app']));
  closers.push(gh);
  const w = new World();
  worlds.push(w);
  const base = w.commit('init', { 'README.md': 'hello\n' });
  const after = w.commit('add deploy config', {
    'config/deploy.ini': `[default]\naws_access_key_id = ${leaked.keyId}\naws_secret_access_key = ${leaked.secret}\n`,
  });
  w.push('main');
  const run = await runAction({
    dist,
    emu: gh,
    workspace: w.checkout('main', after),
    event: 'push',
    payload: pushPayload('refs/heads/main', base, after),
    inputs: { verify: 'true', deactivate: 'true', 'managed-accounts': MANAGED, ...inputs },
  });
  const issue = gh.state.repos['octo/app']!.issues[0];
  return { aws, gh, run, issue, leaked, attack };
}

describe('an attacked live key', () => {
  it('leads the incident with what the attacker did, follows its sessions, contains persistence and flags the cost', async () => {
    const { aws, gh, run, issue, leaked, attack } = await attackedPush({
      'contain-persistence': 'true',
      'cost-check': 'true',
    });
    expect(run.outputs, run.stdout).toMatchObject({ findings: '1', 'live-keys': '1', issues: '[1]' });
    const body = issue!.body;
    expect(body.length).toBeLessThan(65_536);

    // It leads: right after the status, before where it leaked.
    expect(body.indexOf('## What the attacker did')).toBeGreaterThan(body.indexOf('## Status'));
    expect(body.indexOf('## What the attacker did')).toBeLessThan(body.indexOf('## Where it leaked'));

    // Every principal and resource created, by name or id; every attack call, by name.
    for (const id of attack.expect.created) expect(body, id).toContain(id);
    for (const name of attack.expect.calls) expect(body, name).toContain(name);
    // What the minted session did, with its path; reconnaissance counted, not listed.
    for (const name of attack.expect.sessionCalls) expect(body).toContain(`\`${name}\``);
    expect(body).toContain(`via role ops-admin, session key ${attack.expect.sessionKey}`);
    expect(body).toMatch(/\*\*Reconnaissance\*\*, counted not listed: 2,\d{3} calls/);
    expect(body).toContain('`DeleteTrail` **failed** (`AccessDenied`)');

    // Minted keys were looked up by their own ids, in every region.
    const followed = aws.requests.filter(
      (r) => r.action === 'LookupEvents' && JSON.stringify(r.params).includes(attack.expect.sessionKey),
    );
    expect(new Set(followed.map((r) => r.region))).toEqual(new Set(ATTACK_REGIONS));

    // Contained as far as the evidence goes, each with its undo.
    const acc = aws.state.accounts.get(MANAGED)!;
    expect(aws.state.keys.get(attack.expect.createdKey)!.status).toBe('Inactive');
    expect(acc.users.get('backup-admin')!.loginProfile).toBe(false);
    expect(acc.roles.get('ops-admin')!.inlinePolicies.has('AWSRevokeOlderSessions')).toBe(true);
    expect(body).toContain(
      `Undo: \`aws iam update-access-key --user-name backup-admin --access-key-id ${attack.expect.createdKey} --status Active\``,
    );
    expect(body).toContain(
      'Undo: `aws iam delete-role-policy --role-name ops-admin --policy-name AWSRevokeOlderSessions`',
    );

    // Honest runbook: what is left to remove keeps step 3 open; step 4 names resources and the spike.
    const step = (id: string) => body.split('\n').find((l) => l.includes(`<!-- keyleak:step ${id} -->`))!;
    expect(step('access')).toMatch(/^- \[ \] 3\..*items to remove.*3 contained/);
    expect(step('resources')).toMatch(/^- \[ \] 4\..*Cost Explorer.*EC2 instance `i-.*Cost spike on/);
    expect(body).toContain('**Cost spike**');

    // The limits, and the query that reaches past them.
    expect(body).toContain('management events of the last 90 days');
    expect(body).toContain(`WHERE useridentity.accesskeyid IN ('${leaked.keyId}'`);

    expect(secretNowhere(leaked.secret, run, gh)).toEqual([]);
  }, 300_000);

  it('in a dry run says what it would contain and changes nothing', async () => {
    const { aws, run, issue, attack } = await attackedPush({
      'contain-persistence': 'true',
      'dry-run': 'true',
    });
    expect(run.outputs, run.stdout).toMatchObject({ 'live-keys': '1' });
    const changed = aws.requests.filter((r) =>
      ['UpdateAccessKey', 'DeleteLoginProfile', 'PutRolePolicy', 'PutUserPolicy'].includes(r.action),
    );
    expect(changed).toEqual([]);
    expect(aws.state.keys.get(attack.expect.createdKey)!.status).toBe('Active');
    expect(issue!.body).toContain(
      `dry run, not done: deactivated access key of user backup-admin \`${attack.expect.createdKey}\``,
    );
    expect(issue!.body.length).toBeLessThan(65_536);
  }, 300_000);
});
