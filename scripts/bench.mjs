// `npm run bench`: keyleak's full-history scan against the two git floors it is judged by, side by side
// in alternating rounds, plus peak memory, throughput and a push-range scan. See README "Performance".
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './bench/machine.mjs';
import { measure, median } from './bench/proc.mjs';
import { DEFAULT_SYNTH, ensureSyntheticRepo } from './bench/synth.mjs';
import { summariseProfile } from './bench/profile.mjs';
import { runOrgBench } from './bench/org.mjs';
import { runActionStartBench } from './bench/action-start.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const CACHE = join(ROOT, '.bench');

export const TARGETS = Object.freeze({
  /** keyleak's wall time over `git log -p -U0 --full-history --all`'s. */
  vsLogPatch: 0.2,
  /** keyleak's wall time over `git cat-file --batch-all-objects --batch --unordered`'s. */
  vsCatFile: 1.2,
  /** Peak resident memory of keyleak's own (node) process, in MB. */
  peakMB: 250,
  /** Wall time of a 50-commit `--range` scan, in seconds. */
  rangeSeconds: 1,
});

const USAGE = `usage: npm run bench -- [options]

  --repo PATH       benchmark this clone (bare or not); repeat it to benchmark several in one run, each
                    one's commands paired in the same rounds; default: a synthetic history in .bench/
  --rounds N        alternating rounds; medians are reported (default 3)
  --jobs N          passed to keyleak scan --jobs (default: keyleak's own, the core count)
  --range A..B      the push range to time (default: about 50 commits ending at HEAD)
  --json            print the results as JSON instead of a table
  --save FILE       also write the results as JSON to FILE
  --profile         also run keyleak once under node --cpu-prof and print the top self-time functions
  --skip-log-p      do not time git log -p (it is the slowest step on large histories)
  --org             instead: mirror-clone and scan many small repositories one after another
  --org-repos N     repositories for --org (default 100)
  --action-start    instead: the action's main chunk size, start-up time and memory (rounds as --rounds)
  --seed S, --commits N, --files N, --large-mib N
                    parameters of the synthetic history (defaults ${JSON.stringify(DEFAULT_SYNTH)})`;

