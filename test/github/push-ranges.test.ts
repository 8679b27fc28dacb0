import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GitHub } from '../../src/adapters/github.js';
import { Git } from '../../src/adapters/git.js';
import { NoVerification, type FlowDeps } from '../../src/commands/ports.js';
import { runPush } from '../../src/commands/push.js';
import { EMPTY_CONFIG } from '../../src/core/config.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from '../../src/core/render/incident.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { git, pushPayload, World, ZERO_SHA } from '../action/harness.js';

/**
 * One push of several refs starts one run per ref, each on its own checkout, in any order. Whatever the
 * shape of the push, every key it brings is reported by at least one of those runs.
 */

const leak = (k: KeyPair) => `aws_access_key_id = ${k.keyId}\naws_secret_access_key = ${k.secret}\n`;
const worlds: World[] = [];
const emus: GitHubEmulator[] = [];
afterEach(async () => {
  for (const e of emus.splice(0)) await e.close();
});
afterAll(() => worlds.forEach((w) => w.cleanup()));

function world(): World {
  const w = new World();
  worlds.push(w);
  return w;
}

/**
 * The runner's checkout for a push of `ref`, as actions/checkout leaves it: depth 1, or with
 * `fetch-depth: 0` every branch and tag.
 */
function runnerCheckout(w: World, ref: string, sha: string, full: boolean): string {
  if (ref.startsWith('refs/heads/') && !full)
    return w.checkout(ref.slice('refs/heads/'.length), sha, { depth: 1 });
  const dir = mkdtempSync(join(w.root, 'checkout-'));
  git(dir, 'init', '-q');
  git(dir, 'remote', 'add', 'origin', `file://${w.remote}`);
  if (full) git(dir, 'fetch', '-q', '--tags', 'origin', '+refs/heads/*:refs/remotes/origin/*');
  else git(dir, 'fetch', '-q', '--no-tags', '--depth=1', 'origin', `+${ref}:${ref}`);
  git(dir, 'checkout', '-q', '--detach', sha);
  return dir;
}

/**
 * Runs the push flow for one ref's event on a fresh checkout; returns the key ids it reported. `extra`
 * overrides fields of the event; a deleted ref's run checks out the default branch.
 */
async function run(
  w: World,
  ref: string,
  before = ZERO_SHA,
  full = false,
  extra: Record<string, unknown> = {},
): Promise<{ keys: string[]; notes: string[]; commits: number }> {
  const deleted = extra.after === ZERO_SHA;
  const after = deleted ? ZERO_SHA : git(w.remote, 'rev-parse', ref).trim();
  const checkout = deleted
    ? runnerCheckout(w, 'refs/heads/main', w.sha('main'), full)
    : runnerCheckout(w, ref, after, full);
  const emu = await startGitHubEmulator(makeState(['octo/app']));
  emus.push(emu);
  const deps: FlowDeps = {
    git: await Git.open(checkout),
    github: GitHub.create({
      token: 'test-token',
      baseUrl: emu.url,
      timing: { retryAfterBaseMs: 1, writeSpacingMs: { write: 0, notify: 0 } },
    }),
    responder: new NoVerification('verification is turned off (`verify: false`)'),
    config: EMPTY_CONFIG,
    jobs: 1,
    repo: { owner: 'octo', repo: 'app' },
    issueRepo: { owner: 'octo', repo: 'app' },
    serverUrl: 'https://github.com',
    runUrl: 'https://github.com/octo/app/actions/runs/1',
    contacts: DEFAULT_RUNBOOK_TEMPLATE,
    now: () => new Date('2024-01-02T00:00:00Z'),
    log: () => {},
    mask: () => {},
    uploadTrails: async () => null,
  };
  const out = await runPush(deps, pushPayload(ref, before, after, extra));
  return {
    keys: out.report.findings.map((f) => f.keyId).sort(),
    notes: out.notes,
    commits: out.report.stats.commitsScanned,
  };
}

/** A repository whose main branch holds one old key, already reported when it was pushed. */
function withHistory(): { w: World; old: KeyPair } {
  const w = world();
  const old = makePair();
  w.commit('init', { 'README.md': 'x\n' });
  w.commit('old leak', { 'old.env': leak(old) });
  w.commit('more', { 'README.md': 'y\n' });
  w.push('main');
  return { w, old };
}

