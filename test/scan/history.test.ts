import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Git } from '../../src/adapters/git.js';
import { scanRepository } from '../../src/commands/scan.js';
import { parseScanArgs } from '../../src/settings.js';
import { makeKeyId, makePair, makeSecret } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

function newRepo(opts?: { bare?: boolean }): TestRepo {
  const r = TestRepo.create(opts);
  repos.push(r);
  return r;
}

/** How the repository under test keeps its objects when scanned. */
type Storage = 'loose objects' | 'one pack';
let storage: Storage = 'loose objects';

async function scan(dir: string, ...args: string[]) {
  const s = parseScanArgs(['--repo', dir, ...args], { cwd: dir, isTTY: false });
  if (storage === 'loose objects') return scanRepository(s);
  // Packed with deep delta chains, so the pack reader rebuilds objects from deltas of deltas; and read
  // by that reader, not handed back to git whole.
  git(dir, 'repack', '-a', '-d', '-f', '-q', '--depth=50', '--window=50');
  const throughGit = vi.spyOn(Git.prototype, 'listObjects');
  try {
    return await scanRepository(s);
  } finally {
    expect(throughGit).not.toHaveBeenCalled();
    throughGit.mockRestore();
  }
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

const creds = (p: { keyId: string; secret: string }) =>
  `[default]\naws_access_key_id = ${p.keyId}\naws_secret_access_key = ${p.secret}\n`;

describe.each<Storage>(['loose objects', 'one pack'])('full-history scan (--all) of %s', (kind) => {
  beforeEach(() => {
    storage = kind;
  });
  afterEach(() => {
    storage = 'loose objects';
  });

  it('finds a pair on the default branch, attributed to the introducing commit, file and line', async () => {
    const r = newRepo();
    r.commit('init', { 'README.md': 'hello\n' });
    const p = makePair();
    const sha = r.commit('add creds', { 'config/creds.ini': creds(p) });
    r.commit('more', { 'README.md': 'hello again\n' });
    const { report, secrets } = await scan(r.dir);
    expect(report.findings).toHaveLength(1);
    const f = report.findings[0]!;
    expect(f).toMatchObject({ keyId: p.keyId, keyKind: 'long-term', secretFound: true });
    expect(f.locations).toEqual([
      {
        commit: sha,
        path: 'config/creds.ini',
        line: 2,
        author: 'Ada Tester <ada@example.com>',
        date: expect.any(String),
      },
    ]);
    expect(secrets.get(p.keyId)!.secrets).toEqual([p.secret]);
    expect(report.incomplete).toBe(false);
  });

  it('reads every branch and tag: unmerged branches and history reachable only from a tag', async () => {
    const r = newRepo();
    r.commit('init', { a: '1\n' });
    const onBranch = makeKeyId();
    const onTag = makeKeyId();
    r.git('checkout', '-q', '-b', 'feature');
    r.commit('feature work', { f: `k=${onBranch}\n` });
    r.git('checkout', '-q', 'main');
    r.git('checkout', '-q', '-b', 'tmp');
    r.commit('tagged work', { t: `k=${onTag}\n` });
    r.git('tag', '-a', 'v1', '-m', 'release');
    r.git('checkout', '-q', 'main');
    r.git('branch', '-q', '-D', 'tmp');
    const { report } = await scan(r.dir);
    expect(report.findings.map((f) => f.keyId).sort()).toEqual([onBranch, onTag].sort());
  });

  it('does not report objects no branch or tag reaches', async () => {
    const r = newRepo();
    r.commit('init', { a: '1\n' });
    r.git('checkout', '-q', '-b', 'gone');
    r.commit('dangling', { d: `k=${makeKeyId()}\n` });
    r.git('checkout', '-q', 'main');
    r.git('branch', '-q', '-D', 'gone');
    const { report } = await scan(r.dir);
    expect(report.findings).toEqual([]);
  });

  it('lists every commit and path that introduced the key: copies, renames and re-adds', async () => {
    const r = newRepo();
    const id = makeKeyId();
    const c1 = r.commit('add', { 'a.env': `KEY=${id}\n` });
    r.git('mv', 'a.env', 'b.env');
    const c2 = r.commit('rename');
    const c3 = r.commit('copy', { 'c/d.env': `KEY=${id}\n` });
    const { report } = await scan(r.dir);
    expect(report.findings[0]!.locations.map((l) => [l.commit, l.path])).toEqual([
      [c1, 'a.env'],
      [c2, 'b.env'],
      [c3, 'c/d.env'],
    ]);
  });

  it('attributes content that only exists in a merge resolution to the merge', async () => {
    const r = newRepo();
    r.commit('init', { 'app.cfg': 'x=1\n' });
    r.git('checkout', '-q', '-b', 'side');
    r.commit('side', { 'app.cfg': 'x=2\n' });
    r.git('checkout', '-q', 'main');
    r.commit('main', { 'app.cfg': 'x=3\n' });
    try {
      r.git('merge', '-q', 'side');
    } catch {
      // conflict expected
    }
    const p = makePair();
    const merge = r.commit('merge with resolution', { 'app.cfg': creds(p) });
    const { report } = await scan(r.dir);
    expect(report.findings[0]!.locations.map((l) => l.commit)).toEqual([merge]);
    expect(report.findings[0]!.secretFound).toBe(true);
  });

  it('does not attribute a clean merge of a branch to the merge commit', async () => {
    const r = newRepo();
    r.commit('init', { a: '1\n' });
    r.git('checkout', '-q', '-b', 'side');
    const id = makeKeyId();
    const sideCommit = r.commit('side', { k: `k=${id}\n` });
    r.git('checkout', '-q', 'main');
    r.commit('main', { b: '2\n' });
    r.git('merge', '-q', '--no-edit', 'side');
    const { report } = await scan(r.dir);
    expect(report.findings[0]!.locations.map((l) => l.commit)).toEqual([sideCommit]);
  });

  it('finds keys pasted into commit messages', async () => {
    const r = newRepo();
    const id = makeKeyId();
    const sha = r.commit(`fix deploy\n\nused ${id} to test`, { a: '1\n' });
    const { report } = await scan(r.dir);
    expect(report.findings[0]!.locations).toEqual([
      expect.objectContaining({ commit: sha, path: null, line: 3 }),
    ]);
  });

  it('scans binary files and large files, at any position relative to read boundaries', async () => {
    const r = newRepo();
    const ids: string[] = [];
    const files: Record<string, Buffer> = {};
    for (const offset of [0, 65_536 - 10, 65_536 - 20, 65_536 - 19, 65_536, 131_072 - 1]) {
      const id = makeKeyId();
      ids.push(id);
      const buf = Buffer.alloc(offset + 40, 0x20);
      buf.write(id, offset, 'latin1');
      files[`boundary-${offset}.txt`] = buf;
    }
    const bin = Buffer.alloc(4096);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 0xff;
    const binId = makeKeyId();
    Buffer.from(`\0${binId}\0`, 'latin1').copy(bin, 1000);
    files['image.bin'] = bin;
    ids.push(binId);
    const big = Buffer.alloc(24 << 20, 'a\n');
    const bigId = makeKeyId();
    big.write(`\n${bigId}\n`, big.length - 100, 'latin1');
    files['big.log'] = big;
    ids.push(bigId);
    r.commit('files', files);
    const { report } = await scan(r.dir);
    expect(report.findings.map((f) => f.keyId).sort()).toEqual(ids.sort());
    const bigLoc = report.findings.find((f) => f.keyId === bigId)!.locations[0]!;
    expect(bigLoc.line).toBe(((24 << 20) - 100) / 2 + 2);
  });
});

describe('full-history scan (--all): incomplete and unusual stores', () => {
  it('reports a shallow clone as incomplete, with a warning', async () => {
    const r = newRepo();
    r.commit('one', { a: '1\n' });
    r.commit('two', { a: '2\n' });
    const clone = mkdtempSync(join(tmpdir(), 'keyleak-shallow-'));
    try {
      execFileSync('git', ['clone', '-q', '--depth=1', `file://${r.dir}`, clone]);
      const { report } = await scan(clone);
      expect(report.incomplete).toBe(true);
      expect(report.warnings.join('\n')).toMatch(/shallow/);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });

  it('reports a missing object as incomplete, naming it', async () => {
    const r = newRepo();
    r.commit('one', { a: 'some content\n' });
    const blob = r.git('rev-parse', 'HEAD:a').trim();
    rmSync(join(r.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const { report } = await scan(r.dir);
    expect(report.incomplete).toBe(true);
    expect(report.warnings.join('\n')).toContain(blob);
  });

  it('reports an object missing beside a pack as incomplete, naming it', async () => {
    const r = newRepo();
    r.commit('one', { a: 'packed\n' });
    r.git('repack', '-a', '-d', '-q');
    r.commit('two', { b: 'loose\n' });
    const blob = r.git('rev-parse', 'HEAD:b').trim();
    rmSync(join(r.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const { report } = await scan(r.dir);
    expect(report.incomplete).toBe(true);
    expect(report.warnings.join('\n')).toContain(blob);
  });

  it('reads several packs and loose objects, reporting an object found in two packs once', async () => {
    const r = newRepo();
    const [a, b, c] = [makeKeyId(), makeKeyId(), makeKeyId()];
    const c1 = r.commit('one', { 'a.env': `K=${a}\n` });
    r.git('repack', '-a', '-d', '-q');
    const c2 = r.commit('two', { 'b.env': `K=${b}\n` });
    r.git('repack', '-d', '-q'); // a second pack, of the new objects only
    // A third pack holding everything again, beside the first two.
    const all = r.git('rev-list', '--objects', '--all');
    execFileSync('git', ['pack-objects', '-q', join(r.dir, '.git', 'objects', 'pack', 'pack')], {
      cwd: r.dir,
      input: all,
    });
    const c3 = r.commit('three', { 'c.env': `K=${c}\n` }); // loose
    const { report } = await scan(r.dir);
    expect(report.incomplete).toBe(false);
    expect(report.findings.map((f) => [f.keyId, f.locations.map((l) => l.commit)])).toEqual(
      expect.arrayContaining([
        [a, [c1]],
        [b, [c2]],
        [c, [c3]],
      ]),
    );
    expect(report.findings).toHaveLength(3);
  });

  it('reads objects borrowed from another repository (alternates), and walks for missing ones', async () => {
    const r = newRepo();
    const id = makeKeyId();
    const c1 = r.commit('one', { 'a.env': `K=${id}\n` });
    r.git('repack', '-a', '-d', '-q');
    const shared = mkdtempSync(join(tmpdir(), 'keyleak-shared-'));
    try {
      execFileSync('git', ['clone', '-q', '--shared', '--bare', r.dir, shared]);
      const walk = vi.spyOn(Git.prototype, 'missingObjects');
      const { report } = await scan(shared);
      expect(walk).toHaveBeenCalled();
      walk.mockRestore();
      expect(report.findings.map((f) => [f.keyId, f.locations[0]!.commit])).toEqual([[id, c1]]);
      expect(report.incomplete).toBe(false);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('skips the walk for missing objects on a store that is one pack holding every tip', async () => {
    const r = newRepo();
    r.commit('one', { a: '1\n' });
    r.git('repack', '-a', '-d', '-q');
    const walk = vi.spyOn(Git.prototype, 'missingObjects');
    const { report } = await scan(r.dir);
    expect(walk).not.toHaveBeenCalled();
    walk.mockRestore();
    expect(report.incomplete).toBe(false);
  });

  it('walks for missing objects when the one pack left names history it does not hold', async () => {
    const r = newRepo();
    r.commit('one', { a: '1\n' });
    r.git('repack', '-a', '-d', '-q');
    const packDir = join(r.dir, '.git', 'objects', 'pack');
    const older = readdirSync(packDir).filter((f) => /\.(pack|idx)$/.test(f));
    r.commit('two', { b: '2\n' });
    r.git('repack', '-d', '-q'); // a pack of the new commit's objects only
    for (const f of older) rmSync(join(packDir, f));
    const parent = r.git('rev-parse', 'HEAD~1').trim();
    const { report } = await scan(r.dir);
    expect(report.incomplete).toBe(true);
    expect(report.warnings.join('\n')).toContain(parent);
  });

  it('reads a pack whose index it does not know (version 1) through git', async () => {
    const r = newRepo();
    const id = makeKeyId();
    r.commit('one', { 'a.env': `K=${id}\n` });
    r.git('repack', '-a', '-d', '-q');
    const packDir = join(r.dir, '.git', 'objects', 'pack');
    const pack = readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
    rmSync(join(packDir, pack.replace(/\.pack$/, '.idx')));
    r.git('index-pack', '--index-version=1', join(packDir, pack));
    const { report } = await scan(r.dir);
    expect(report.findings.map((f) => f.keyId)).toEqual([id]);
  });

  it('scans a bare clone and reads its config from HEAD', async () => {
    const r = newRepo();
    const allowed = makeKeyId();
    const leaked = makeKeyId();
    r.commit('cfg', {
      '.github/keyleak.yml': `allow:\n  key-ids: [${allowed}]\n`,
      a: `${allowed}\n${leaked}\n`,
    });
    const bare = mkdtempSync(join(tmpdir(), 'keyleak-bare-'));
    try {
      execFileSync('git', ['clone', '-q', '--mirror', r.dir, bare]);
      const { report } = await scan(bare);
      expect(report.findings.map((f) => f.keyId)).toEqual([leaked]);
      expect(report.suppressed.map((s) => s.keyId)).toEqual([allowed]);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe('push range scan (--range A..B)', () => {
  it('reports only what the range introduced, attributed to its commit', async () => {
    const r = newRepo();
    const old = makeKeyId();
    const base = r.commit('old leak', { old: `k=${old}\n` });
    const fresh = makePair();
    const c = r.commit('new leak', { 'new.env': creds(fresh) });
    const { report } = await scan(r.dir, '--range', `${base}..HEAD`);
    expect(report.findings.map((f) => f.keyId)).toEqual([fresh.keyId]);
    expect(report.findings[0]!.locations[0]!.commit).toBe(c);
    expect(report.stats.mode).toBe('range');
  });

  it('sees files added then deleted inside the range', async () => {
    const r = newRepo();
    const base = r.commit('init', { a: '1\n' });
    const id = makeKeyId();
    const added = r.commit('oops', { 'secret.txt': `k=${id}\n` });
    r.commit('remove', { 'secret.txt': null });
    const { report } = await scan(r.dir, '--range', `${base}..HEAD`);
    expect(report.findings[0]!.locations.map((l) => l.commit)).toEqual([added]);
  });

  it('does not report content already reachable from the start of the range', async () => {
    const r = newRepo();
    const id = makeKeyId();
    r.commit('leak', { a: `k=${id}\n` });
    const base = r.commit('remove', { a: null });
    r.commit('revert the removal', { a: `k=${id}\n` });
    const { report } = await scan(r.dir, '--range', `${base}..HEAD`);
    expect(report.findings).toEqual([]);
  });

  it('pairs with a secret in another file of the same commit', async () => {
    const r = newRepo();
    const base = r.commit('init', { a: '1\n' });
    const p = makePair();
    r.commit('split', {
      'id.txt': `AWS_ACCESS_KEY_ID=${p.keyId}\n`,
      'secret.txt': `AWS_SECRET_ACCESS_KEY=${p.secret}\n`,
    });
    const { report, secrets } = await scan(r.dir, '--range', `${base}..HEAD`);
    expect(report.findings[0]!.secretFound).toBe(true);
    expect(secrets.get(p.keyId)!.secrets).toEqual([p.secret]);
  });

  it('rejects an unknown revision with a message naming it', async () => {
    const r = newRepo();
    r.commit('init', { a: '1\n' });
    await expect(scan(r.dir, '--range', 'nope..HEAD')).rejects.toThrow(/unknown revision 'nope'/);
  });
});

describe('staged and plain-directory scans', () => {
  it('--staged sees what is about to be committed, before the first commit too', async () => {
    const r = newRepo();
    const p = makePair();
    r.write('creds', creds(p));
    r.git('add', 'creds');
    const { report } = await scan(r.dir, '--staged');
    expect(report.findings[0]!.locations).toEqual([
      { commit: null, path: 'creds', line: 2, author: null, date: null },
    ]);
  });

  it('--no-git scans a plain directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyleak-plain-'));
    try {
      const r = new (TestRepo as unknown as { new (d: string): TestRepo })(dir);
      r.write(
        'sub/notebook.ipynb',
        JSON.stringify({
          cells: [{ source: [`import os\n`, `key = "${makeKeyId()}"\n`, `s = "${makeSecret()}"`] }],
        }),
      );
      const { report } = await scan(dir, '--no-git');
      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]!.secretFound).toBe(true);
      expect(report.findings[0]!.locations[0]!.path).toBe('sub/notebook.ipynb');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