function parseArgs(argv) {
  const o = { repos: [], rounds: 3, jobs: null, range: null, json: false, profile: false, skipLogP: false };
  o.synth = {};
  o.save = null;
  o.org = false;
  o.actionStart = false;
  o.orgRepos = 100;
  const int = (flag, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} expects a positive integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} expects a value`);
      return argv[++i];
    };
    if (a === '--repo') o.repos.push(resolve(next()));
    else if (a === '--rounds') o.rounds = int(a, next());
    else if (a === '--jobs') o.jobs = int(a, next());
    else if (a === '--range') {
      o.range = next();
      if (!/^[^.]+\.\.[^.]+$/.test(o.range)) throw new Error(`--range expects A..B, got '${o.range}'`);
    } else if (a === '--json') o.json = true;
    else if (a === '--save') o.save = resolve(next());
    else if (a === '--profile') o.profile = true;
    else if (a === '--skip-log-p') o.skipLogP = true;
    else if (a === '--org') o.org = true;
    else if (a === '--action-start') o.actionStart = true;
    else if (a === '--org-repos') o.orgRepos = int(a, next());
    else if (a === '--seed') o.synth.seed = next();
    else if (a === '--commits') o.synth.commits = int(a, next());
    else if (a === '--files') o.synth.files = int(a, next());
    else if (a === '--large-mib') o.synth.largeMiB = int(a, next());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  return o;
}

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Rebuilds dist/ when a source file is newer than the bundled CLI. */
function ensureBuilt(log) {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  log('dist/cli.js is older than src/: running npm run build');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

function git(repo, args) {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
}

/** Reads every pack once so the first timed run does not pay for a cold page cache alone. */
async function warmPageCache(repo) {
  const objects = git(repo, ['rev-parse', '--git-path', 'objects']);
  const packDir = resolve(repo, objects, 'pack');
  if (!existsSync(packDir)) return;
  for (const f of readdirSync(packDir)) {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await pipeline(createReadStream(join(packDir, f)), sink);
  }
}

/**
 * A push range of about `want` commits ending at HEAD: walks HEAD's first parents back until
 * `A..HEAD` holds at least `want` commits (merges bring several at once), keeping whichever of the last
 * two steps is closer to `want`.
 */
function pickRange(repo, want = 50) {
  const tip = git(repo, ['rev-parse', '--verify', 'HEAD^{commit}']);
  const line = git(repo, ['rev-list', '--first-parent', `--max-count=${want + 1}`, tip]).split('\n');
  const count = (a) => Number(git(repo, ['rev-list', '--count', `${a}..${tip}`]));
  let lo = 1;
  let hi = line.length - 1;
  if (hi < 1) throw new Error('the repository has a single commit: no push range to time');
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (count(line[mid]) >= want) hi = mid;
    else lo = mid + 1;
  }
  let k = lo;
  if (k > 1 && want - count(line[k - 1]) < count(line[k]) - want) k--;
  return { range: `${line[k]}..${tip}`, commits: count(line[k]) };
}

function gitSecretsInstalled(repo) {
  try {
    execFileSync('git', ['secrets', '--list'], { cwd: repo, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * git-secrets' own AWS patterns (what `git secrets --register-aws` adds), given through the environment
 * so the repository's config is left as it is.
 */
function gitSecretsEnv() {
  const patterns = [
    '(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}',
    '("|\')?(AWS|aws|Aws)?_?(SECRET|secret|Secret)?_?(ACCESS|access|Access)?_?(KEY|key|Key)("|\')?\\s*(:|=>|=)\\s*("|\')?[A-Za-z0-9/\\+=]{40}("|\')?',
    '("|\')?(AWS|aws|Aws)?_?(ACCOUNT|account|Account)_?(ID|id|Id)?("|\')?\\s*(:|=>|=)\\s*("|\')?[0-9]{4}\\-?[0-9]{4}\\-?[0-9]{4}("|\')?',
  ];
  const env = { ...process.env, GIT_CONFIG_COUNT: String(patterns.length) };
  patterns.forEach((p, i) => {
    env[`GIT_CONFIG_KEY_${i}`] = 'secrets.patterns';
    env[`GIT_CONFIG_VALUE_${i}`] = p;
  });
  return env;
}

function fail(what, r) {
  throw new Error(
    `${what} exited with ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim().slice(0, 2000)}`,
  );
}

const MB = 1e6;
const fmtS = (s) => (Number.isFinite(s) ? (s < 10 ? s.toFixed(2) : s.toFixed(1)) + ' s' : '—');
const fmtMB = (b) => (b > 0 ? `${Math.round(b / MB)} MB` : '—');
const fmtN = (n) => n.toLocaleString('en-US');
const mark = (ok) => (ok ? 'PASS' : 'FAIL');

export async function main(argv) {
  const opts = parseArgs(argv);
  const log = (m) => process.stderr.write(`bench: ${m}\n`);
  const machine = describeMachine();
  ensureBuilt(log);

  if (opts.actionStart) {
    const { table, ...data } = await runActionStartBench({
      dist: join(ROOT, 'dist'),
      rounds: Math.max(opts.rounds, 5),
      log,
    });
    process.stdout.write(
      opts.json
        ? JSON.stringify({ machine, actionStart: data }, null, 2) + '\n'
        : `${renderMachine(machine)}\n${table}\n`,
    );
    return 0;
  }

  if (opts.org) {
    const org = await runOrgBench({ cli: CLI, cacheDir: CACHE, repos: opts.orgRepos, jobs: opts.jobs, log });
    const { table, ...data } = org;
    process.stdout.write(
      opts.json
        ? JSON.stringify({ machine, org: data }, null, 2) + '\n'
        : `${renderMachine(machine)}\n${table}\n`,
    );
    return 0;
  }

  const results = [];
  const repos = opts.repos.length > 0 ? opts.repos : [null];
  for (const repo of repos) results.push(await benchRepo(repo, opts, machine, log));
  machine.loadAverageEnd = loadavg()[0];
  const json =
    JSON.stringify(results.length === 1 ? results[0] : { machine, repositories: results }, null, 2) + '\n';
  if (opts.save) writeFileSync(opts.save, json);
  if (opts.json) process.stdout.write(json);
  else {
    process.stdout.write(results.map((r) => renderTable(r)).join('\n\n') + '\n');
    if (results.length > 1) process.stdout.write('\n' + renderSummary(results) + '\n');
  }
  // Targets missed are reported, not an error; a planted key not found is (detection is broken).
  return results.some((r) => r.checks.plantedKeys?.pass === false) ? 1 : 0;
}

/**
 * One repository: keyleak and the git floors in alternating rounds, then the push range. `repo` null is
 * the synthetic history.
 */
async function benchRepo(repoArg, opts, machine, log) {
  let repo = repoArg;
  let manifest = null;
  if (repo === null) {
    const synth = await ensureSyntheticRepo(opts.synth, CACHE, log);
    repo = synth.dir;
    manifest = synth.manifest;
  } else {
    try {
      git(repo, ['rev-parse', '--git-dir']);
    } catch {
      throw new Error(`--repo '${repo}' is not a git repository`);
    }
  }
  log(`repository ${repo}`);
  await warmPageCache(repo);

  const jobsArgs = opts.jobs ? ['--jobs', String(opts.jobs)] : [];
  const work = mkdtempSync(join(tmpdir(), 'keyleak-bench-'));
  const reportPath = join(work, 'report.json');
  const cases = [
    {
      name: 'keyleak',
      label: 'keyleak scan --all',
      cmd: process.execPath,
      args: [CLI, 'scan', '--all', '--format', 'json', '--no-progress', '--repo', repo, ...jobsArgs],
      stdoutPath: reportPath,
      ok: (code) => code === 0 || code === 1,
    },
    ...(opts.skipLogP
      ? []
      : [
          {
            name: 'logPatch',
            label: 'git log -p -U0 --full-history --all',
            cmd: 'git',
            args: ['log', '-p', '-U0', '--full-history', '--all'],
            // A store missing objects (a snapshot without its large blobs) stops git log -p: recorded as
            // "could not run", and the comparison is against cat-file alone.
            mayFail: true,
          },
        ]),
    {
      name: 'catFile',
      label: 'git cat-file --batch-all-objects --batch --unordered',
      cmd: 'git',
      args: ['cat-file', '--batch-all-objects', '--batch', '--unordered'],
    },
  ];

  const runs = Object.fromEntries(cases.map((c) => [c.name, []]));
  const failed = {};
  const missing = missingObjects(repo);
  if (missing > 0) log(`${missing} object(s) are missing from this store`);
  let report = null;
  try {
    for (let round = 0; round < opts.rounds; round++) {
      // Rotate the order each round so no command always runs right after the same other one.
      const order = cases.map((_, i) => cases[(i + round) % cases.length]);
      for (const c of order) {
        if (failed[c.name]) continue;
        log(`round ${round + 1}/${opts.rounds}: ${c.label}`);
        const r = await measure(c.cmd, c.args, { cwd: repo, stdoutPath: c.stdoutPath });
        if (!(c.ok ?? ((code) => code === 0))(r.code)) {
          if (!c.mayFail) fail(c.label, r);
          failed[c.name] = r.stderr.trim().split('\n').pop().slice(0, 200);
          log(`${c.label} could not run: ${failed[c.name]}`);
          delete runs[c.name];
          continue;
        }
        runs[c.name].push(r);
        if (c.name === 'keyleak') report = JSON.parse(readFileSync(reportPath, 'utf8'));
      }
    }

    // The push range: a short scan where start-up cost dominates.
    const picked = opts.range ? { range: opts.range, commits: null } : pickRange(repo);
    if (picked.commits === null) {
      const [a, b] = picked.range.split('..');
      picked.commits = Number(git(repo, ['rev-list', '--count', `${a}..${b}`]));
    }
    const rangeRuns = [];
    const startupRuns = [];
    const nodeRuns = [];
    for (let round = 0; round < Math.max(3, opts.rounds); round++) {
      log(`range ${round + 1}: keyleak scan --range (${picked.commits} commits)`);
      const r = await measure(
        process.execPath,
        [CLI, 'scan', '--range', picked.range, '--format', 'json', '--no-progress', '--repo', repo],
        { cwd: repo, stdoutPath: join(work, 'range.json') },
      );
      if (r.code !== 0 && r.code !== 1) fail('keyleak scan --range', r);
      rangeRuns.push(r);
      startupRuns.push(await measure(process.execPath, [CLI, '--version'], { cwd: repo }));
      nodeRuns.push(await measure(process.execPath, ['-e', '0'], { cwd: repo }));
    }

    let gitSecrets = null;
    if (gitSecretsInstalled(repo)) {
      // One run, bounded: git-secrets greps every commit's tree and can take hours on a large history.
      const limit = Math.max(60, 20 * median(runs.keyleak.map((r) => r.wallSeconds)));
      log(`git secrets --scan-history (at most ${Math.round(limit)} s)`);
      const r = await measure('git', ['secrets', '--scan-history'], {
        cwd: repo,
        env: gitSecretsEnv(),
        timeoutSeconds: limit,
      });
      gitSecrets = { wallSeconds: r.wallSeconds, timedOut: r.timedOut, exitCode: r.code };
    }

    let profile = null;
    if (opts.profile) {
      log('profiling keyleak scan --all with node --cpu-prof');
      const dir = join(work, 'prof');
      const r = await measure(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, ...cases[0].args], {
        cwd: repo,
        stdoutPath: join(work, 'prof.json'),
      });
      if (r.code !== 0 && r.code !== 1) fail('keyleak under --cpu-prof', r);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      profile = summariseProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    }

    const results = summarise({
      repo,
      machine,
      opts,
      runs,
      report,
      manifest,
      picked,
      rangeRuns,
      startupRuns,
      nodeRuns,
      gitSecrets,
      profile,
      missing,
      failed,
    });
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function summarise({
  repo,
  machine,
  opts,
  runs,
  report,
  manifest,
  picked,
  rangeRuns,
  startupRuns,
  nodeRuns,
  gitSecrets,
  profile,
  missing,
  failed,
}) {
  const wall = (name) => (runs[name] ? median(runs[name].map((r) => r.wallSeconds)) : NaN);
  const cpu = (name) => (runs[name] ? median(runs[name].map((r) => r.cpuSeconds)) : NaN);
  const peak = (name, group, field = 'peak') =>
    runs[name] ? Math.max(...runs[name].map((r) => r.memory[group][field])) : 0;
  const k = wall('keyleak');
  const s = report.stats;
  const blobs = s.objectsScanned - s.commitsScanned;
  const found = new Set(report.findings.map((f) => f.keyId));
  const planted = manifest
    ? {
        planted: manifest.planted.length,
        found: manifest.planted.filter((p) => found.has(p.keyId)).length,
        missed: manifest.planted.filter((p) => !found.has(p.keyId)).map((p) => p.where),
      }
    : null;
  const vsLogPatch = k / wall('logPatch');
  const vsCatFile = k / wall('catFile');
  const ownPeak = peak('keyleak', 'own');
  const rangeWall = median(rangeRuns.map((r) => r.wallSeconds));
  const checks = {
    vsLogPatch: {
      value: vsLogPatch,
      target: TARGETS.vsLogPatch,
      pass: runs.logPatch ? vsLogPatch <= TARGETS.vsLogPatch : null,
    },
    vsCatFile: { value: vsCatFile, target: TARGETS.vsCatFile, pass: vsCatFile <= TARGETS.vsCatFile },
    peakMemory: {
      value: ownPeak,
      target: TARGETS.peakMB * MB,
      pass: ownPeak > 0 ? ownPeak < TARGETS.peakMB * MB : null,
    },
    range: { value: rangeWall, target: TARGETS.rangeSeconds, pass: rangeWall < TARGETS.rangeSeconds },
    ...(planted
      ? {
          plantedKeys: {
            value: planted.found,
            target: planted.planted,
            pass: planted.found === planted.planted,
          },
        }
      : {}),
  };
  const medianRun = (name) => {
    const sorted = [...runs[name]].sort((a, b) => a.wallSeconds - b.wallSeconds);
    return sorted[(sorted.length - 1) >> 1];
  };
  const timing = (name) =>
    runs[name]
      ? {
          processes: medianRun(name).processes,
          wallSeconds: { median: wall(name), all: runs[name].map((r) => r.wallSeconds) },
          cpuSeconds: cpu(name),
          peakBytes: peak(name, 'own'),
          childrenPeakBytes: peak(name, 'children'),
          childrenPeakSumBytes: peak(name, 'children', 'peakSum'),
        }
      : null;
  return {
    machine: { ...machine, loadAverageEnd: loadavg()[0] },
    repository: {
      path: repo,
      synthetic: manifest ? manifest.params : null,
      commits: Number(git(repo, ['rev-list', '--all', '--count'])),
      blobsScanned: blobs,
      commitsScanned: s.commitsScanned,
      bytesScanned: s.bytesScanned,
      findings: report.findings.length,
      suppressed: report.suppressed.length,
      missingObjects: missing,
    },
    logPatchFailed: failed.logPatch ?? null,
    rounds: opts.rounds,
    jobs: opts.jobs,
    keyleak: { ...timing('keyleak'), throughputMBps: s.bytesScanned / MB / k },
    logPatch: timing('logPatch'),
    catFile: timing('catFile'),
    range: {
      range: picked.range,
      commits: picked.commits,
      wallSeconds: { median: rangeWall, all: rangeRuns.map((r) => r.wallSeconds) },
      peakBytes: Math.max(...rangeRuns.map((r) => r.memory.own.peak)),
      cpuSeconds: median(rangeRuns.map((r) => r.cpuSeconds)),
      processes: rangeRuns[rangeRuns.length - 1].processes,
      startupSeconds: median(startupRuns.map((r) => r.wallSeconds)),
      startupCpuSeconds: median(startupRuns.map((r) => r.cpuSeconds)),
      nodeSeconds: median(nodeRuns.map((r) => r.wallSeconds)),
      nodeCpuSeconds: median(nodeRuns.map((r) => r.cpuSeconds)),
    },
    gitSecrets,
    planted,
    checks,
    pass: Object.values(checks).every((c) => c.pass !== false),
    profile,
  };
}

/** Objects the history names that the store lacks (a snapshot without its large blobs): counted once. */
function missingObjects(repo) {
  const out = execFileSync(
    'git',
    ['rev-list', '--objects', '--no-object-names', '--missing=print', '--all'],
    {
      cwd: repo,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  let n = 0;
  for (const line of out.split('\n')) if (line.startsWith('?')) n++;
  return n;
}

/** One markdown table over every repository of the run: the README's performance table. */
export function renderSummary(results) {
  const name = (r) => r.repository.path.split('/').filter(Boolean).pop();
  const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
  const rows = [
    '| history | commits | keyleak `scan --all` | `git cat-file --batch-all-objects --batch` | `git log -p` | keyleak peak (node) | git children peak | findings (suppressed) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const k = r.keyleak.wallSeconds.median;
    const note =
      r.repository.missingObjects > 0 ? ` (store lacks ${fmtN(r.repository.missingObjects)} objects)` : '';
    const logP = r.logPatch
      ? `${fmtS(r.logPatch.wallSeconds.median)} (${ratio(r.checks.vsLogPatch.value)})`
      : r.logPatchFailed
        ? 'cannot run: objects missing'
        : 'not run';
    rows.push(
      `| ${name(r)}${note} | ${fmtN(r.repository.commits)} | ${fmtS(k)} | ${fmtS(r.catFile.wallSeconds.median)} (${ratio(r.checks.vsCatFile.value)}) | ${logP} | ${fmtMB(r.keyleak.peakBytes)} | ${fmtMB(r.keyleak.childrenPeakBytes)} | ${r.repository.findings} (${r.repository.suppressed}) |`,
    );
  }
  return rows.join('\n');
}

function renderMachine(m) {
  const load = `load average ${m.loadAverage.toFixed(1)} at start${m.loadAverageEnd === undefined ? '' : `, ${m.loadAverageEnd.toFixed(1)} at end`}`;
  return `machine: ${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}, git ${m.git}, node ${m.node}; ${load}`;
}

function renderTable(r) {
  const rows = [];
  const line = (...cols) => rows.push(cols);
  const mem = (t) => (t ? `${fmtMB(t.peakBytes)}` : '');
  const kids = (t) =>
    t && t.childrenPeakBytes > 0
      ? `${fmtMB(t.childrenPeakBytes)} (sum ${fmtMB(t.childrenPeakSumBytes)})`
      : '';
  line('', 'wall (median)', 'cpu', 'peak RSS', 'git children peak RSS');
  line(
    `keyleak scan --all${r.jobs ? ` --jobs ${r.jobs}` : ''}`,
    fmtS(r.keyleak.wallSeconds.median),
    fmtS(r.keyleak.cpuSeconds),
    mem(r.keyleak),
    kids(r.keyleak),
  );
  if (r.logPatchFailed) line('git log -p -U0 --full-history --all', 'could not run', '', '', '');
  if (r.logPatch)
    line(
      'git log -p -U0 --full-history --all',
      fmtS(r.logPatch.wallSeconds.median),
      fmtS(r.logPatch.cpuSeconds),
      mem(r.logPatch),
      '',
    );
  line(
    'git cat-file --batch-all-objects --batch',
    fmtS(r.catFile.wallSeconds.median),
    fmtS(r.catFile.cpuSeconds),
    mem(r.catFile),
    '',
  );
  line(
    `keyleak scan --range (${r.range.commits} commits)`,
    fmtS(r.range.wallSeconds.median),
    fmtS(r.range.cpuSeconds),
    fmtMB(r.range.peakBytes),
    '',
  );
  line(
    'node dist/cli.js --version (start-up)',
    fmtS(r.range.startupSeconds),
    fmtS(r.range.startupCpuSeconds),
    '',
    '',
  );
  line('node -e 0 (node alone)', fmtS(r.range.nodeSeconds), fmtS(r.range.nodeCpuSeconds), '', '');
  if (r.gitSecrets)
    line(
      'git secrets --scan-history (1 run)',
      (r.gitSecrets.timedOut ? '> ' : '') + fmtS(r.gitSecrets.wallSeconds),
      '',
      '',
      '',
    );
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const table = rows.map((row) =>
    row
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('   ')
      .trimEnd(),
  );

  const c = r.checks;
  const verdict = (label, value, target, pass) =>
    `${label.padEnd(36)}${value.padStart(10)}   target ${target.padEnd(9)} ${pass === null ? 'n/a' : mark(pass)}`;
  const checks = [];
  if (r.logPatch)
    checks.push(
      verdict(
        'keyleak / git log -p',
        c.vsLogPatch.value.toFixed(2),
        `≤ ${c.vsLogPatch.target.toFixed(2)}`,
        c.vsLogPatch.pass,
      ),
    );
  checks.push(
    verdict(
      'keyleak / git cat-file',
      c.vsCatFile.value.toFixed(2),
      `≤ ${c.vsCatFile.target.toFixed(2)}`,
      c.vsCatFile.pass,
    ),
  );
  checks.push(
    verdict(
      'keyleak peak RSS (node)',
      fmtMB(c.peakMemory.value),
      `< ${TARGETS.peakMB} MB`,
      c.peakMemory.pass,
    ),
  );
  checks.push(
    verdict(
      `push range, ${r.range.commits} commits`,
      fmtS(c.range.value),
      `< ${TARGETS.rangeSeconds} s`,
      c.range.pass,
    ),
  );
  if (c.plantedKeys)
    checks.push(
      verdict(
        'planted keys found',
        `${c.plantedKeys.value}/${c.plantedKeys.target}`,
        'all',
        c.plantedKeys.pass,
      ),
    );

  const breakdown = r.keyleak.processes
    .filter((p) => p.cpuSeconds >= 0.05)
    .map(
      (p) =>
        `  ${fmtS(p.cpuSeconds).padStart(8)}  ${p.label}${p.count > 1 ? ` (×${p.count})` : ''}, peak ${fmtMB(p.peakBytes)}`,
    );
  const repo = r.repository;
  const out = [
    renderMachine(r.machine),
    `repository: ${repo.path}${repo.synthetic ? ` (synthetic ${JSON.stringify(repo.synthetic)})` : ''}`,
    `  ${fmtN(repo.commits)} commits, ${fmtN(repo.blobsScanned)} blobs, ${(repo.bytesScanned / 2 ** 30).toFixed(2)} GiB scanned, ${repo.findings} finding(s), ${repo.suppressed} suppressed; ${r.rounds} round(s)`,
    ...(repo.missingObjects > 0
      ? [
          `  the store lacks ${fmtN(repo.missingObjects)} object(s) its history names${r.logPatchFailed ? ': git log -p cannot run' : ''}`,
        ]
      : []),
    '',
    ...table,
    '',
    `throughput: ${r.keyleak.throughputMBps.toFixed(0)} MB/s of object content`,
    `CPU time (load-insensitive): ${r.logPatch ? `keyleak / log -p ${(r.keyleak.cpuSeconds / r.logPatch.cpuSeconds).toFixed(2)}, ` : ''}keyleak / cat-file ${(r.keyleak.cpuSeconds / r.catFile.cpuSeconds).toFixed(2)}`,
    "keyleak's CPU time by process (the round with the median wall time):",
    ...breakdown,
    '',
    ...checks,
  ];
  if (r.planted && r.planted.missed.length > 0)
    out.push(`missed planted keys: ${r.planted.missed.join(', ')}`);
  if (repo.synthetic)
    out.push(
      '',
      "note: the speed targets are set on a large real history (git's own: --repo PATH); the synthetic one is",
      'half large files of random text that keyleak leaves to git cat-file, so its ratios run higher (README, Performance).',
    );
  if (r.profile) out.push('', r.profile.table);
  return out.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`bench: error: ${e.message}\n`);
      process.exit(2);
    },
  );
}
