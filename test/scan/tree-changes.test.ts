import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Git, pathspecInput, type CommitChanges, type HistorySelection } from '../../src/adapters/git.js';
import { openStore, type OpenStore } from '../../src/scan/first-pass.js';
import { changesOnThread, changesOnWorker } from '../../src/scan/threads.js';
import {
  changesFromPacks,
  diffFromPacks,
  diffPairs,
  treesHolding,
  type Entry,
  type TreePairs,
} from '../../src/scan/tree-changes.js';
import { bundle } from '../helpers/bundle.js';
import { TestRepo } from '../helpers/repo.js';

const ALL: HistorySelection = { mode: 'all', remotes: false };

let repos: TestRepo[] = [];
let stores: OpenStore[] = [];
afterEach(() => {
  for (const s of stores) for (const p of s.packs) p.close();
  for (const r of repos) r.cleanup();
  repos = [];
  stores = [];
});

/**
 * A history of every shape a tree diff meets: nested and renamed files, the same version at two paths and
 * again after a delete, a mode-only change, a file turned into a link to the same bytes, a directory
 * turned into a file and back, names with spaces, a line break, non-UTF-8 bytes, a submodule, merges
 * (one resolving a conflict), a second root, a commit only a tag reaches, and an empty commit.
 */
function historyOfEveryShape(): TestRepo {
  const r = TestRepo.create();
  repos.push(r);
  r.commit('root', { 'a/b/c/deep.txt': 'deep v1\n', 'top.txt': 'top v1\n', 'a/sibling.txt': 'sib\n' });
  r.commit('edit and copy', { 'a/b/c/deep.txt': 'deep v2\n', 'copy/deep.txt': 'deep v2\n' });
  r.commit('delete', { 'copy/deep.txt': null });
  r.commit('re-add the same version', { 'again/deep.txt': 'deep v2\n' });
  r.git('update-index', '--chmod=+x', 'top.txt');
  r.commit('mode only');
  r.commit('a file with the bytes of a link', { link: 'top.txt' });
  r.remove('link');
  symlinkSync('top.txt', join(r.dir, 'link'));
  r.commit('the file becomes a link to the same bytes');
  r.commit('a directory', { 'flip/inner.txt': 'inner\n' });
  rmSync(join(r.dir, 'flip'), { recursive: true });
  r.commit('the directory becomes a file', { flip: 'inner\n' });
  r.remove('flip');
  r.commit('and a directory again', { 'flip/inner.txt': 'inner\n' });
  const odd = Buffer.concat([
    Buffer.from(join(r.dir, 'odd/caf')),
    Buffer.from([0xe9, 0xff]),
    Buffer.from('.txt'),
  ]);
  mkdirSync(join(r.dir, 'odd'), { recursive: true });
  writeFileSync(odd, 'latin1 name\n');
  r.commit('odd names', {
    'odd/with space.txt': 'spaced\n',
    'odd/line\nbreak.txt': 'broken\n',
    'odd/é.txt': 'accent\n',
  });
  r.git('update-index', '--add', '--cacheinfo', `160000,${r.head()},sub`);
  r.git('commit', '-q', '-m', 'a submodule');
  r.git('checkout', '-q', '-b', 'side');
  r.commit('side work', { 'side/file.txt': 'side\n', 'a/b/c/deep.txt': 'deep side\n' });
  r.git('checkout', '-q', 'main');
  r.commit('main work', { 'main.txt': 'main\n' });
  r.git('merge', '-q', '--no-edit', 'side');
  r.git('checkout', '-q', '-b', 'conflict');
  r.commit('conflict side', { 'top.txt': 'top conflict\n' });
  r.git('checkout', '-q', 'main');
  r.commit('conflict main', { 'top.txt': 'top main\n' });
  try {
    r.git('merge', '-q', 'conflict');
  } catch {
    // resolved below
  }
  r.commit('resolution', { 'top.txt': 'top resolved\n' });
  r.git('checkout', '-q', '--orphan', 'other-root');
  r.git('rm', '-rfq', '.');
  r.commit('second root', { 'elsewhere.txt': 'deep v1\n' });
  r.git('checkout', '-q', '-b', 'tagged');
  r.commit('tag-only', { 'a/b/c/deep.txt': 'only the tag\n' });
  r.git('tag', '-a', 'v1', '-m', 'v1');
  r.git('checkout', '-q', 'main');
  r.git('branch', '-q', '-D', 'tagged');
  r.commit('empty');
  r.git('repack', '-a', '-d', '-q', '--depth=50', '--window=50');
  return r;
}

