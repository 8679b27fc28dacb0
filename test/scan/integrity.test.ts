import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli-main.js';
import { exitCodeFor, scanRepository } from '../../src/commands/scan.js';
import { parseScanArgs } from '../../src/settings.js';
import { addLyingPack, onePack, packedObjects, patchFile, setPackedType } from '../helpers/damage.js';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

/**
 * Damaged stores and hostile objects never pass as clean: what keyleak cannot read is reported (the scan
 * is incomplete, exit 2 when nothing else was found), and every other key is still found.
 */

const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

const creds = (p: KeyPair) => `aws_access_key_id = ${p.keyId}\naws_secret_access_key = ${p.secret}\n`;
/** Text unlike any other file's, so no file's versions are stored as deltas of another file's. */
const filler = (n: number, seed: string) =>
  Array.from(
    { length: n },
    (_, i) => `${createHash('sha256').update(`${seed}:${i}`).digest('base64')}\n`,
  ).join('');

/** A repository with one key per file, each file edited twice so that its versions form delta chains. */
function keyRepo(count: number): { repo: TestRepo; keys: KeyPair[] } {
  const repo = TestRepo.create();
  repos.push(repo);
  const keys = Array.from({ length: count }, () => makePair());
  repo.commit('init', { 'README.md': 'hello\n' });
  for (let v = 0; v < 3; v++) {
    const files: Record<string, string> = {};
    keys.forEach(
      (k, i) => (files[`k${i}.env`] = filler(40, k.keyId) + creds(k) + filler(v + 1, `${k.keyId}${v}`)),
    );
    repo.commit(`version ${v}`, files);
  }
  repo.git('repack', '-a', '-d', '-f', '-q', '--depth=50', '--window=50');
  repo.git('prune-packed');
  return { repo, keys };
}

async function scanAll(repo: TestRepo, ...args: string[]) {
  const s = parseScanArgs(['--repo', repo.dir, '--all', '--jobs', '1', ...args], {
    cwd: repo.dir,
    isTTY: false,
  });
  const { report } = await scanRepository(s);
  return { report, keys: report.findings.map((f) => f.keyId).sort(), exit: exitCodeFor(report) };
}

const sorted = (ks: KeyPair[]) => ks.map((k) => k.keyId).sort();

