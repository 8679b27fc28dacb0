// Org-scan throughput: repositories and bytes per minute over N small local repositories, scanned
// sequentially and with bounded concurrency, then the cost of a night where nothing changed.
//
//   node scripts/bench-org.mjs [--repos 200] [--commits 40] [--concurrency 4]
//
// Repositories are served by path, so cloning costs no network: on GitHub add the clone's transfer time.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '200' },
    commits: { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '4' },
  },
});
const N = Number(values.repos);
const COMMITS = Number(values.commits);
const CONCURRENCY = Number(values.concurrency);

const root = mkdtempSync(join(tmpdir(), 'keyleak-bench-org-'));
const run = (args, cwd, input) =>
  execFileSync('git', args, {
    cwd,
    input,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    },
  });

try {
  // The org-scan code is TypeScript: bundle it once with the build's own bundler.
  const bundleDir = join(root, 'bundle');
  execFileSync(join('node_modules', '.bin', 'ncc'), ['build', 'src/commands/org.ts', '-o', bundleDir, '-q'], {
    stdio: 'inherit',
  });
  writeFileSync(join(bundleDir, 'package.json'), '{ "type": "module" }\n');
  const { runOrgScan } = await import(join(bundleDir, 'index.js'));

  // One template repository: COMMITS commits over a few dozen source files (about 100 KiB of history).
  const work = join(root, 'work');
  mkdirSync(work);
  run(['init', '-q', '--initial-branch=main'], work);
  for (let c = 0; c < COMMITS; c++) {
    for (let f = 0; f < 3; f++) {
      const path = join(work, `src/module-${(c * 3 + f) % 30}.js`);
      mkdirSync(join(work, 'src'), { recursive: true });
      writeFileSync(path, `// revision ${c}\n` + `export const value${f} = ${c};\n`.repeat(20 + c));
    }
    run(['add', '-A'], work);
    run(['commit', '-q', '-m', `change ${c}`], work);
  }
  run(['tag', '-a', 'v1', '-m', 'release'], work);
  const template = join(root, 'template.git');
  run(['clone', '-q', '--bare', work, template], root);
  run(['repack', '-adq'], template);
  mkdirSync(join(root, 'acme'));
  const records = [];
  for (let i = 0; i < N; i++) {
    const path = join(root, 'acme', `svc-${i}.git`);
    cpSync(template, path, { recursive: true });
    records.push({
      fullName: `acme/svc-${i}`,
      id: 1000 + i,
      archived: false,
      fork: false,
      visibility: 'private',
      topics: [],
      defaultBranch: 'main',
      cloneUrl: path,
      sizeKb: 100,
      pushedAt: '2026-01-01T00:00:00Z',
    });
  }
  const lister = {
    async *listRepositories() {
      yield* records;
    },
  };
  const sink = { report: async () => [] };
  const filter = {
    includeArchived: false,
    includeForks: false,
    visibility: [],
    include: [],
    exclude: [],
    topics: [],
    excludeTopics: [],
  };
  const settings = (concurrency, stateFile) => ({
    owner: 'acme',
    shard: { index: 1, count: 1 },
    filter,
    fullRescan: false,
    maxDurationMs: null,
    concurrency,
    jobs: Math.max(1, Math.floor(availableParallelism() / concurrency)),
    token: null,
    stateFile,
    config: null,
    workDir: join(root, 'clones'),
  });

  const rows = [];
  const measure = async (label, s) => {
    const t0 = performance.now();
    const { summary } = await runOrgScan(s, { lister, sink });
    const min = (performance.now() - t0) / 60_000;
    const scanned = summary.outcomes.filter((o) => o.status === 'scanned');
    const failed = summary.outcomes.filter((o) => o.status === 'failed');
    if (failed.length > 0) throw new Error(`${failed.length} repositories failed: ${failed[0].reason}`);
    const bytes = scanned.reduce((a, o) => a + o.bytes, 0);
    rows.push({
      run: label,
      repos: summary.outcomes.length,
      scanned: scanned.length,
      'time (s)': (min * 60).toFixed(1),
      'repos/min': Math.round(summary.outcomes.length / min),
      'MiB/min': (bytes / (1 << 20) / min).toFixed(1),
    });
  };
  await measure('full, sequential', settings(1, join(root, 's1.json')));
  await measure(`full, concurrency ${CONCURRENCY}`, settings(CONCURRENCY, join(root, 's2.json')));
  await measure('next night, nothing pushed', settings(CONCURRENCY, join(root, 's2.json')));
  for (const r of records) r.pushedAt = '2026-01-02T00:00:00Z';
  await measure('next night, tips checked (ls-remote)', settings(CONCURRENCY, join(root, 's2.json')));

  console.log(
    `org scan over ${N} local repositories of ${COMMITS} commits (${availableParallelism()} cores)`,
  );
  console.table(rows);
} finally {
  rmSync(root, { recursive: true, force: true });
}