async function open(r: TestRepo): Promise<{ git: Git; store: OpenStore }> {
  const git = await Git.open(r.dir);
  const store = (await openStore(git))!;
  stores.push(store);
  return { git, store };
}

type Listed = [sha: string, changes: [path: string, oid: string][]][];

function lister(objects: ReadonlySet<string>, into: Listed): (c: CommitChanges) => void {
  return (c) =>
    into.push([c.sha, c.changes.filter((ch) => objects.has(ch.oid)).map((ch) => [ch.path, ch.oid])]);
}

function blobsOf(r: TestRepo): Set<string> {
  const out = r.git('cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)');
  return new Set(
    out
      .split('\n')
      .filter((l) => l.endsWith(' blob'))
      .map((l) => l.split(' ')[0]!),
  );
}

describe('changes read from the packs’ trees', () => {
  it('are the changes git’s walk lists, commit by commit, for every file version of the history', async () => {
    const r = historyOfEveryShape();
    const { git, store } = await open(r);
    const blobs = blobsOf(r);
    const viaGit: Listed = [];
    await git.logChanges(ALL, lister(blobs, viaGit));
    const viaPacks: Listed = [];
    const answered = await changesFromPacks(
      (pairs) => diffFromPacks(store.packs, blobs, pairs),
      () => git.listCommits(ALL),
      lister(blobs, viaPacks),
    );
    expect(answered).toBe(true);
    expect(viaPacks).toEqual(viaGit);
    // The shapes are there: a mode-only change, a link, a name that is not UTF-8, a path with a break.
    const paths = viaPacks.flatMap(([, ch]) => ch.map(([p]) => p));
    expect(paths.filter((p) => p === 'top.txt').length).toBeGreaterThanOrEqual(3);
    expect(paths).toContain('link');
    expect(paths).toContain('odd/line\nbreak.txt');
    expect(paths.some((p) => p.startsWith('odd/caf'))).toBe(true);
  });

  it('are git’s for a few versions only, with the trees between them and the roots read whole', async () => {
    const r = historyOfEveryShape();
    const { git, store } = await open(r);
    const few = new Set<string>();
    for (const content of ['deep v2\n', 'inner\n', 'top.txt', 'latin1 name\n']) {
      writeFileSync(join(r.dir, '.probe'), content);
      few.add(r.git('hash-object', '.probe').trim());
    }
    rmSync(join(r.dir, '.probe'));
    const viaGit: Listed = [];
    await git.logChanges(ALL, lister(few, viaGit), [], [...few]);
    const viaPacks: Listed = [];
    await changesFromPacks(
      (pairs) => diffFromPacks(store.packs, few, pairs),
      () => git.listCommits(ALL),
      lister(few, viaPacks),
    );
    // git's walk limited to the objects lists only the commits that changed them.
    const changed = (l: Listed): Listed => l.filter(([, ch]) => ch.length > 0);
    expect(changed(viaPacks)).toEqual(changed(viaGit));
    expect(viaGit.length).toBeGreaterThanOrEqual(5);
  });

  it('are not answered when a tree names a wanted object as a subtree (a tree missing from the store)', async () => {
    const r = historyOfEveryShape();
    const { store } = await open(r);
    const aTree = r.git('rev-parse', 'HEAD:a').trim();
    expect(await treesHolding(store.packs, new Set([aTree]))).toBeNull();
  });

  it('are read the same on a worker thread as on this one', async () => {
    const r = historyOfEveryShape();
    const { git, store } = await open(r);
    const blobs = blobsOf(r);
    const built = bundle('src/pack-worker.ts');
    copyFileSync(join(built, 'index.js'), join(built, 'pack-worker.js'));
    const list = await git.listCommits(ALL);
    const treeOf = new Map(list.map((c) => [c.sha, c.tree]));
    const pairs: TreePairs = list.map((c) => [c.tree, treeOf.get(c.parents[0]!) ?? null]);
    const here = await diffFromPacks(store.packs, blobs, Promise.resolve(pairs));
    const there = await changesOnWorker(
      join(built, 'pack-worker.js'),
      store.packs,
      blobs,
      Promise.resolve(pairs),
    );
    expect(there).toEqual(here);
    expect(here!.length).toBeGreaterThan(10);
    // A thread that cannot start leaves the reading to this one.
    const broken = join(built, 'broken-worker.js');
    writeFileSync(broken, "throw new Error('this thread fails to start');\n");
    await expect(changesOnWorker(broken, store.packs, blobs, Promise.resolve(pairs))).rejects.toThrow();
    expect(await changesOnThread(broken, store.packs, blobs, Promise.resolve(pairs))).toEqual(here);
  });

  it('are not read when git cannot list the commits, on a thread or here', async () => {
    const r = historyOfEveryShape();
    const { store } = await open(r);
    const built = bundle('src/pack-worker.ts');
    copyFileSync(join(built, 'index.js'), join(built, 'pack-worker.js'));
    const failing = (): Promise<TreePairs> => Promise.reject(new Error('git log failed'));
    for (const script of [join(built, 'pack-worker.js'), null])
      await expect(changesOnThread(script, store.packs, blobsOf(r), failing())).rejects.toThrow(
        'git log failed',
      );
  });
});