describe('a damaged pack', () => {
  it("an object whose type bits were flipped is said, and the other files' keys are still found", async () => {
    const { repo, keys } = keyRepo(4);
    const target = repo.head('HEAD:k0.env');
    const obj = packedObjects(repo).find((o) => o.oid === target)!;
    setPackedType(onePack(repo).pack, obj.offset, 2);
    const got = await scanAll(repo);
    expect(got.report.incomplete).toBe(true);
    expect(got.report.warnings.join('\n')).toMatch(/fails its checksum.*git fsck/);
    expect(got.keys).toEqual(expect.arrayContaining(sorted(keys.slice(1))));
    expect(got.exit).toBe(1);
  });

  it('an index that does not belong to its pack (git refuses it) is not clean: exit 2, incomplete', async () => {
    const { repo } = keyRepo(2);
    const { idx } = onePack(repo);
    patchFile(idx, (b) => {
      b[b.length - 40] = b[b.length - 40]! ^ 0xff;
    });
    const got = await scanAll(repo);
    expect(got.report.incomplete).toBe(true);
    expect(got.report.warnings.join('\n')).toMatch(/pack index .* fails its checksum/);
    expect(got.exit).toBe(got.keys.length > 0 ? 1 : 2);
    expect(got.keys.length === 0 || got.report.warnings.some((w) => /could not be read/.test(w))).toBe(true);
  });

  it('an object whose data no longer inflates is named, read by git if it can, else reported', async () => {
    const { repo, keys } = keyRepo(3);
    const target = repo.head('HEAD:k1.env');
    const objs = packedObjects(repo);
    const obj = objs.find((o) => o.oid === target)!;
    const next = Math.min(...objs.filter((o) => o.offset > obj.offset).map((o) => o.offset));
    patchFile(onePack(repo).pack, (b) => {
      // Scramble the middle of the compressed data: zlib's own check fails.
      for (let p = obj.offset + 6; p < Math.min(next - 4, obj.offset + 40); p++) b[p] = b[p]! ^ 0x5a;
    });
    const got = await scanAll(repo);
    expect(got.report.incomplete).toBe(true);
    expect(got.keys).toEqual(expect.arrayContaining(sorted([keys[0]!, keys[2]!])));
    const said = got.report.warnings.join('\n');
    expect(said).toContain(target);
    expect(said).not.toMatch(/incorrect (data|header) check$/m);
  });

  it('an object declaring fewer bytes than it inflates to is an error for that object alone', async () => {
    const { repo, keys } = keyRepo(3);
    // A whole (not delta) version of k2.env: the base its other versions are rebuilt from.
    const obj = packedObjects(repo).find(
      (o) =>
        o.base === null && o.type === 'blob' && repo.git('cat-file', 'blob', o.oid).includes(keys[2]!.keyId),
    )!;
    const target = obj.oid;
    patchFile(onePack(repo).pack, (b) => {
      // The size's low four bits live in the first header byte: declare 1 to 15 bytes fewer.
      const low = b[obj.offset]! & 0x0f;
      b[obj.offset] = (b[obj.offset]! & 0xf0) | (low === 0 ? 1 : low - 1);
    });
    const got = await scanAll(repo);
    expect(got.report.incomplete).toBe(true);
    expect(got.keys).toEqual(expect.arrayContaining(sorted(keys.slice(0, 2))));
    expect(got.report.warnings.join('\n')).toMatch(new RegExp(`${target}.*(declares|declared)`));
  });
});

describe('objects that lie about their size', () => {
  it.each([
    ['2^40 bytes', 2 ** 40, Buffer.from('small\n')],
    ['100 bytes but inflates to 64 MiB', 100, Buffer.alloc(64 << 20)],
  ])(
    'a blob declaring %s: the scan goes on, is incomplete, names it, and shows no raw exception',
    async (_n, declared, content) => {
      const { repo, keys } = keyRepo(2);
      const oid = createHash('sha1').update(`lying ${declared}`).digest('hex');
      addLyingPack(repo, oid, declared, content);
      const got = await scanAll(repo);
      expect(got.keys).toEqual(sorted(keys));
      expect(got.report.incomplete).toBe(true);
      const said = got.report.warnings.join('\n');
      expect(said).toContain(oid);
      expect(said).not.toMatch(/RangeError|ERR_|Array buffer allocation/);
    },
  );
});

describe('annotated tags', () => {
  it.each([
    ['loose', false],
    ['packed', true],
  ])('a key in a %s tag message is found, located at the tag', async (_n, packed) => {
    const repo = TestRepo.create();
    repos.push(repo);
    const k = makePair();
    repo.commit('init', { 'README.md': 'hello\n' });
    repo.git('tag', '-a', 'v1', '-m', `release\n${creds(k)}`);
    if (packed) repo.git('repack', '-a', '-d', '-q');
    const got = await scanAll(repo);
    expect(got.keys).toEqual([k.keyId]);
    const loc = got.report.findings[0]!.locations[0]!;
    expect(loc).toMatchObject({ path: null, tag: 'refs/tags/v1', commit: repo.head('refs/tags/v1') });
  });
});

describe('odd paths', () => {
  it('a file named like pathspec magic does not stop a range scan: both keys are found', async () => {
    const repo = TestRepo.create();
    repos.push(repo);
    const [a, b] = [makePair(), makePair()];
    const base = repo.commit('init', { 'README.md': 'hello\n' });
    repo.commit('leaks', { ':(bad)/.env': creds(a), 'ok.env': creds(b) });
    const s = parseScanArgs(['--repo', repo.dir, '--range', `${base}..HEAD`], {
      cwd: repo.dir,
      isTTY: false,
    });
    const { report } = await scanRepository(s);
    expect(report.findings.map((f) => f.keyId).sort()).toEqual(sorted([a, b]));
    expect(report.findings.flatMap((f) => f.locations.map((l) => l.path)).sort()).toEqual([
      ':(bad)/.env',
      'ok.env',
    ]);
  });
});

