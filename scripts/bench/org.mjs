// The org-scan companion: many small repositories scanned one after another, as a nightly org scan does
// on one runner, reported as repositories and bytes per minute and extrapolated to a large organisation.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, median } from './proc.mjs';
import { ensureSyntheticRepo, seededRandom } from './synth.mjs';

/** Sizes of the organisation the figures are extrapolated to, and the shard counts shown. */
const ORG_SIZE = 10_000;
const SHARDS = [1, 4, 10, 20];

/** Parameters of the i-th small repository: sizes vary, one in ten has leaked keys. */
export function orgRepoParams(i) {
  const rand = seededRandom(`org:${i}`);
  return {
    seed: `org-${i}`,
    commits: 30 + rand.int(300),
    files: 20 + rand.int(150),
    changesPerCommit: 1 + rand.int(4),
    largeFiles: 0,
    largeMiB: 0,
    plantKeys: i % 10 === 0,
  };
}

/**
 * Builds (or reuses) `repos` small repositories and times, for each, a local mirror clone (no network:
 * the pack transfer and index only) and `keyleak scan --all` of the clone, sequentially.
 */
export async function runOrgBench({ cli, cacheDir, repos, jobs, log }) {
  const dirs = [];
  for (let i = 0; i < repos; i++) {
    if (i % 50 === 0) log(`org: repositories ${i + 1}-${Math.min(repos, i + 50)} of ${repos}`);
    dirs.push((await ensureSyntheticRepo(orgRepoParams(i), join(cacheDir, 'org'))).dir);
  }
  const work = mkdtempSync(join(tmpdir(), 'keyleak-bench-org-'));
  const jobsArgs = jobs ? ['--jobs', String(jobs)] : [];
  const per = [];
  let bytes = 0;
  let findings = 0;
  try {
    for (const [i, dir] of dirs.entries()) {
      const clone = join(work, `r${i}.git`);
      const c = await measure('git', ['clone', '--mirror', '--no-local', '--quiet', dir, clone]);
      if (c.code !== 0) throw new Error(`git clone --mirror ${dir} failed: ${c.stderr.trim()}`);
      const out = join(work, 'report.json');
      const s = await measure(
        process.execPath,
        [cli, 'scan', '--all', '--format', 'json', '--no-progress', '--repo', clone, ...jobsArgs],
        { cwd: clone, stdoutPath: out },
      );
      if (s.code !== 0 && s.code !== 1)
        throw new Error(`keyleak scan of ${clone} failed: ${s.stderr.trim()}`);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      bytes += report.stats.bytesScanned;
      findings += report.findings.length;
      per.push({ clone: c.wallSeconds, scan: s.wallSeconds, peak: s.memory.own.peak });
      if ((i + 1) % 10 === 0 || i + 1 === dirs.length)
        log(
          `org: [${i + 1}/${dirs.length}] clone ${c.wallSeconds.toFixed(2)} s, scan ${s.wallSeconds.toFixed(2)} s`,
        );
      rmSync(clone, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const scanTotal = per.reduce((a, p) => a + p.scan, 0);
  const bothTotal = per.reduce((a, p) => a + p.scan + p.clone, 0);
  const sorted = per.map((p) => p.scan).sort((a, b) => a - b);
  const result = {
    repositories: repos,
    bytesScanned: bytes,
    findings,
    scanSeconds: scanTotal,
    cloneAndScanSeconds: bothTotal,
    reposPerMinute: (repos / scanTotal) * 60,
    reposPerMinuteWithClone: (repos / bothTotal) * 60,
    bytesPerMinute: (bytes / scanTotal) * 60,
    medianScanSeconds: median(sorted),
    p95ScanSeconds: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))],
    peakBytes: Math.max(...per.map((p) => p.peak)),
    extrapolation: SHARDS.map((shards) => ({
      shards,
      repositories: ORG_SIZE,
      minutes: ORG_SIZE / shards / ((repos / bothTotal) * 60),
    })),
  };
  const lines = [
    `org scan: ${repos} small repositories, ${(bytes / 1e6).toFixed(0)} MB of objects, ${findings} finding(s), scanned one after another`,
    `  keyleak scan --all:          ${result.reposPerMinute.toFixed(0)} repositories/min, ${(result.bytesPerMinute / 1e6).toFixed(0)} MB/min (median ${result.medianScanSeconds.toFixed(2)} s, p95 ${result.p95ScanSeconds.toFixed(2)} s a repository, peak RSS ${(result.peakBytes / 1e6).toFixed(0)} MB)`,
    `  mirror clone (local) + scan: ${result.reposPerMinuteWithClone.toFixed(0)} repositories/min`,
    `  ${ORG_SIZE.toLocaleString('en-US')} repositories at that rate (network time not included):`,
    ...result.extrapolation.map(
      (e) => `    ${String(e.shards).padStart(3)} shard(s): ${e.minutes.toFixed(0).padStart(5)} min`,
    ),
  ];
  return { ...result, table: lines.join('\n') };
}