describe('paths given to git’s walk on its input', () => {
  it('are raw bytes a line each, a path with a line break given as the directory above it', () => {
    const input = pathspecInput(['a/b.txt', Buffer.from([0x63, 0xe9]), 'dir/line\nbreak', 'x/y\r']);
    expect(input).toEqual(Buffer.from('--\na/b.txt\nc\xe9\ndir\nx\n', 'latin1'));
  });

  it('cannot limit the walk to a path git would read otherwise', () => {
    for (const p of ['top\nlevel', '../up', 'a/./b', 'a//b', ''])
      expect(pathspecInput(['fine.txt', p]), JSON.stringify(p)).toBeNull();
  });
});

describe('a commit’s changes diffed through the trees that hold the objects', () => {
  const blob = 'b'.repeat(40);
  const nested = (levels: number): { trees: Map<string, Entry[]>; root: string } => {
    const trees = new Map<string, Entry[]>();
    let child = blob;
    let mode = 0o100644;
    for (let k = levels; k >= 1; k--) {
      const id = k.toString(16).padStart(40, '0');
      trees.set(id, [{ mode, name: k === levels ? 'key.env' : `d${k + 1}`, oid: child }]);
      child = id;
      mode = 0o040000;
    }
    return { trees, root: child };
  };

  it('names the path down to the version, however deep a history nests it', () => {
    const { trees, root } = nested(200);
    const got = diffPairs(trees, new Set([blob]), [[root, null]]);
    expect(got).toHaveLength(1);
    const [at, changes] = got[0]!;
    expect(at).toBe(0);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.path.split('/')).toHaveLength(200);
    expect(changes[0]!.path.endsWith('/key.env')).toBe(true);
  });

  it('leaves a history nested deeper than it follows to git’s walk', () => {
    const { trees, root } = nested(5000);
    expect(() => diffPairs(trees, new Set([blob]), [[root, null]])).toThrow();
  });
});
