import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Git, setParallelWalk, type CommitChanges, type HistorySelection } from '../../src/adapters/git.js';
import { TestRepo } from '../helpers/repo.js';

/**
 * The git adapter's domain verbs, on real repositories: an origin with two branches and a tag, and
 * clones of it as the runner leaves them (shallow, or whole).
 */

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.cleanup()));

function repo(opts: { bare?: boolean } = {}): TestRepo {
  const r = TestRepo.create(opts);
  repos.push(r);
  return r;
}

function origin(): { dev: TestRepo; main: string[]; side: string; tagged: string } {
  const dev = repo();
  const main = [dev.commit('one', { 'a.txt': '1\n' }), dev.commit('two', { 'a.txt': '2\n' })];
  dev.git('checkout', '-q', '-b', 'side');
  const side = dev.commit('side', { 'b.txt': 'b\n' });
  dev.git('checkout', '-q', 'main');
  dev.git('checkout', '-q', '--detach', main[0]!);
  const tagged = dev.commit('tagged', { 'c.txt': 'c\n' });
  dev.git('tag', 'v1');
  dev.git('checkout', '-q', 'main');
  return { dev, main, side, tagged };
}

/** A clone of `from` holding only `main`, `depth` commits deep (0: whole). */
async function checkout(
  from: TestRepo,
  depth: number,
  withOrigin = true,
): Promise<{ git: Git; dir: TestRepo }> {
  const c = repo();
  c.git('remote', 'add', 'origin', `file://${from.dir}`);
  c.git(
    'fetch',
    '-q',
    '--no-tags',
    ...(depth ? [`--depth=${depth}`] : []),
    'origin',
    '+main:refs/remotes/origin/main',
  );
  c.git('checkout', '-q', '--detach', 'origin/main');
  if (!withOrigin) c.git('remote', 'remove', 'origin');
  return { git: await Git.open(c.dir), dir: c };
}

async function commitsOf(git: Git, sel: HistorySelection): Promise<string[]> {
  const shas: string[] = [];
  await git.logChanges(sel, (c) => shas.push(c.sha));
  return shas.sort();
}

interface FetchCase {
  name: string;
  depth: number;
  withOrigin: boolean;
  opts: { tags?: boolean; always?: boolean };
  shallowAfter: boolean;
  said: string[];
}

describe('fetching the whole history', () => {
  it.each<FetchCase>([
    {
      name: 'a shallow checkout with origin is unshallowed, with every branch, said once',
      depth: 1,
      withOrigin: true,
      opts: {},
      shallowAfter: false,
      said: ['fetching the whole history from origin (a test needs it)'],
    },
    {
      name: 'a whole checkout is left alone unless the branches are wanted anyway',
      depth: 0,
      withOrigin: true,
      opts: {},
      shallowAfter: false,
      said: [],
    },
    {
      name: 'a whole checkout gets every branch and tag when asked always',
      depth: 0,
      withOrigin: true,
      opts: { always: true, tags: true },
      shallowAfter: false,
      said: ['fetching the whole history from origin (a test needs it)'],
    },
    {
      name: 'a whole checkout without origin has nothing to fetch',
      depth: 0,
      withOrigin: false,
      opts: { always: true },
      shallowAfter: false,
      said: [],
    },
  ])('$name', async ({ depth, withOrigin, opts, shallowAfter, said }) => {
    const o = origin();
    const { git } = await checkout(o.dev, depth, withOrigin);
    const log: string[] = [];
    await git.fetchWholeHistory('a test needs it', (m) => log.push(m), opts);
    expect(log).toEqual(said);
    expect(await git.isShallow()).toBe(shallowAfter);
    if (said.length > 0) {
      expect(await git.hasCommit(o.side)).toBe(true);
      expect(await git.hasCommit(o.tagged)).toBe(opts.tags === true);
    }
  });

  it('a shallow checkout without origin fails naming why the history was needed and the fix', async () => {
    const o = origin();
    const { git } = await checkout(o.dev, 1, false);
    await expect(git.fetchWholeHistory('a test needs it', () => {})).rejects.toThrow(
      "the checkout is shallow and has no 'origin' remote to fetch the whole history from (a test needs it). Use fetch-depth: 0 on actions/checkout.",
    );
  });

  it('a fetch that fails says so with the reason and the fix', async () => {
    const o = origin();
    const { git, dir } = await checkout(o.dev, 1);
    dir.git('remote', 'set-url', 'origin', `file://${dir.dir}/no-such-remote.git`);
    await expect(git.fetchWholeHistory('a test needs it', () => {})).rejects.toThrow(
      /^could not fetch the whole history from origin \(a test needs it\): git fetch .*Use fetch-depth: 0 on actions\/checkout\.$/s,
    );
  });
});

