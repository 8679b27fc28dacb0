import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attackScenario } from '../emulators/aws/attack.js';
import type { ScenarioEvent } from '../emulators/aws/index.js';
import type { GitHubEmulator } from '../emulators/github/index.js';

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Ada Tester',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Tester',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
}

/** A remote (bare) repository, a developer clone to build history in, and the runner's checkout. */
export class World {
  readonly root = mkdtempSync(join(tmpdir(), 'keyleak-e2e-'));
  readonly remote = join(this.root, 'remote.git');
  readonly dev = join(this.root, 'dev');
  private tick = 0;

  constructor() {
    mkdirSync(this.remote);
    git(this.remote, 'init', '-q', '--bare', '--initial-branch=main');
    git(this.root, 'clone', '-q', this.remote, 'dev');
    git(this.dev, 'checkout', '-q', '-b', 'main');
  }

  /** Commits files in the developer clone; returns the SHA. */
  commit(message: string, files: Record<string, string>): string {
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(join(this.dev, p, '..'), { recursive: true });
      writeFileSync(join(this.dev, p), c);
    }
    git(this.dev, 'add', '-A');
    const date = new Date(Date.UTC(2024, 0, 1) + ++this.tick * 60_000).toISOString();
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', message], {
      cwd: this.dev,
      env: { ...process.env, ...GIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    });
    return git(this.dev, 'rev-parse', 'HEAD').trim();
  }

  push(...args: string[]): void {
    git(this.dev, 'push', '-q', 'origin', ...args);
  }

  sha(rev: string): string {
    return git(this.dev, 'rev-parse', rev).trim();
  }

  /** The runner's checkout of `sha` on `branch`, as actions/checkout leaves it (depth 1 when shallow). */
  checkout(branch: string, sha: string, opts: { depth?: number } = {}): string {
    const dir = mkdtempSync(join(this.root, 'checkout-'));
    const url = `file://${this.remote}`;
    git(dir, 'init', '-q');
    git(dir, 'remote', 'add', 'origin', url);
    const depth = opts.depth ? [`--depth=${opts.depth}`] : [];
    git(dir, 'fetch', '-q', '--no-tags', ...depth, 'origin', `+${sha}:refs/remotes/origin/${branch}`);
    git(dir, 'checkout', '-q', '-B', branch, `refs/remotes/origin/${branch}`);
    return dir;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface ActionRun {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
  sarif: string | null;
  report: string | null;
  /** The CloudTrail summaries the run wrote (`trail.json` in RUNNER_TEMP), when it read CloudTrail. */
  trail: string | null;
}

function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(ghadelimiter_[0-9a-f-]+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

/** Runs the built action as the runner does: node index.js with the event, inputs and files in env. */
export async function runAction(opts: {
  dist: string;
  emu: GitHubEmulator;
  workspace: string;
  event: string;
  payload: unknown;
  inputs?: Record<string, string>;
  repo?: string;
  /** More environment for the run (keyleak's test-only settings, say). */
  env?: Record<string, string>;
}): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'keyleak-runner-'));
  const eventPath = join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(opts.payload));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const temp = join(dir, 'temp');
  mkdirSync(temp);
  const inputs: Record<string, string> = {
    'github-token': 'test-token',
    mode: 'auto',
    // AWS is not emulated in these runs unless a test starts the AWS emulator and turns this on.
    verify: 'false',
    // The emulator's repositories are public; most tests look at the details a private one gets.
    'public-details': 'true',
    'dry-run': 'false',
    deactivate: 'false',
    'revoke-sessions': 'false',
    config: '.github/keyleak.yml',
    'fail-on-findings': 'true',
    ...opts.inputs,
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(GITHUB_|INPUT_|RUNNER_|ACTIONS_)/.test(k)) env[k] = v;
  }
  Object.assign(env, GIT_ENV, {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: opts.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_REPOSITORY: opts.repo ?? 'octo/app',
    GITHUB_API_URL: opts.emu.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '42',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: temp,
    ...opts.env,
  });
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((res) => {
    execFile(
      process.execPath,
      [join(opts.dist, 'index.js')],
      { cwd: opts.workspace, env, maxBuffer: 64 << 20 },
      (err, so, se) => {
        res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: so + se });
      },
    );
  });
  const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : null);
  const outputs = parseOutputs(readFileSync(outputFile, 'utf8'));
  return {
    code,
    stdout,
    outputs,
    summary: readFileSync(summaryFile, 'utf8'),
    sarif: outputs['sarif-file'] ? read(outputs['sarif-file']) : null,
    report: outputs['report-file'] ? read(outputs['report-file']) : null,
    trail: read(join(temp, 'trail.json')),
  };
}

/** Asserts `secret` appears nowhere keyleak writes; the log may carry it only in the runner's mask command. */
export function secretNowhere(secret: string, run: ActionRun, emu: GitHubEmulator): string[] {
  const places: string[] = [];
  const log = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  if (log.includes(secret)) places.push('log');
  if (JSON.stringify(run.outputs).includes(secret)) places.push('outputs');
  if (run.summary.includes(secret)) places.push('summary');
  if (run.sarif?.includes(secret)) places.push('sarif');
  if (run.report?.includes(secret)) places.push('report');
  if (JSON.stringify(emu.state).includes(secret)) places.push('GitHub state');
  if (JSON.stringify(emu.requests).includes(secret)) places.push('GitHub requests');
  return places;
}

export function pushPayload(ref: string, before: string, after: string, extra: Record<string, unknown> = {}) {
  const zero = /^0{40}$/;
  return {
    ref,
    before,
    after,
    created: zero.test(before),
    deleted: zero.test(after),
    forced: false,
    commits: [],
    repository: { full_name: 'octo/app', default_branch: 'main' },
    ...extra,
  };
}

export const ZERO_SHA = '0'.repeat(40);

/**
 * An attacker's use of the leaked key, shared by the demo and the live-key tests: reconnaissance, then
 * persistence, a role session that leaves the organisation, evasion, launches, exposure, secret reads and
 * commands (test/emulators/aws/attack.ts), in the two regions those worlds enable.
 */
export function attackerEvents(keyId: string, accountId = '123456789012'): ScenarioEvent[] {
  return attackScenario({
    accountId,
    keyId,
    userName: 'deploy-bot',
    now: new Date(),
    regions: ['us-east-1', 'eu-west-1'],
  }).events;
}