/** A clone of `from` in a new temp dir, made with `git clone` and `args`. */
function cloneOf(from: TestRepo, ...args: string[]): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'keyleak-clone-'));
  execFileSync('git', ['clone', '-q', ...args, `file://${from.dir}`, dir], { stdio: 'ignore' });
  const r = Object.assign(Object.create(TestRepo.prototype) as TestRepo, { dir, tick: 0 });
  repos.push(r);
  return r;
}

describe('completeness is decided from what the scan needed', () => {
  function history(): { repo: TestRepo; old: KeyPair; recent: KeyPair } {
    const repo = TestRepo.create();
    repos.push(repo);
    const [old, recent] = [makePair(), makePair()];
    repo.commit('init', { 'README.md': 'hello\n' });
    repo.commit('old leak', { 'old.env': creds(old) });
    repo.commit('fix', { 'old.env': null });
    for (let i = 0; i < 3; i++) repo.commit(`work ${i}`, { 'README.md': `v${i}\n` });
    repo.commit('recent leak', { 'new.env': creds(recent) });
    return { repo, old, recent };
  }

  it('a range whose commits are all in a shallow clone is complete', async () => {
    const { repo, recent } = history();
    const clone = cloneOf(repo, '--depth=3');
    const s = parseScanArgs(['--repo', clone.dir, '--range', 'HEAD~1..HEAD'], {
      cwd: clone.dir,
      isTTY: false,
    });
    const { report } = await scanRepository(s);
    expect(report.incomplete).toBe(false);
    expect(report.findings.map((f) => f.keyId)).toEqual([recent.keyId]);
  });

  it('the whole history of a shallow clone is incomplete, and what it holds is still reported', async () => {
    const { repo, recent } = history();
    const clone = cloneOf(repo, '--depth=3');
    const got = await scanAll(clone);
    expect(got.report.incomplete).toBe(true);
    expect(got.report.warnings.join('\n')).toMatch(/shallow clone: .*git fetch --unshallow/);
    expect(got.keys).toEqual([recent.keyId]);
  });

  it('a promisor pack whose configuration was removed: the missing blob makes the scan incomplete', async () => {
    const { repo, old, recent } = history();
    repo.git('config', 'uploadpack.allowFilter', 'true');
    // Only the newest version of each file is fetched; the old key's blob stays on the server.
    const clone = cloneOf(repo, '--filter=blob:none', '--no-checkout');
    const blob = clone.git('rev-parse', 'HEAD:new.env').trim();
    clone.git('cat-file', 'blob', blob); // fetches it lazily, into a second pack
    clone.git('repack', '-a', '-d', '-q');
    clone.git('config', '--unset', 'remote.origin.promisor');
    clone.git('config', '--unset-all', 'remote.origin.partialclonefilter');
    const got = await scanAll(clone);
    expect(got.report.incomplete).toBe(true);
    expect(got.keys).toEqual([recent.keyId]);
    expect(got.keys).not.toContain(old.keyId);
    expect(got.report.warnings.join('\n')).toContain(repo.head('HEAD~5:old.env'));
  });

  it('rewrite-plan refuses a history it cannot see whole, and says how to make it whole', async () => {
    const { repo } = history();
    const clone = cloneOf(repo, '--depth=3');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['rewrite-plan', '--repo', clone.dir, '--output', join(clone.dir, 'plan.md')])).toBe(
        2,
      );
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/no rewrite plan: .*git fetch --unshallow/);
    } finally {
      stderr.mockRestore();
    }
  });
});