describe('refs created by one push', () => {
  it.each([
    ['depth-1 checkouts', false],
    ['checkouts of every branch and tag', true],
  ])(
    'git push --follow-tags (%s): the branch run reports the key, the tag run the key in its message',
    async (_n, full) => {
      const { w } = withHistory();
      const k = makePair();
      const t = makePair();
      git(w.dev, 'checkout', '-q', '-b', 'release');
      w.commit('leak on release', { 'release.env': leak(k) });
      git(w.dev, 'tag', '-a', 'v1.0', '-m', `release notes\n${leak(t)}`);
      git(w.dev, 'push', '-q', '--follow-tags', 'origin', 'release');

      const branch = await run(w, 'refs/heads/release', ZERO_SHA, full);
      const tag = await run(w, 'refs/tags/v1.0', ZERO_SHA, full);
      expect(branch.keys).toEqual([k.keyId]);
      expect(tag.keys).toEqual([t.keyId]);
    },
  );

  it('two branches at one new commit: exactly one run reports its key', async () => {
    const { w } = withHistory();
    const k = makePair();
    git(w.dev, 'checkout', '-q', '-b', 'feature-a');
    w.commit('leak', { 'a.env': leak(k) });
    git(w.dev, 'branch', 'feature-b');
    w.push('feature-a', 'feature-b');

    const a = await run(w, 'refs/heads/feature-a', ZERO_SHA, true);
    const b = await run(w, 'refs/heads/feature-b', ZERO_SHA, true);
    expect([...a.keys, ...b.keys]).toEqual([k.keyId]);
  });

  it('a branch on top of another new branch: the key on the lower one is still reported', async () => {
    const { w } = withHistory();
    const k = makePair();
    const k2 = makePair();
    git(w.dev, 'checkout', '-q', '-b', 'feature-a');
    w.commit('leak', { 'a.env': leak(k) });
    git(w.dev, 'checkout', '-q', '-b', 'feature-b');
    w.commit('leak 2', { 'b.env': leak(k2) });
    w.push('feature-a', 'feature-b');

    const a = await run(w, 'refs/heads/feature-a');
    const b = await run(w, 'refs/heads/feature-b');
    expect(a.keys).toEqual([k.keyId]);
    expect(b.keys).toEqual([k2.keyId]);
  });

  it('two new branches diverging after a shared new commit: both report the shared key', async () => {
    const { w } = withHistory();
    const shared = makePair();
    const [ka, kb] = [makePair(), makePair()];
    git(w.dev, 'checkout', '-q', '-b', 'feature-a');
    w.commit('shared leak', { 'shared.env': leak(shared) });
    git(w.dev, 'checkout', '-q', '-b', 'feature-b');
    w.commit('b', { 'b.env': leak(kb) });
    git(w.dev, 'checkout', '-q', 'feature-a');
    w.commit('a', { 'a.env': leak(ka) });
    w.push('feature-a', 'feature-b');

    const a = await run(w, 'refs/heads/feature-a');
    const b = await run(w, 'refs/heads/feature-b');
    expect(a.keys).toEqual([shared.keyId, ka.keyId].sort());
    expect(b.keys).toEqual([shared.keyId, kb.keyId].sort());
  });

  it('a branch and the default branch pushed together: the default branch covers what they share', async () => {
    const { w } = withHistory();
    const before = w.sha('main');
    const onMain = makePair();
    const onFeature = makePair();
    w.commit('leak on main', { 'main.env': leak(onMain) });
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    w.commit('leak on feature', { 'feature.env': leak(onFeature) });
    w.push('main', 'feature');

    const main = await run(w, 'refs/heads/main', before);
    const feature = await run(w, 'refs/heads/feature');
    expect(main.keys).toEqual([onMain.keyId]);
    expect(feature.keys).toEqual([onFeature.keyId]);
  });

  it('a branch started from an older commit of the default branch does not report its old keys again', async () => {
    const { w } = withHistory();
    const k = makePair();
    git(w.dev, 'checkout', '-q', '-b', 'feature', 'main~1');
    w.commit('leak', { 'f.env': leak(k) });
    git(w.dev, 'checkout', '-q', 'main');
    w.commit('main moves on', { 'README.md': 'z\n' });
    w.push('main');
    w.push('feature');
    expect((await run(w, 'refs/heads/feature')).keys).toEqual([k.keyId]);
  });

  it('the default branch created with a tag on its history scans its whole history', async () => {
    const w = world();
    const [k1, k2] = [makePair(), makePair()];
    w.commit('one', { 'one.env': leak(k1) });
    git(w.dev, 'tag', 'v0');
    w.commit('two', { 'two.env': leak(k2) });
    git(w.dev, 'push', '-q', 'origin', 'main', 'v0');
    const main = await run(w, 'refs/heads/main', ZERO_SHA, true);
    const tag = await run(w, 'refs/tags/v0', ZERO_SHA, true);
    expect(main.keys).toEqual([k1.keyId, k2.keyId].sort());
    expect(tag.keys).toEqual([]);
  });
});