describe('history selections', () => {
  it('the whole history is every branch and tag, with the remote-tracking branches only when asked', async () => {
    const o = origin();
    const { git } = await checkout(o.dev, 0);
    await git.fetchWholeHistory('a test needs it', () => {}, { always: true, tags: true });
    expect(await commitsOf(git, { mode: 'all', remotes: true })).toEqual(
      [...o.main, o.side, o.tagged].sort(),
    );
    // The clone's own branches: none; HEAD and the tag.
    expect(await commitsOf(git, { mode: 'all', remotes: false })).toEqual([...o.main, o.tagged].sort());
  });

  it('a range is what its tips reach and its start does not', async () => {
    const o = origin();
    const git = await Git.open(o.dev.dir);
    expect(await commitsOf(git, { mode: 'range', include: [o.side], exclude: [o.main[1]!] })).toEqual([
      o.side,
    ]);
  });
});

describe('refs holding a commit', () => {
  it.each([
    { scope: 'local', want: ['refs/heads/main', 'refs/heads/side', 'refs/tags/v1'] },
    { scope: 'tags', want: ['refs/tags/v1'] },
    { scope: 'remote', want: [] },
  ] as const)('$scope: $want', async ({ scope, want }) => {
    const o = origin();
    const git = await Git.open(o.dev.dir);
    expect((await git.refsHolding(o.main[0]!, scope)).sort()).toEqual(want);
  });
});

describe('the idle watchdog', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('a git child that writes nothing for KEYLEAK_GIT_IDLE_SECONDS is stopped, and the error says why', async () => {
    vi.stubEnv('KEYLEAK_GIT_IDLE_SECONDS', '1');
    const o = origin();
    const clone = repo();
    clone.git('remote', 'add', 'origin', `file://${o.dev.dir}`);
    // An upload-pack that never answers (and ends when git's end of the pipe closes): the fetch waits.
    clone.git('config', 'remote.origin.uploadpack', 'cat >/dev/null #');
    const git = await Git.open(clone.dir);
    await expect(git.fetchCommits(['main'])).rejects.toThrow(
      /git fetch origin main: git fetch made no progress for 1 s and was stopped .*KEYLEAK_GIT_IDLE_SECONDS/,
    );
  });
});

describe('a walk limited to some file versions', () => {
  it('lists only the commits that changed a path to or from them, with those changes alone', async () => {
    const o = origin();
    const git = await Git.open(o.dev.dir);
    const two = o.dev.git('rev-parse', `${o.main[1]}:a.txt`).trim();
    const seen: { sha: string; changes: string[] }[] = [];
    await git.logChanges(
      { mode: 'all', remotes: false },
      (c) => seen.push({ sha: c.sha, changes: c.changes.map((ch) => `${ch.path} ${ch.oid}`) }),
      [],
      [two],
    );
    expect(seen).toEqual([{ sha: o.main[1]!, changes: [`a.txt ${two}`] }]);
  });

  it('tells which commits the selected history holds, walking commits alone', async () => {
    const o = origin();
    const git = await Git.open(o.dev.dir);
    o.dev.git('checkout', '-q', '-b', 'gone');
    const gone = o.dev.commit('gone', { 'g.txt': 'g\n' });
    o.dev.git('checkout', '-q', 'main');
    o.dev.git('branch', '-q', '-D', 'gone');
    const among = await git.commitsAmong({ mode: 'all', remotes: false }, new Set([o.side, o.tagged, gone]));
    expect([...among].sort()).toEqual([o.side, o.tagged].sort());
  });
});

