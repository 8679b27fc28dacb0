import { afterAll, afterEach, describe, expect, it, inject } from 'vitest';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { git, pushPayload, runAction, secretNowhere, World, ZERO_SHA } from './harness.js';

const dist = inject('actionDist');

const worlds: World[] = [];
const emus: GitHubEmulator[] = [];
afterEach(async () => {
  for (const e of emus.splice(0)) await e.close();
});
afterAll(() => {
  for (const w of worlds.splice(0)) w.cleanup();
});

function world(): World {
  const w = new World();
  worlds.push(w);
  return w;
}

async function emulator(): Promise<GitHubEmulator> {
  const e = await startGitHubEmulator(makeState(['octo/app']));
  emus.push(e);
  return e;
}

const leak = (k: KeyPair) =>
  `region = eu-west-1\naws_access_key_id = ${k.keyId}\naws_secret_access_key = ${k.secret}\n`;

/** Methods and paths of the requests that changed something. */
function writes(emu: GitHubEmulator): string[] {
  return emu.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
}

describe('push', () => {
  it('opens one incident for a key pushed to main, reports it everywhere, and never shows the secret', async () => {
    const w = world();
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'hello\n' });
    const after = w.commit('add config', { 'config/prod.env': leak(k) });
    w.push('main');
    const emu = await emulator();
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', after),
      event: 'push',
      payload: pushPayload('refs/heads/main', base, after),
    });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs).toMatchObject({ findings: '1', 'live-keys': '0', issues: '[1]' });
    expect(writes(emu)).toEqual(['POST /repos/octo/app/labels', 'POST /repos/octo/app/issues']);
    const issue = emu.state.repos['octo/app']!.issues[0]!;
    expect(issue.title).toBe(`Leaked AWS key ${k.keyId} (not verified)`);
    expect(issue.labels).toEqual(['keyleak']);
    expect(issue.body).toContain(`<!-- keyleak:incident {"keyId":"${k.keyId}"} -->`);
    expect(issue.body).toContain(`https://github.com/octo/app/blob/${after}/config/prod.env#L2`);
    expect(issue.body).toContain('Verdict: **not verified**');
    expect(issue.body).toContain('CloudTrail was not read');
    expect(run.summary).toContain(k.keyId);
    expect(run.summary).toContain('#1');
    expect(run.stdout).toContain(`::add-mask::${k.secret}`);
    expect(run.stdout).toMatch(/::error title=.*,file=config\/prod.env,line=2::AWS access key/);
    expect(JSON.parse(run.sarif!).runs[0].results).toHaveLength(1);
    expect(secretNowhere(k.secret, run, emu)).toEqual([]);

    // A rerun of the same event finds the incident and changes nothing.
    const before = emu.requests.length;
    const again = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', after),
      event: 'push',
      payload: pushPayload('refs/heads/main', base, after),
    });
    expect(again.outputs.issues).toBe('[1]');
    expect(emu.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(emu.state.repos['octo/app']!.issues).toHaveLength(1);

    // The same key in a new place: the body is updated and exactly one comment says what changed.
    const after2 = w.commit('copy config', { 'deploy/ci.env': '# ci\n' + leak(k) });
    w.push('main');
    const n = emu.requests.length;
    const third = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', after2),
      event: 'push',
      payload: pushPayload('refs/heads/main', after, after2),
    });
    expect(third.outputs.issues).toBe('[1]');
    expect(
      emu.requests
        .slice(n)
        .filter((r) => r.method !== 'GET')
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual(['PATCH /repos/octo/app/issues/1', 'POST /repos/octo/app/issues/1/comments']);
    const repo = emu.state.repos['octo/app']!;
    expect(repo.issues[0]!.body).toContain('config/prod.env');
    expect(repo.issues[0]!.body).toContain('deploy/ci.env');
    expect(repo.comments).toHaveLength(1);
    expect(repo.comments[0]!.body).toContain('Found in 1 new location: `deploy/ci.env`:3');

    // Closed, then the key leaks again: reopened, with a comment.
    repo.issues[0]!.state = 'closed';
    const after3 = w.commit('again', { 'ops/old.env': '# old\n' + leak(k) });
    w.push('main');
    const fourth = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', after3),
      event: 'push',
      payload: pushPayload('refs/heads/main', after2, after3),
    });
    expect(fourth.outputs.issues).toBe('[1]');
    expect(repo.issues[0]!.state).toBe('open');
    expect(repo.comments).toHaveLength(2);
    expect(repo.comments[1]!.body).toContain('reopened');
    expect(secretNowhere(k.secret, fourth, emu)).toEqual([]);
  });

  it('scans only what a new branch adds to the other branches', async () => {
    const w = world();
    const old = makePair();
    const fresh = makePair();
    w.commit('old leak on main', { 'a.env': leak(old) });
    w.push('main');
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    const after = w.commit('feature leak', { 'b.env': leak(fresh) });
    w.push('feature');
    const emu = await emulator();
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('feature', after, { depth: 1 }),
      event: 'push',
      payload: pushPayload('refs/heads/feature', ZERO_SHA, after),
    });
    expect(run.outputs.findings, run.stdout).toBe('1');
    expect(emu.state.repos['octo/app']!.issues.map((i) => i.title)).toEqual([
      `Leaked AWS key ${fresh.keyId} (not verified)`,
    ]);
  });

  it('scans nothing and succeeds when the push deleted a branch', async () => {
    const w = world();
    const head = w.commit('init', { 'README.md': 'x\n' });
    w.push('main');
    const emu = await emulator();
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', head),
      event: 'push',
      payload: pushPayload('refs/heads/gone', head, ZERO_SHA),
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ findings: '0', issues: '[]' });
    expect(run.summary).toContain('deleted refs/heads/gone');
    expect(emu.requests).toEqual([]);
  });

  it('says in the incident that a force push leaves the replaced commits fetchable', async () => {
    const w = world();
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'x\n' });
    const replaced = w.commit('wip', { 'notes.txt': 'draft\n' });
    w.push('main');
    git(w.dev, 'reset', '-q', '--hard', base);
    const after = w.commit('rewrite', { 'app.env': leak(k) });
    w.push('--force', 'main');
    const emu = await emulator();
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', after, { depth: 1 }),
      event: 'push',
      payload: pushPayload('refs/heads/main', replaced, after, { forced: true }),
    });
    expect(run.outputs.findings, run.stdout).toBe('1');
    const body = emu.state.repos['octo/app']!.issues[0]!.body;
    expect(body).toContain(`force push (\`${replaced.slice(0, 12)}\` → \`${after.slice(0, 12)}\`)`);
    expect(body).toContain('stay fetchable by SHA');
  });

  it('deepens a shallow checkout to cover the whole pushed range', async () => {
    const w = world();
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'x\n' });
    w.push('main');
    w.commit('leak', { 'first.env': leak(k) });
    w.commit('remove it', { 'first.env': 'nothing here\n' });
    const after = w.commit('more', { 'other.txt': 'y\n' });
    w.push('main');
    const emu = await emulator();
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', after, { depth: 1 }),
      event: 'push',
      payload: pushPayload('refs/heads/main', base, after),
    });
    expect(run.stdout).toContain('deepening it by 50 commits');
    expect(run.outputs.findings, run.stdout).toBe('1');
    expect(run.summary).not.toContain('incomplete');
  });

  it('fails after reporting everything else when GitHub refuses the incident', async () => {
    const w = world();
    const k = makePair();
    const base = w.commit('init', { 'README.md': 'x\n' });
    const after = w.commit('leak', { 'app.env': leak(k) });
    w.push('main');
    const emu = await emulator();
    emu.state.faults.push({
      method: 'POST',
      path: /\/issues$/,
      status: 422,
      times: Infinity,
      body: { message: 'Validation Failed' },
    });
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', after),
      event: 'push',
      payload: pushPayload('refs/heads/main', base, after),
      inputs: { 'fail-on-findings': 'false' },
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ findings: '1', issues: '[]' });
    expect(JSON.parse(run.sarif!).runs[0].results).toHaveLength(1);
    expect(run.summary).toContain(`could not open or update the incident issue for ${k.keyId}`);
    expect(run.stdout).toMatch(
      /::error::keyleak: 1 GitHub or AWS step\(s\) could not be done: .*Validation Failed.*no incident was written/,
    );
    expect(secretNowhere(k.secret, run, emu)).toEqual([]);
  });

  it('fails with the reason when a shallow checkout cannot be deepened', async () => {
    const w = world();
    const base = w.commit('init', { 'README.md': 'x\n' });
    w.push('main');
    const after = w.commit('more', { 'other.txt': 'y\n' });
    w.push('main');
    const ws = w.checkout('main', after, { depth: 1 });
    git(ws, 'remote', 'set-url', 'origin', `file://${w.root}/no-such-remote.git`);
    const emu = await emulator();
    const run = await runAction({
      dist,
      emu,
      workspace: ws,
      event: 'push',
      payload: pushPayload('refs/heads/main', base, after),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::keyleak: the checkout is shallow and could not be deepened/);
    expect(run.stdout).toContain('fetch-depth: 0');
  });
});
