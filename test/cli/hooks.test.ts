import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHookArgs, parsePrePushLines } from '../../src/settings.js';
import { bundle } from '../helpers/bundle.js';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ZERO = '0'.repeat(40);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('what keyleak hook scans', () => {
  it.each([
    [
      'a range when pre-commit sets from/to refs',
      [],
      { PRE_COMMIT_FROM_REF: A, PRE_COMMIT_TO_REF: B },
      { kind: 'range', from: A, to: B },
      'commit',
    ],
    [
      "the range, not the files, in pre-commit's pre-push stage",
      ['x.env'],
      { PRE_COMMIT_FROM_REF: A, PRE_COMMIT_TO_REF: B, PRE_COMMIT_REMOTE_NAME: 'origin' },
      { kind: 'range', from: A, to: B },
      'push',
    ],
    [
      'the files pre-commit passes (staged, or all with --all-files)',
      ['a.env', 'b/c.ts'],
      {},
      { kind: 'files', files: ['a.env', 'b/c.ts'] },
      'commit',
    ],
    ['what is staged in a plain pre-commit hook', [], {}, { kind: 'staged' }, 'commit'],
    ["git's stdin in a plain pre-push hook", ['--pre-push'], {}, { kind: 'push-stdin' }, 'push'],
  ])('%s', (_name, argv, env, target, stage) => {
    expect(parseHookArgs(argv as string[], env, { cwd: '/r' })).toEqual({
      repo: '/r',
      stage,
      target,
      config: null,
    });
  });

  it('reads pre-push lines as remote..local, skipping deleted refs', () => {
    expect(
      parsePrePushLines(
        `refs/heads/a ${B} refs/heads/a ${A}\nrefs/heads/new ${B} refs/heads/new ${ZERO}\n(delete) ${ZERO} refs/heads/old ${A}\n`,
      ),
    ).toEqual([
      { from: A, to: B },
      { from: ZERO, to: B },
    ]);
    expect(() => parsePrePushLines('garbage\n')).toThrow('unexpected pre-push input line');
  });
});

const preCommit = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
const hasPreCommit = preCommit.status === 0;
if (!hasPreCommit) {
  process.stderr.write(
    'hooks.test.ts: pre-commit is not installed (apt-get install pre-commit): its tests are skipped\n',
  );
}

const leak = (k: KeyPair) => `AWS_ACCESS_KEY_ID=${k.keyId}\nAWS_SECRET_ACCESS_KEY=${k.secret}\n`;

let hookRepo: TestRepo;
let cliJs: string;
let home: string;

beforeAll(() => {
  // The hook repository as users get it: .pre-commit-hooks.yaml and a dist/ built from these sources.
  const built = bundle('src/cli.ts');
  hookRepo = TestRepo.create();
  cpSync(join(ROOT, '.pre-commit-hooks.yaml'), join(hookRepo.dir, '.pre-commit-hooks.yaml'));
  for (const name of readdirSync(built)) {
    cpSync(join(built, name), join(hookRepo.dir, 'dist', name === 'index.js' ? 'cli.js' : name), {
      recursive: true,
    });
  }
  cliJs = join(hookRepo.dir, 'dist', 'cli.js');
  const code = readFileSync(cliJs, 'utf8');
  if (!code.startsWith('#!')) writeFileSync(cliJs, '#!/usr/bin/env node\n' + code);
  chmodSync(cliJs, 0o755);
  hookRepo.commit('hooks');
  home = mkdtempSync(join(tmpdir(), 'keyleak-pre-commit-home-'));
}, 300_000);
afterAll(() => {
  hookRepo?.cleanup();
  rmSync(home, { recursive: true, force: true });
});

