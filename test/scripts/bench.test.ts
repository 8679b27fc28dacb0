import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanRepository } from '../../src/commands/scan.js';
import { parseScanArgs } from '../../src/settings.js';

// The benchmark is plain JavaScript run by node; its modules are loaded by path so the type checker
// does not need declarations for them.
const BENCH = resolve(import.meta.dirname, '../../scripts/bench');
interface Planted {
  keyId: string;
  where: string;
}
interface SynthModule {
  ensureSyntheticRepo(
    params: Record<string, unknown>,
    cacheDir: string,
  ): Promise<{ dir: string; manifest: { planted: Planted[] } }>;
}
interface MemoryGroup {
  peak: number;
  peakSum: number;
  names: string[];
}
interface ProcModule {
  measure(
    cmd: string,
    args: string[],
    opts?: { timeoutSeconds?: number },
  ): Promise<{
    code: number;
    timedOut: boolean;
    wallSeconds: number;
    memory: { measured: boolean; own: MemoryGroup; children: MemoryGroup };
  }>;
  median(xs: number[]): number;
}
interface ProfileModule {
  summariseProfile(
    profile: unknown,
    limit?: number,
  ): { totalSeconds: number; top: { name: string; selfSeconds: number }[] };
}
const load = <T>(name: string): Promise<T> => import(join(BENCH, name)) as Promise<T>;

const SMALL = { commits: 60, files: 10, changesPerCommit: 2, largeFiles: 1, largeMiB: 1 };
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'keyleak-bench-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const refs = (dir: string) => execFileSync('git', ['for-each-ref'], { cwd: dir, encoding: 'utf8' });

describe('the synthetic benchmark history', () => {
  it('is the same history, object for object, from the same parameters', async () => {
    const { ensureSyntheticRepo } = await load<SynthModule>('synth.mjs');
    const a = await ensureSyntheticRepo(SMALL, tempDir());
    const b = await ensureSyntheticRepo(SMALL, tempDir());
    expect(refs(a.dir)).toBe(refs(b.dir));
    expect(refs(a.dir)).toMatch(/refs\/heads\/release\/1\n/);
    expect(refs(a.dir)).toMatch(/ tag\trefs\/tags\/v0\.|refs\/tags\/experiment-1/);
    const c = await ensureSyntheticRepo({ ...SMALL, seed: 2 }, tempDir());
    expect(refs(c.dir)).not.toBe(refs(a.dir));
  }, 180_000);

  it('has every planted key found by a full-history scan, and nothing else', async () => {
    const { ensureSyntheticRepo } = await load<SynthModule>('synth.mjs');
    const { dir, manifest } = await ensureSyntheticRepo(SMALL, tempDir());
    expect(manifest.planted.map((p) => p.where).sort()).toEqual(
      [
        'added-then-deleted',
        'commit-message',
        'file',
        'large-file',
        'release-branch',
        'tag-only',
        'topic-branch',
      ].sort(),
    );
    const settings = parseScanArgs(['--all', '--repo', dir, '--no-progress'], { cwd: dir, isTTY: false });
    const { report } = await scanRepository(settings);
    expect(report.findings.map((f) => f.keyId).sort()).toEqual(manifest.planted.map((p) => p.keyId).sort());
    expect(report.incomplete).toBe(false);
  }, 180_000);
});

describe('process measurement', () => {
  it.runIf(process.platform === 'linux')(
    "accounts the root's memory apart from its children's",
    async () => {
      const { measure } = await load<ProcModule>('proc.mjs');
      // A shell (the root) starting node, which holds 150 MB for a moment.
      const hold = 'const b = Buffer.alloc(150e6, 1); setTimeout(() => b.length, 400);';
      const r = await measure('sh', ['-c', `"${process.execPath}" -e '${hold}'`]);
      expect(r.code).toBe(0);
      expect(r.memory.measured).toBe(true);
      expect(r.memory.children.names).toContain('node');
      expect(r.memory.children.peak).toBeGreaterThan(150e6);
      expect(r.memory.own.peak).toBeLessThan(50e6);
    },
    30_000,
  );

  it('ends a command that outlives its time limit, with everything it started', async () => {
    const { measure } = await load<ProcModule>('proc.mjs');
    const r = await measure('sh', ['-c', 'sleep 30 & sleep 30; wait'], { timeoutSeconds: 0.3 });
    expect(r.timedOut).toBe(true);
    expect(r.wallSeconds).toBeLessThan(10);
  }, 30_000);

  it.each([
    { xs: [3, 1, 2], want: 2 },
    { xs: [4, 1, 3, 2], want: 2.5 },
    { xs: [5, NaN, 1], want: 3 },
  ])('takes the median of $xs as $want', async ({ xs, want }) => {
    const { median } = await load<ProcModule>('proc.mjs');
    expect(median(xs)).toBe(want);
  });
});

describe('profile summary', () => {
  it('ranks functions by self time, one entry per function and place', async () => {
    const { summariseProfile } = await load<ProfileModule>('profile.mjs');
    const frame = (functionName: string, lineNumber: number) => ({
      functionName,
      url: 'file:///x/dist/cli.js',
      lineNumber,
      columnNumber: 0,
    });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', -1) },
        { id: 2, callFrame: frame('push', 10) },
        { id: 3, callFrame: frame('push', 10) }, // the same function reached by another path
        { id: 4, callFrame: frame('(idle)', -1) },
      ],
      startTime: 0,
      endTime: 1_000_000,
      samples: [2, 4, 3, 4, 2],
      timeDeltas: [0, 100_000, 300_000, 200_000, 100_000],
    };
    const s = summariseProfile(profile);
    expect(s.totalSeconds).toBe(1);
    // Each sample owns the interval after it: push has samples 0 and 2 (0.1 s + 0.2 s) and the last one (0 s).
    expect(s.top.map((t) => [t.name, Number(t.selfSeconds.toFixed(3))])).toEqual([
      ['(idle)', 0.4],
      ['push', 0.3],
    ]);
  });
});