/**
 * Force-pushes `branch` (and `others` with it) over history the remote then forgets, as when the runner
 * cannot fetch the replaced commit; returns that commit.
 */
function forcePushForgetting(w: World, branch: string, ...others: string[]): string {
  const replaced = git(w.remote, 'rev-parse', `refs/heads/${branch}`).trim();
  w.push('--force', branch, ...others);
  git(w.remote, 'reflog', 'expire', '--expire=now', '--all');
  git(w.remote, 'gc', '-q', '--prune=now');
  return replaced;
}

describe('tags, which may have had no run of their own', () => {
  it('a branch built on tags pushed four at once (GitHub starts no run for them) reports their key', async () => {
    const { w } = withHistory();
    const k = makePair();
    git(w.dev, 'checkout', '-q', '-b', 'tmp');
    w.commit('leak, only ever tagged', { 'tagged.env': leak(k) });
    for (const t of ['t1', 't2', 't3', 't4']) git(w.dev, 'tag', t);
    git(w.dev, 'push', '-q', 'origin', 't1', 't2', 't3', 't4');
    git(w.dev, 'checkout', '-q', '-b', 'feature', 't1');
    w.commit('more', { 'more.txt': 'x\n' });
    w.push('feature');
    expect((await run(w, 'refs/heads/feature', ZERO_SHA, true)).keys).toEqual([k.keyId]);
  });
});

describe('force pushes whose replaced commit cannot be fetched', () => {
  it('a branch created at the same commit by the same push does not hide the key', async () => {
    const { w } = withHistory();
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    w.commit('wip', { 'wip.txt': 'draft\n' });
    w.push('feature');
    const k = makePair();
    git(w.dev, 'reset', '-q', '--hard', 'main');
    w.commit('rewrite', { 'app.env': leak(k) });
    git(w.dev, 'branch', 'feature-copy');
    const replaced = forcePushForgetting(w, 'feature', 'feature-copy');

    const forced = await run(w, 'refs/heads/feature', replaced, true, { forced: true });
    const copy = await run(w, 'refs/heads/feature-copy', ZERO_SHA, true);
    expect([...forced.keys, ...copy.keys]).toEqual([k.keyId]);
    expect(forced.keys).toEqual([k.keyId]);
    expect(forced.notes.join('\n')).toContain(
      `the replaced commit ${replaced.slice(0, 12)} could not be fetched, so what the push replaced is unknown: scanned the commits that neither the default branch nor the branches it builds on hold`,
    );
  });

  it.each([
    ['depth-1 checkout', false],
    ['checkout of every branch', true],
  ])('a branch on top of one moved by the same push: each run reports its own key (%s)', async (_n, full) => {
    const { w } = withHistory();
    git(w.dev, 'checkout', '-q', '-b', 'feature-a');
    w.commit('a', { 'a.txt': 'a\n' });
    git(w.dev, 'checkout', '-q', '-b', 'feature-b');
    w.commit('wip', { 'wip.txt': 'draft\n' });
    w.push('feature-a', 'feature-b');
    const beforeA = w.sha('feature-a');
    const [ka, kb] = [makePair(), makePair()];
    git(w.dev, 'checkout', '-q', 'feature-a');
    w.commit('leak a', { 'a.env': leak(ka) });
    git(w.dev, 'checkout', '-q', '-B', 'feature-b');
    w.commit('leak b', { 'b.env': leak(kb) });
    const replaced = forcePushForgetting(w, 'feature-b', 'feature-a');

    const a = await run(w, 'refs/heads/feature-a', beforeA, full);
    const b = await run(w, 'refs/heads/feature-b', replaced, full, { forced: true });
    expect(a.keys).toEqual([ka.keyId]);
    expect([...a.keys, ...b.keys].sort()).toEqual([ka.keyId, kb.keyId].sort());
  });

  it.each([
    ['depth-1 checkout', false],
    ['checkout of every branch', true],
  ])('the default branch leans on no other ref: its whole history is scanned (%s)', async (_n, full) => {
    const { w, old } = withHistory();
    const k = makePair();
    git(w.dev, 'reset', '-q', '--hard', 'main~1');
    w.commit('rewrite', { 'app.env': leak(k) });
    git(w.dev, 'branch', 'copy');
    const replaced = forcePushForgetting(w, 'main', 'copy');

    const main = await run(w, 'refs/heads/main', replaced, full, { forced: true });
    expect(main.keys).toEqual([old.keyId, k.keyId].sort());
    expect(main.notes.join('\n')).toContain(
      'so what the push replaced is unknown: scanned its whole history, as no other ref is known to be scanned on its own',
    );
  });
});