/** Runs a command in `dir` with no network to reach: pre-commit must not need any. */
function run(dir: string, cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, {
    cwd: dir,
    encoding: 'utf8',
    input,
    env: {
      ...process.env,
      PRE_COMMIT_HOME: home,
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
    },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const tryRepo = (dir: string, ...args: string[]) =>
  run(dir, 'pre-commit', ['try-repo', hookRepo.dir, 'keyleak', '--verbose', ...args]);

describe.skipIf(!hasPreCommit)('pre-commit try-repo (the real pre-commit, offline)', () => {
  it('blocks a commit that stages a key, says what to do next, and never prints the secret', () => {
    const r = TestRepo.create();
    try {
      r.commit('init', { 'README.md': '# app\n' });
      const k = makePair();
      r.write('app.env', leak(k));
      r.git('add', 'app.env');
      const res = tryRepo(r.dir);
      expect(res.code, res.out).toBe(1);
      expect(res.out).toContain(k.keyId);
      expect(res.out).toContain('commit blocked: 1 AWS key found');
      expect(res.out).toContain('keyleak:allow');
      expect(res.out).toContain('keyleak baseline');
      expect(res.out).toContain('git commit --no-verify skips every hook');
      expect(res.out).not.toContain(k.secret);

      r.git('reset', '-q');
      expect(tryRepo(r.dir).code, 'nothing staged').toBe(0);
    } finally {
      r.cleanup();
    }
  });

  it('with --all-files, finds a key committed long ago', () => {
    const r = TestRepo.create();
    try {
      const k = makePair();
      r.commit('old', { 'config/prod.env': leak(k) });
      r.commit('more', { 'README.md': 'x\n' });
      const res = tryRepo(r.dir, '--all-files');
      expect(res.code, res.out).toBe(1);
      expect(res.out).toContain(k.keyId);
    } finally {
      r.cleanup();
    }
  });

  it('with --from-ref/--to-ref, scans what the range brought in and nothing before it', () => {
    const r = TestRepo.create();
    try {
      const old = makePair();
      const base = r.commit('old leak', { 'old.env': leak(old) });
      const clean = r.commit('docs', { 'README.md': 'x\n' });
      expect(tryRepo(r.dir, '--from-ref', base, '--to-ref', clean).code).toBe(0);
      const k = makePair();
      const head = r.commit('new leak', { 'new.env': leak(k) });
      const res = tryRepo(r.dir, '--from-ref', base, '--to-ref', head);
      expect(res.code, res.out).toBe(1);
      expect(res.out).toContain(k.keyId);
      expect(res.out).not.toContain(old.keyId);
    } finally {
      r.cleanup();
    }
  });
});

describe('plain git hooks', () => {
  it('pre-commit blocks a staged key; pre-push blocks a push of a new branch that adds one', () => {
    const remote = TestRepo.create({ bare: true });
    const r = TestRepo.create();
    try {
      r.git('remote', 'add', 'origin', remote.dir);
      r.commit('init', { 'README.md': '# app\n' });
      r.git('push', '-q', 'origin', 'main');
      writeFileSync(join(r.dir, '.git/hooks/pre-commit'), `#!/bin/sh\nexec node '${cliJs}' hook\n`, {
        mode: 0o755,
      });
      writeFileSync(join(r.dir, '.git/hooks/pre-push'), `#!/bin/sh\nexec node '${cliJs}' hook --pre-push\n`, {
        mode: 0o755,
      });
      const k = makePair();
      r.write('app.env', leak(k));
      r.git('add', 'app.env');
      const commit = run(r.dir, 'git', ['commit', '-q', '-m', 'leak']);
      expect(commit.code, commit.out).toBe(1);
      expect(commit.out).toContain('commit blocked');

      run(r.dir, 'git', ['commit', '-q', '--no-verify', '-m', 'leak']);
      run(r.dir, 'git', ['checkout', '-q', '-b', 'topic']);
      const push = run(r.dir, 'git', ['push', '-q', 'origin', 'topic']);
      expect(push.code, push.out).not.toBe(0);
      expect(push.out).toContain('push blocked: 1 AWS key found');
      expect(push.out).toContain('git push --no-verify');
      expect(push.out).not.toContain(k.secret);
      expect(run(remote.dir, 'git', ['branch', '--list', 'topic']).out).toBe('');
    } finally {
      r.cleanup();
      remote.cleanup();
    }
  });
});
