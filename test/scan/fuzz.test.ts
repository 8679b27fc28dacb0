import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor, scanRepository } from '../../src/commands/scan.js';
import { parseScanArgs } from '../../src/settings.js';
import { onePack } from '../helpers/damage.js';
import { seededPair, type KeyPair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

/**
 * Seeded damage to a real pack and its index: bits flipped, files cut short. Whatever the damage, a scan
 * either says it is incomplete or finds every planted key; it never fails with anything but a git or
 * usage error naming what was wrong.
 */

const SEED = 20261201;
const CASES = 24;

function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

let base: TestRepo;
let keys: KeyPair[];
const dirs: string[] = [];

beforeAll(() => {
  base = TestRepo.create();
  keys = [0, 1, 2].map((i) => seededPair(`${SEED}:${i}`));
  base.commit('init', { 'README.md': 'hello\n' });
  for (let v = 0; v < 3; v++) {
    const files: Record<string, string> = {};
    keys.forEach((k, i) => {
      const lines = Array.from({ length: 30 }, (_, j) => `${k.keyId.slice(4)} line ${j} of file ${i}\n`);
      files[`k${i}.env`] =
        lines.join('') + `aws_access_key_id = ${k.keyId}\naws_secret_access_key = ${k.secret}\n` + `v${v}\n`;
    });
    base.commit(`version ${v}`, files);
  }
  base.git('tag', '-a', 'v1', '-m', 'release');
  base.git('repack', '-a', '-d', '-f', '-q', '--depth=10', '--window=10');
  base.git('prune-packed');
});

afterAll(() => {
  base.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Damage =
  { file: 'pack' | 'idx'; kind: 'flip'; at: number[] } | { file: 'pack' | 'idx'; kind: 'cut'; to: number };

function damage(seed: number, sizes: { pack: number; idx: number }): Damage {
  const rnd = prng(seed);
  const file = rnd(3) === 0 ? 'idx' : 'pack';
  if (rnd(4) === 0) return { file, kind: 'cut', to: rnd(sizes[file]) };
  return { file, kind: 'flip', at: Array.from({ length: 1 + rnd(4) }, () => rnd(sizes[file] * 8)) };
}

describe('seeded damage to a pack and its index', () => {
  const cases = Array.from({ length: CASES }, (_, i) => SEED + i);
  it.each(cases)(
    'seed %i: incomplete, or every key found; never a crash',
    async (seed) => {
      const dir = mkdtempSync(join(tmpdir(), 'keyleak-fuzz-'));
      dirs.push(dir);
      cpSync(base.dir, dir, { recursive: true });
      const repo = { dir, git: base.git.bind({ ...base, dir }) } as unknown as TestRepo;
      const paths = onePack(repo);
      const sizes = { pack: readFileSync(paths.pack).length, idx: readFileSync(paths.idx).length };
      const d = damage(seed, sizes);
      const path = paths[d.file];
      if (d.kind === 'cut') truncateSync(path, d.to);
      else {
        const b = readFileSync(path);
        for (const bit of d.at) b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
        writeFileSync(path, b);
      }

      const s = parseScanArgs(['--repo', dir, '--all', '--jobs', '1'], { cwd: dir, isTTY: false });
      let outcome: string;
      try {
        const { report } = await scanRepository(s);
        const found = new Set(report.findings.map((f) => f.keyId));
        const all = keys.every((k) => found.has(k.keyId));
        outcome = report.incomplete ? 'incomplete' : all ? 'every key found' : 'clean but keys missed';
        expect(exitCodeFor(report)).toBe(found.size > 0 ? 1 : report.incomplete ? 2 : 0);
      } catch (e) {
        // A store git itself cannot open: the scan stops with git's reason, never a stray exception.
        const err = e as Error;
        outcome = ['GitError', 'UsageError'].includes(err.name)
          ? 'refused with a reason'
          : `${err.name}: ${err.message}`;
      }
      expect(['incomplete', 'every key found', 'refused with a reason'], JSON.stringify(d)).toContain(
        outcome,
      );
    },
    60_000,
  );
});
