import { afterAll, afterEach, describe, expect, it, inject } from 'vitest';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import type { EmuIssue } from '../emulators/github/state.js';
import { git, pushPayload, runAction, secretNowhere, World } from './harness.js';

const dist = inject('actionDist');

const worlds: World[] = [];
const emus: GitHubEmulator[] = [];
afterEach(async () => {
  for (const e of emus.splice(0)) await e.close();
});
afterAll(() => {
  for (const w of worlds.splice(0)) w.cleanup();
});

const leak = (k: KeyPair) => `aws_access_key_id = ${k.keyId}\naws_secret_access_key = ${k.secret}\n`;

function pr(number: number): EmuIssue {
  return {
    number,
    title: `PR ${number}`,
    body: '',
    state: 'open',
    labels: [],
    user: 'dev',
    isPullRequest: true,
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-01T00:00:00Z',
  };
}

function prPayload(number: number, base: string, head: string, headRepo: string) {
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      base: { sha: base, ref: 'main', repo: { full_name: 'octo/app' } },
      head: { sha: head, ref: 'feature', repo: { full_name: headRepo } },
    },
  };
}

describe('pull_request', () => {
  it('comments once on a PR with a leaked key, updating rather than repeating, and opens its incident', async () => {
    const w = new World();
    worlds.push(w);
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'x\n' });
    w.push('main');
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    const head = w.commit('leak', { 'app.env': leak(k) });
    w.push('feature:refs/pull/1/head');
    const emu = await startGitHubEmulator(makeState(['octo/app']));
    emus.push(emu);
    emu.state.repos['octo/app']!.issues.push(pr(1));
    const args = {
      dist,
      emu,
      event: 'pull_request',
      payload: prPayload(1, base, head, 'octo/app'),
    };
    const run = await runAction({ ...args, workspace: w.checkout('feature', head, { depth: 1 }) });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs).toMatchObject({ findings: '1', issues: '[2]' });
    const repo = emu.state.repos['octo/app']!;
    expect(repo.comments).toHaveLength(1);
    expect(repo.comments[0]).toMatchObject({ issueNumber: 1 });
    expect(repo.comments[0]!.body).toContain('<!-- keyleak:pull-request -->');
    expect(repo.comments[0]!.body).toContain(k.keyId);
    expect(repo.comments[0]!.body).toContain('Incidents: #2.');
    expect(repo.issues.find((i) => i.number === 2)!.title).toContain(k.keyId);

    const again = await runAction({ ...args, workspace: w.checkout('feature', head, { depth: 1 }) });
    expect(again.outputs.findings).toBe('1');
    expect(repo.comments).toHaveLength(1);
    expect(secretNowhere(k.secret, again, emu)).toEqual([]);
  });

  it('reports a fork PR without verification and says so', async () => {
    const w = new World();
    worlds.push(w);
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'x\n' });
    w.push('main');
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    const head = w.commit('leak', { 'app.env': leak(k) });
    w.push('feature:refs/pull/3/head');
    const emu = await startGitHubEmulator(makeState(['octo/app']));
    emus.push(emu);
    emu.state.repos['octo/app']!.issues.push(pr(3));
    const run = await runAction({
      dist,
      emu,
      event: 'pull_request',
      payload: prPayload(3, base, head, 'someone/app'),
      workspace: w.checkout('main', base, { depth: 1 }),
    });
    expect(run.outputs).toMatchObject({ findings: '1', issues: '[]' });
    const repo = emu.state.repos['octo/app']!;
    expect(repo.issues).toHaveLength(1);
    expect(repo.comments).toHaveLength(1);
    expect(repo.comments[0]!.body).toContain('Not verified: fork pull request');
    expect(run.summary).toContain('Not verified: fork pull request');
    expect(secretNowhere(k.secret, run, emu)).toEqual([]);
  });
});