describe('a walk kept while other work runs', () => {
  const all: HistorySelection = { mode: 'all', remotes: false };
  const listed = async (walk: (on: (c: CommitChanges) => void) => Promise<void>) => {
    const seen: CommitChanges[] = [];
    await walk((c) => seen.push(c));
    return seen;
  };

  it('replays what the walk of the history gives, as often as asked', async () => {
    const o = origin();
    o.dev.commit('odd names', { 'tab\there.txt': 'x\n', 'new\nline.txt': 'y\n', 'ü.txt': 'z\n' });
    const git = await Git.open(o.dev.dir);
    const truth = await listed((on) => git.logChanges(all, on));
    expect(truth.length).toBeGreaterThan(3);
    const kept = git.keepChanges(all, 1 << 20);
    expect(await kept.whole()).toBe(true);
    expect(await listed((on) => kept.replay(on))).toEqual(truth);
    expect(await listed((on) => kept.replay(on))).toEqual(truth);
    kept.discard();
  });

  it('leaves no file behind, and a walk discarded early is stopped', async () => {
    const o = origin();
    const git = await Git.open(o.dev.dir);
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('keyleak-walk-'));
    const kept = git.keepChanges(all, 1 << 20);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('keyleak-walk-') && !before.includes(f))).toEqual(
      [],
    );
    kept.discard();
    expect(await kept.whole()).toBe(true); // stopped: said as a failure, not as outgrowing its bound
    await expect(kept.replay(() => {})).rejects.toThrow(/stopped/);
  });

  it('past its bound, git is stopped and a replay walks again', async () => {
    const o = origin();
    const git = await Git.open(o.dev.dir);
    const truth = await listed((on) => git.logChanges(all, on));
    const walks = vi.spyOn(Git.prototype, 'logChanges');
    try {
      const kept = git.keepChanges(all, 10);
      expect(await kept.whole()).toBe(false);
      expect(await listed((on) => kept.replay(on))).toEqual(truth);
      expect(walks).toHaveBeenCalledTimes(1);
      kept.discard();
    } finally {
      walks.mockRestore();
    }
  });

  it('a walk git cannot finish rejects the replay with what git said', async () => {
    const o = origin();
    const tree = o.dev.git('rev-parse', `${o.main[1]}^{tree}`).trim();
    rmSync(join(o.dev.dir, '.git', 'objects', tree.slice(0, 2), tree.slice(2)));
    const git = await Git.open(o.dev.dir);
    const kept = git.keepChanges(all, 1 << 20);
    await expect(kept.replay(() => {})).rejects.toThrow(new RegExp(`git log failed: .*${tree}`));
    kept.discard();
  });
});

describe('a walk limited to some file versions, shared between processes', () => {
  const all: HistorySelection = { mode: 'all', remotes: false };
  it('gives the same commits, with the same changes, in the same order as one walk', async () => {
    const o = origin();
    const versions: string[] = [];
    for (let i = 0; i < 9; i++) {
      const sha = o.dev.commit(`v${i}`, { 'a.txt': `${i % 3}\n`, [`f${i}.txt`]: `${i}\n` });
      versions.push(o.dev.git('rev-parse', `${sha}:a.txt`).trim());
    }
    o.dev.git('checkout', '-q', 'side');
    o.dev.commit('side again', { 'a.txt': '1\n' });
    o.dev.git('checkout', '-q', 'main');
    o.dev.git('merge', '-q', '--no-edit', 'side');
    const git = await Git.open(o.dev.dir);
    const wanted = [...new Set(versions)];
    const walk = async (parallel: number) => {
      const seen: CommitChanges[] = [];
      await git.logChanges(all, (c) => seen.push(c), [], wanted, parallel);
      return seen;
    };
    const one = await walk(1);
    expect(one.length).toBeGreaterThan(5);
    const before = setParallelWalk({ min: 1, block: 2 });
    const started = vi.spyOn(
      Git.prototype as unknown as { streamTokens: (...a: unknown[]) => Promise<void> },
      'streamTokens',
    );
    try {
      expect(await walk(3)).toEqual(one);
      // rev-list, then one `log --no-walk` per process
      expect(started).toHaveBeenCalledTimes(4);
    } finally {
      started.mockRestore();
      setParallelWalk(before);
    }
  });
});