describe('what each push shape says it scanned', () => {
  it('before all zeros on a branch the event does not call created: scanned as a new ref, and said', async () => {
    const { w } = withHistory();
    const k = makePair();
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    w.commit('leak', { 'f.env': leak(k) });
    w.push('feature');
    const out = await run(w, 'refs/heads/feature', ZERO_SHA, true, { created: false });
    expect(out.keys).toEqual([k.keyId]);
    expect(out.commits).toBe(1);
    expect(out.notes.slice(0, 2)).toEqual([
      'the push event gives no previous commit for refs/heads/feature (before is all zeros) but does not say it was created: it is scanned as a new one',
      'new branch refs/heads/feature: scanned the commits that neither the default branch nor the branches it builds on hold; their commits are scanned by their own pushes and were not scanned again',
    ]);
  });

  it.each([
    ['an annotated tag', ['-a', '-m', 'release'], 'new annotated tag refs/tags/v1 (its message included)'],
    ['a lightweight tag', [], 'new tag refs/tags/v1'],
  ])('%s on the default branch scans no commit again, and says so', async (_n, args, lead) => {
    const { w } = withHistory();
    git(w.dev, 'tag', ...args, 'v1');
    git(w.dev, 'push', '-q', 'origin', 'v1');
    const out = await run(w, 'refs/tags/v1', ZERO_SHA, true);
    expect(out.keys).toEqual([]);
    expect(out.commits).toBe(0);
    expect(out.notes).toEqual([
      `${lead}: scanned the commits that neither the default branch nor the branches it builds on hold; their commits are scanned by their own pushes and were not scanned again`,
    ]);
  });

  it.each([
    [
      'a branch',
      'refs/heads/feature',
      ['checkout', '-q', '-b', 'feature'],
      ['push', '-q', 'origin', '--delete', 'feature'],
    ],
    ['a tag', 'refs/tags/v1', ['tag', 'v1'], ['push', '-q', 'origin', '--delete', 'v1']],
  ])('deleting %s scans nothing, and says what it held', async (_n, ref, make, remove) => {
    const { w } = withHistory();
    git(w.dev, ...make);
    git(w.dev, 'push', '-q', 'origin', ref);
    const held = git(w.remote, 'rev-parse', ref).trim();
    git(w.dev, ...remove);
    const out = await run(w, ref, held, true, { after: ZERO_SHA });
    expect(out.keys).toEqual([]);
    expect(out.commits).toBe(0);
    expect(out.notes).toEqual([
      `the push deleted ${ref} (it was at ${held.slice(0, 12)}): a deletion brings no commits, so nothing was scanned, and the commits the ref held were not scanned again.`,
    ]);
  });
});