describe('/rescan', () => {
  async function incident() {
    const w = new World();
    worlds.push(w);
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'x\n' });
    const head = w.commit('leak', { 'app.env': leak(k) });
    w.push('main');
    const emu = await startGitHubEmulator(makeState(['octo/app']));
    emus.push(emu);
    const repo = emu.state.repos['octo/app']!;
    repo.collaborators = { mia: 'maintain', tom: 'triage' };
    const first = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', head),
      event: 'push',
      payload: pushPayload('refs/heads/main', base, head),
    });
    expect(first.outputs.issues).toBe('[1]');
    // Someone ticks a runbook step by hand.
    const issue = repo.issues[0]!;
    issue.body = issue.body.replace(/- \[ \] (2\..*keyleak:step channel)/, '- [x] $1');
    return { w, k, emu, repo, head };
  }

  function comment(emu: GitHubEmulator, user: string, body: string, issueNumber = 1) {
    const c = {
      id: emu.state.nextId++,
      issueNumber,
      body,
      user,
      createdAt: '2024-01-02T00:00:00Z',
      updatedAt: '2024-01-02T00:00:00Z',
      reactions: [],
    };
    emu.state.repos['octo/app']!.comments.push(c);
    return {
      action: 'created',
      issue: { number: issueNumber, ...(issueNumber === 99 ? { pull_request: { url: 'x' } } : {}) },
      comment: { id: c.id, body, user: { login: user }, author_association: 'OWNER' },
    };
  }

  it('by a maintainer: reacts, refreshes the body keeping ticked boxes, and comments what changed', async () => {
    const { w, k, emu, repo, head } = await incident();
    const n = emu.requests.length;
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', head, { depth: 1 }),
      event: 'issue_comment',
      payload: comment(emu, 'mia', '/rescan please'),
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.findings).toBe('1');
    const sent = emu.requests.slice(n).map((r) => `${r.method} ${r.path}`);
    expect(sent).toContain('GET /repos/octo/app/collaborators/mia/permission');
    expect(sent.filter((s) => !s.startsWith('GET'))).toEqual([
      expect.stringMatching(/^POST \/repos\/octo\/app\/issues\/comments\/\d+\/reactions$/),
      'PATCH /repos/octo/app/issues/1',
      'POST /repos/octo/app/issues/1/comments',
    ]);
    expect(repo.issues[0]!.body).toMatch(/- \[x\] 2\..*keyleak:step channel/);
    expect(repo.comments.at(-1)!.body).toContain('`/rescan` by @mia');
    expect(repo.comments.find((c) => c.body.startsWith('/rescan'))!.reactions.map((r) => r.content)).toEqual([
      'eyes',
    ]);
    expect(secretNowhere(k.secret, run, emu)).toEqual([]);
  });

  it('by someone with triage only: replies, and changes nothing', async () => {
    const { w, emu, repo, head } = await incident();
    const before = repo.issues[0]!.body;
    const n = emu.requests.length;
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', head, { depth: 1 }),
      event: 'issue_comment',
      payload: comment(emu, 'tom', '/rescan'),
    });
    expect(run.code, run.stdout).toBe(0);
    expect(
      emu.requests
        .slice(n)
        .filter((r) => r.method !== 'GET')
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual(['POST /repos/octo/app/issues/1/comments']);
    expect(repo.comments.at(-1)!.body).toContain('@tom `/rescan` needs write, maintain or admin permission');
    expect(repo.issues[0]!.body).toBe(before);
  });

  it('on an outsider’s copy of a real incident: one reply however often asked, nothing else', async () => {
    const { w, emu, repo, head } = await incident();
    // Same marker, state and label as keyleak's own incident, but opened by someone else.
    repo.issues.push({ ...repo.issues[0]!, number: 2, user: 'eve', labels: ['keyleak'] });
    const forged = repo.issues[1]!.body;
    const n = emu.requests.length;
    for (let i = 0; i < 2; i++) {
      const run = await runAction({
        dist,
        emu,
        workspace: w.checkout('main', head, { depth: 1 }),
        event: 'issue_comment',
        payload: comment(emu, 'mia', '/rescan', 2),
      });
      expect(run.code, run.stdout).toBe(0);
    }
    expect(
      emu.requests
        .slice(n)
        .filter((r) => r.method !== 'GET')
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual(['POST /repos/octo/app/issues/2/comments']);
    const replies = repo.comments.filter((c) => c.issueNumber === 2 && c.user !== 'mia');
    expect(replies.map((c) => c.body)).toEqual([expect.stringContaining('keyleak did not open it')]);
    expect(repo.issues[1]!.body).toBe(forged);
  });

  it('/deactivate on an incident that is not a dry run does nothing but say so', async () => {
    const { w, emu, repo, head } = await incident();
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', head, { depth: 1 }),
      event: 'issue_comment',
      payload: comment(emu, 'mia', '/deactivate'),
    });
    expect(run.code, run.stdout).toBe(0);
    expect(repo.comments.at(-1)!.body).toContain("this incident's containment is **nothing**");
  });
});
