import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { addDeltaCycle } from '../helpers/damage.js';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

/**
 * A pack whose ref-deltas form a cycle: no reader can rebuild those objects, and git, asked for one,
 * loops, growing its memory without end. The scan must end, name them, say it is incomplete, and still
 * report every other key.
 */

// Every git this file runs is held to 1 GiB of address space: were keyleak ever to hand git an object of
// the cycle, that git fails within the test's time instead of eating the machine's memory. Set before
// keyleak is loaded, as it reads the environment once.
const bin = mkdtempSync(join(tmpdir(), 'keyleak-bin-'));
const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
writeFileSync(join(bin, 'git'), `#!/bin/sh\nulimit -v 1048576\nexec '${realGit}' "$@"\n`);
chmodSync(join(bin, 'git'), 0o755);
const savedPath = process.env.PATH;
process.env.PATH = `${bin}${delimiter}${savedPath}`;
const { exitCodeFor, scanRepository } = await import('../../src/commands/scan.js');
const { parseScanArgs } = await import('../../src/settings.js');
const { Git } = await import('../../src/adapters/git.js');
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(bin, { recursive: true, force: true });
});

const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

const creds = (p: KeyPair) => `aws_access_key_id = ${p.keyId}\naws_secret_access_key = ${p.secret}\n`;
const fakeOid = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * A repository whose last commit names two blobs that exist only in a pack of ref-deltas based on each
 * other, besides `keys` in ordinary files.
 */
function cyclicRepo(keys: KeyPair[]): { repo: TestRepo; cycle: string[]; commit: string; init: string } {
  const repo = TestRepo.create();
  repos.push(repo);
  const init = repo.commit('init', { 'README.md': 'hello\n' });
  keys.forEach((k, i) => repo.commit(`key ${i}`, { [`k${i}.env`]: creds(k) }));
  repo.git('repack', '-a', '-d', '-q');
  const cycle = [fakeOid('cycle a'), fakeOid('cycle b')];
  addDeltaCycle(repo, cycle);
  repo.git('update-index', '--add', '--cacheinfo', `100644,${cycle[0]},x.env`);
  repo.git('update-index', '--add', '--cacheinfo', `100644,${cycle[1]},y.env`);
  const tree = repo.git('write-tree').trim();
  const commit = repo.git('commit-tree', '-p', 'HEAD', '-m', 'cycle', tree).trim();
  repo.git('update-ref', 'refs/heads/main', commit);
  return { repo, cycle, commit, init };
}

async function scanAll(repo: TestRepo, ...args: string[]) {
  const s = parseScanArgs(['--repo', repo.dir, ...(args.length > 0 ? args : ['--all']), '--jobs', '1'], {
    cwd: repo.dir,
    isTTY: false,
  });
  const { report } = await scanRepository(s);
  return { report, keys: report.findings.map((f) => f.keyId).sort(), exit: exitCodeFor(report) };
}

describe('a cycle of ref-deltas', () => {
  it('ends the scan with its objects reported where they are referenced, and the other keys found', async () => {
    const keys = [makePair(), makePair()];
    const { repo, cycle, commit } = cyclicRepo(keys);
    const got = await scanAll(repo);
    expect(got.keys).toEqual(keys.map((k) => k.keyId).sort());
    expect(got.report.incomplete).toBe(true);
    expect(got.exit).toBe(1);
    const said = got.report.warnings.join('\n');
    expect(said).toMatch(/has a cycle of deltas: 2 object\(s\) .* can never be rebuilt/);
    expect(said).not.toMatch(/Out of memory|made no progress/);
    expect(got.report.missing).toEqual(
      expect.arrayContaining([
        { oid: cycle[0], referencedBy: [{ commit, path: 'x.env' }] },
        { oid: cycle[1], referencedBy: [{ commit, path: 'y.env' }] },
      ]),
    );
  });

  it('with nothing else to find, the scan is not clean: exit 2', async () => {
    const { repo } = cyclicRepo([]);
    const got = await scanAll(repo);
    expect(got.keys).toEqual([]);
    expect(got.report.incomplete).toBe(true);
    expect(got.exit).toBe(2);
  });
});

describe('git looping on a cycle', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('is stopped by the memory watchdog, and says why', async () => {
    vi.stubEnv('KEYLEAK_GIT_MEMORY_MB', '128');
    const { repo } = cyclicRepo([]);
    const git = await Git.open(repo.dir);
    await expect(git.listObjects(new Set(['blob']))).rejects.toThrow(
      /git cat-file used more than 128 MiB of memory and was stopped .*KEYLEAK_GIT_MEMORY_MB/,
    );
  });

  it('a range scan, which reads through git, reports the objects it stopped on and every other key', async () => {
    vi.stubEnv('KEYLEAK_GIT_MEMORY_MB', '128');
    const keys = [makePair(), makePair()];
    const { repo, cycle, commit, init } = cyclicRepo(keys);
    const got = await scanAll(repo, '--range', `${init}..HEAD`);
    expect(got.keys).toEqual(keys.map((k) => k.keyId).sort());
    expect(got.report.incomplete).toBe(true);
    expect(got.exit).toBe(1);
    expect(got.report.missing).toEqual(
      expect.arrayContaining([
        { oid: cycle[0], referencedBy: [{ commit, path: 'x.env' }] },
        { oid: cycle[1], referencedBy: [{ commit, path: 'y.env' }] },
      ]),
    );
  });
});
