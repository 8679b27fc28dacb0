import { describe, expect, it, inject } from 'vitest';
import { startAwsEmulator, type AwsEmulator, type Fault } from '../emulators/aws/index.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { MANAGED, useEmulatorEnv } from '../aws/world.js';
import { trackCleanups } from './cleanups.js';
import { attackerEvents, pushPayload, runAction, secretNowhere, World } from './harness.js';

const dist = inject('actionDist');

const { worlds, closers } = trackCleanups();

/** Calls that change something in AWS; none may happen in a dry run or on an unknown verdict. */
const CHANGES = new Set([
  'UpdateAccessKey',
  'DeleteAccessKey',
  'PutUserPolicy',
  'AttachUserPolicy',
  'CreateAccessKey',
  'CreateUser',
]);

interface Live {
  w: World;
  gh: GitHubEmulator;
  aws: AwsEmulator;
  leaked: KeyPair;
  responder: KeyPair;
}

/** A developer pushes a live key of a managed account; AWS and GitHub are emulated. */
async function livePush(inputs: Record<string, string>, faults: Fault[] = []) {
  const leaked = makePair('AKIA', MANAGED);
  const responder = makePair('AKIA', MANAGED);
  const aws = await startAwsEmulator({
    accounts: [
      {
        id: MANAGED,
        regions: ['us-east-1', 'eu-west-1'],
        users: [
          { name: 'keyleak-responder', keys: [{ id: responder.keyId, secret: responder.secret }] },
          { name: 'deploy-bot', keys: [{ id: leaked.keyId, secret: leaked.secret }] },
        ],
        events: attackerEvents(leaked.keyId),
      },
    ],
    lookupEventsPerSecond: null,
    faults,
  });
  closers.push(aws);
  useEmulatorEnv(aws, responder);
  const gh = await startGitHubEmulator(makeState(['octo/app']));
  closers.push(gh);
  const w = new World();
  worlds.push(w);
  const base = w.commit('init', { 'README.md': 'hello\n' });
  const after = w.commit('add deploy config', {
    'config/deploy.ini': `[default]\nregion = eu-west-1\naws_access_key_id = ${leaked.keyId}\naws_secret_access_key = ${leaked.secret}\n`,
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
  const live: Live = { w, gh, aws, leaked, responder };
  return { ...live, run, issue: gh.state.repos['octo/app']!.issues[0] };
}

/** Where the secret travelled to AWS other than as the signing key: it must be nowhere. */
function secretOnTheWire(aws: AwsEmulator, secret: string): string[] {
  return aws.requests
    .filter((r) => JSON.stringify(r.raw.headers).includes(secret) || r.raw.body.includes(secret))
    .map((r) => `${r.service}:${r.action}`);
}

const changes = (aws: AwsEmulator) => aws.requests.filter((r) => CHANGES.has(r.action));

describe('a live key pushed to main', () => {
  it('is verified, deactivated with the responder, its CloudTrail read in every region, and reported', async () => {
    const { aws, gh, run, issue, leaked, responder } = await livePush({});
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs).toMatchObject({ findings: '1', 'live-keys': '1', issues: '[1]' });

    // Verified with the found pair, and nothing else done with it.
    const signedByLeak = aws.requests.filter((r) => r.accessKeyId === leaked.keyId);
    expect(signedByLeak.map((r) => `${r.service}:${r.action}`)).toEqual(['sts:GetCallerIdentity']);
    expect(signedByLeak[0]!.status).toBe(200);

    // Contained by the responder.
    const updates = changes(aws);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      action: 'UpdateAccessKey',
      accessKeyId: responder.keyId,
      status: 200,
      params: { AccessKeyId: leaked.keyId, Status: 'Inactive', UserName: 'deploy-bot' },
    });
    expect(aws.state.keys.get(leaked.keyId)!.status).toBe('Inactive');

    // CloudTrail read in each enabled region.
    const lookups = aws.requests.filter((r) => r.action === 'LookupEvents');
    expect(new Set(lookups.map((r) => r.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
    expect(lookups.every((r) => r.accessKeyId === responder.keyId && r.status === 200)).toBe(true);

    expect(issue!.title).toBe(`Leaked AWS key ${leaked.keyId} (live, deactivated)`);
    const body = issue!.body;
    expect(body).toContain('Verdict: **live**');
    expect(body).toContain(
      `| Containment | **deactivated**: deactivated with iam:UpdateAccessKey (Status=Inactive, UserName=deploy-bot) as arn:aws:iam::${MANAGED}:user/keyleak-responder. (`,
    );
    expect(body).toContain('## CloudTrail activity');
    expect(body).toContain('## What the attacker did');
    expect(body).toContain('via role ops-admin, session key ASIA');
    expect(body).toContain('### By source IP');
    expect(body).toContain('### By call');
    expect(body).toMatch(/in 2 regions: \*\*\d+ events\*\*/);
    expect(body).toContain('203.0.113.66');
    expect(body).toContain('CreateUser');
    expect(body).toContain('eu-west-1');
    expect(body).toContain('```mermaid');

    expect(secretNowhere(leaked.secret, run, gh)).toEqual([]);
    expect(secretNowhere(responder.secret, run, gh)).toEqual([]);
    expect(JSON.stringify(aws.requests.map((r) => r.params))).not.toContain(leaked.secret);
    expect(secretOnTheWire(aws, leaked.secret)).toEqual([]);
    expect(secretOnTheWire(aws, responder.secret)).toEqual([]);
  });

  it('changes nothing in AWS in a dry run, and says what it would have done', async () => {
    const { aws, gh, run, issue, leaked } = await livePush({ 'dry-run': 'true' });
    expect(run.outputs, run.stdout).toMatchObject({ findings: '1', 'live-keys': '1', issues: '[1]' });
    expect(changes(aws)).toEqual([]);
    expect(aws.state.keys.get(leaked.keyId)!.status).toBe('Active');
    expect(issue!.body).toContain('Verdict: **live**');
    expect(issue!.title).toBe(`Leaked AWS key ${leaked.keyId} (live, dry run)`);
    expect(issue!.body).toContain(
      '**dry-run**: would deactivate the key of user deploy-bot in account 123456789012 with iam:UpdateAccessKey (Status=Inactive); nothing was changed.',
    );
    expect(issue!.body).toContain('## CloudTrail activity');
    expect(secretNowhere(leaked.secret, run, gh)).toEqual([]);
    expect(secretOnTheWire(aws, leaked.secret)).toEqual([]);
  });

  it('changes nothing when STS cannot answer, and calls the key unknown', async () => {
    const { aws, gh, run, issue, leaked } = await livePush({}, [
      { kind: '5xx', service: 'sts', action: 'GetCallerIdentity' },
    ]);
    expect(run.outputs, run.stdout).toMatchObject({ findings: '1', 'live-keys': '0', issues: '[1]' });
    expect(
      aws.requests.filter((r) => r.action === 'GetCallerIdentity' && r.accessKeyId === leaked.keyId),
    ).not.toHaveLength(0);
    expect(changes(aws)).toEqual([]);
    expect(aws.state.keys.get(leaked.keyId)!.status).toBe('Active');
    expect(issue!.title).toBe(`Leaked AWS key ${leaked.keyId} (unknown)`);
    expect(issue!.body).toContain('Verdict: **unknown**');
    expect(secretNowhere(leaked.secret, run, gh)).toEqual([]);
    expect(secretOnTheWire(aws, leaked.secret)).toEqual([]);
  });
});
