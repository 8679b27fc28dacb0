import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli-main.js';
import { runRewritePlan } from '../../src/commands/rewrite-plan.js';
import { makeKeyId, makePair, makeSecret, makeSessionToken } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const hasFilterRepo = spawnSync('git', ['filter-repo', '--version']).status === 0;
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

/** A secret with the characters JSON and URLs encode, so the encoded copies are exercised too. */
function awkwardSecret(): string {
  for (;;) {
    const s = makeSecret();
    if (s.includes('/') && s.includes('+')) return s;
  }
}

function sh(cwd: string, cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
}

/** Every object reachable from every ref, in full. */
function reachableContent(dir: string): string {
  const list = sh(dir, 'git', ['rev-list', '--objects', '--all', '--no-object-names']);
  return execFileSync('git', ['cat-file', '--batch'], { cwd: dir, input: list, maxBuffer: 1 << 30 }).toString(
    'latin1',
  );
}

/** Each ref with its commit count. */
function shape(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ref of sh(dir, 'git', ['for-each-ref', '--format=%(refname)']).split('\n').filter(Boolean)) {
    out[ref] = sh(dir, 'git', ['rev-list', '--count', ref]).trim();
  }
  return out;
}

/** A fingerprint of everything in a repository: refs, objects and the work tree's status. */
function snapshot(dir: string): string {
  return [
    sh(dir, 'git', ['for-each-ref', '--format=%(objectname) %(refname)']),
    sh(dir, 'git', ['cat-file', '--batch-all-objects', '--batch-check']),
    sh(dir, 'git', ['status', '--porcelain', '--ignored']),
    sh(dir, 'git', ['config', '--list', '--local']),
  ].join('\n--\n');
}

describe.skipIf(!hasFilterRepo)('the generated script, run with the real git-filter-repo', () => {
  const pair = makePair();
  pair.secret = awkwardSecret();
  const temp = { keyId: makeKeyId('ASIA'), secret: makeSecret(), token: makeSessionToken() };
  const tagged = makePair();
  // A secret labelled as one, in a commit that names no key id: removed and verified on its own.
  const lone = makeSecret();
  const jsonSecret = pair.secret.replace(/\//g, '\\/');
  const urlSecret = pair.secret.replace(/\+/g, '%2B').replace(/\//g, '%2F');
  const radioactive = [pair.secret, jsonSecret, urlSecret, temp.secret, temp.token, tagged.secret, lone];
  let repo: TestRepo;
  let work: string;
  let before: string;
  let script: string;
  let markdown: string;
  let run: { status: number | null; stdout: string; stderr: string };
  let target: string;

  beforeAll(async () => {
    repo = TestRepo.create();
    work = mkdtempSync(join(tmpdir(), 'keyleak-rewrite-'));
    repo.commit('initial', {
      'README.md': '# service\n',
      'src/app.js': 'console.log("hello");\n',
      'assets/logo.bin': Buffer.from([0, 1, 2, 3, 255, 254, 0, 10]),
    });
    repo.commit('add settings', {
      'config/settings.ini': `[db]\nhost = db.internal\n[aws]\naws_access_key_id = ${pair.keyId}\naws_secret_access_key = ${pair.secret}\nregion = eu-west-1\n`,
    });
    repo.git('mv', 'config/settings.ini', 'config/app.ini');
    repo.commit('rename settings');
    repo.commit('ci settings', {
      'ci/deploy.yml': `env:\n  AWS_REGION: eu-west-1\n  AWS_SECRET_ACCESS_KEY: ${lone}\n`,
    });
    repo.git('tag', '-a', 'v1.0', '-m', 'first release');

    // A branch with a credentials file, a .env holding a temporary key and a notebook with the
    // JSON-escaped secret.
    repo.git('checkout', '-q', '-b', 'feature');
    repo.commit('local credentials', {
      '.aws/credentials': `[default]\naws_access_key_id = ${pair.keyId}\naws_secret_access_key = ${pair.secret}\n`,
      '.env': `AWS_ACCESS_KEY_ID=${temp.keyId}\nAWS_SECRET_ACCESS_KEY=${temp.secret}\nAWS_SESSION_TOKEN=${temp.token}\n`,
    });
    repo.commit('notebook', {
      'notes/run.ipynb': `{"cells": [{"source": ["s3 = boto3.client('s3', aws_access_key_id='${pair.keyId}', aws_secret_access_key='${jsonSecret}')\\n"]}]}\n`,
      'src/feature.js': 'export const feature = true;\n',
    });

    // A merge whose conflict resolution introduces the key.
    repo.git('checkout', '-q', 'main');
    repo.git('checkout', '-q', '-b', 'left');
    repo.commit('left', { 'deploy.sh': 'echo left\n' });
    repo.git('checkout', '-q', 'main');
    repo.git('checkout', '-q', '-b', 'right');
    repo.commit('right', { 'deploy.sh': 'echo right\n' });
    repo.git('checkout', '-q', 'left');
    expect(() => repo.git('merge', '-q', '--no-edit', 'right')).toThrow(); // a conflict on deploy.sh
    repo.write(
      'deploy.sh',
      `echo merged\ncurl "https://example.com/upload?key=${pair.keyId}&secret=${urlSecret}"\n`,
    );
    repo.git('add', 'deploy.sh');
    repo.commit('merge right into left');
    expect(repo.git('rev-list', '--parents', '-n1', 'left').trim().split(' ')).toHaveLength(3);

    // The key in a commit message, on main.
    repo.git('checkout', '-q', 'main');
    repo.commit(`debug with ${pair.keyId} ${pair.secret}`, { 'src/debug.js': 'debug();\n' });
    repo.git('tag', 'light', 'HEAD');
    // Another key in an annotated tag's message only.
    repo.git('tag', '-a', 'v2.0', '-m', `second release\n\nrotated ${tagged.keyId} ${tagged.secret}\n`);

    before = snapshot(repo.dir);
    const settings = {
      repo: repo.dir,
      mode: 'all' as const,
      range: null,
      output: null,
      config: null,
      jobs: 2,
    };
    script = (await runRewritePlan({ ...settings, format: 'sh' })).text;
    markdown = (await runRewritePlan({ ...settings, format: 'markdown' })).text;
    writeFileSync(join(work, 'plan.sh'), script);
    target = join(work, 'clean.git');
    mkdirSync(join(work, 'tmp'));
    const r = spawnSync('bash', [join(work, 'plan.sh'), target], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: join(work, 'tmp') },
    });
    run = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }, 120_000);

  afterAll(() => {
    repo?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('exits 0 and reports the first changed commits', () => {
    expect(run.stderr).not.toMatch(/FAILED|error/i);
    expect(run.status).toBe(0);
    // Every other offending commit descends from the one that added the settings file.
    expect(run.stdout).toMatch(
      /First changed commits \(1\), old -> new:\n {2}[0-9a-f]{40} -> [0-9a-f]{40}\n {6}replaced in config\/settings.ini\n/,
    );
    expect(run.stdout).toMatch(/Verified: .*; 7 ref\(s\) kept/);
    expect(run.stdout).toMatch(/Removed from every commit:\n {2}\.aws\/credentials\n {2}\.env\n/);
    expect(run.stdout).toContain('Nothing was pushed');
  });

  it('leaves no object of any ref holding the key ids, the secrets or the session token', () => {
    const content = reachableContent(target);
    for (const s of [pair.keyId, temp.keyId, tagged.keyId, ...radioactive])
      expect(content.includes(s)).toBe(false);
  });

  it('removes a secret found without its key id, reading it back from its commit, and names no key for it', () => {
    const ci = sh(target, 'git', ['show', 'refs/heads/main:ci/deploy.yml']);
    expect(ci).toBe('env:\n  AWS_REGION: eu-west-1\n  AWS_SECRET_ACCESS_KEY: ***REMOVED***\n');
    expect(script).toMatch(/^# the secret [A-Za-z0-9+/]{4}\*{36} \(key id unknown\)$/m);
    expect(script).toMatch(
      /^add_span \d+ secret 'the key whose id is unknown \([^']*\)' [0-9a-f]{40} 'ci\/deploy\.yml' 3 /m,
    );
    expect(script).toMatch(/^need \d+ secret 'the key whose id is unknown/m);
    expect(markdown).toContain('| unknown (secret found without it) |');
  });

  it("rewrites the annotated tag's message in place: still an annotated tag, on the same commit", () => {
    expect(sh(target, 'git', ['cat-file', '-t', 'refs/tags/v2.0']).trim()).toBe('tag');
    const message = sh(target, 'git', ['cat-file', 'tag', 'refs/tags/v2.0']);
    expect(message).toContain('second release');
    expect(message).toContain('rotated ***REMOVED*** ***REMOVED***');
    expect(sh(target, 'git', ['rev-parse', 'refs/tags/v2.0^{commit}'])).toBe(
      sh(target, 'git', ['rev-parse', 'refs/heads/main']),
    );
    expect(markdown).toContain('message of tag `v2.0`');
    expect(markdown).toMatch(/git cat-file tag [0-9a-f]{40} \| sed/);
    expect(markdown).toContain('the tags whose message held it (`v2.0`)');
  });

  it('keeps every branch and tag with the same number of commits', () => {
    expect(shape(target)).toEqual(shape(repo.dir));
    expect(Object.keys(shape(target))).toEqual(
      expect.arrayContaining([
        'refs/heads/main',
        'refs/heads/feature',
        'refs/heads/left',
        'refs/heads/right',
        'refs/tags/v1.0',
        'refs/tags/v2.0',
        'refs/tags/light',
      ]),
    );
    expect(sh(target, 'git', ['cat-file', '-t', 'refs/tags/v1.0']).trim()).toBe('tag');
  });

  it('leaves untouched files byte-identical and edits the others in place', () => {
    for (const ref of Object.keys(shape(repo.dir))) {
      const original = sh(repo.dir, 'git', ['ls-tree', '-r', ref]);
      const rewritten = sh(target, 'git', ['ls-tree', '-r', ref]);
      for (const entry of original.split('\n').filter(Boolean)) {
        const [meta, path] = entry.split('\t');
        const oid = meta!.split(' ')[2]!;
        const body = execFileSync('git', ['cat-file', 'blob', oid], { cwd: repo.dir }).toString('latin1');
        const leaked = [pair.keyId, temp.keyId, ...radioactive].some((s) => body.includes(s));
        if (!leaked) expect(rewritten, `${ref}:${path}`).toContain(entry);
      }
    }
    const ini = sh(target, 'git', ['show', 'refs/heads/main:config/app.ini']);
    expect(ini).toContain('host = db.internal');
    expect(ini).toContain('region = eu-west-1');
    expect(ini).toContain('aws_secret_access_key = ***REMOVED***');
  });

  it('removes files that are nothing but credentials from every commit', () => {
    const files = sh(target, 'git', ['log', '--all', '--format=', '--name-only']);
    expect(files).not.toMatch(/^\.aws\/credentials$/m);
    expect(files).not.toMatch(/^\.env$/m);
    expect(files).toMatch(/^notes\/run\.ipynb$/m);
  });

  it('leaves the original repository unchanged', () => {
    expect(snapshot(repo.dir)).toBe(before);
  });

  it('deletes its temporary files', () => {
    expect(readdirSync(join(work, 'tmp'))).toEqual([]);
  });

  it('never prints or writes a secret', () => {
    for (const text of [script, markdown, run.stdout, run.stderr]) {
      for (const s of radioactive) expect(text.includes(s)).toBe(false);
    }
    expect(readFileSync(join(work, 'plan.sh'), 'utf8')).toBe(script);
  });

  it.skipIf(!hasShellcheck)(
    hasShellcheck
      ? 'passes shellcheck with no warning'
      : 'passes shellcheck (SKIPPED: shellcheck is not installed)',
    () => {
      const r = spawnSync('shellcheck', ['--shell=bash', join(work, 'plan.sh')], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );

  it('fails verification, without printing the secret, when a copy survives the rewrite', () => {
    // Simulates a copy the expressions missed: a text the rewrite keeps (the tag's message) is looked
    // for as if it were one of the key's forms.
    const altered = script.replace(
      /^shape >"\$work\/shape.before"$/m,
      `printf '%s\\n' 'first release' | tee -a "$work/patterns.0" >>"$work/all-patterns"\nstat -c 'mode %a' "$work" "$expressions" >&2\n$&`,
    );
    expect(altered).not.toBe(script);
    writeFileSync(join(work, 'altered.sh'), altered);
    const r = spawnSync('bash', [join(work, 'altered.sh'), join(work, 'altered.git')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FAILED: ${pair.keyId} (or its secret) is still in 1 line(s)`);
    expect(r.stderr).toContain('verification failed: do not push');
    expect(r.stderr).toContain('mode 700\nmode 600\n');
    expect(r.stdout).not.toContain('Verified');
    for (const s of radioactive) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it('fails verification, naming the secret by its redacted form, when a lone secret survives', () => {
    const n = /^add_span (\d+) secret 'the key whose id is unknown/m.exec(script)![1];
    const altered = script.replace(
      /^shape >"\$work\/shape.before"$/m,
      `printf '%s\\n' 'first release' | tee -a "$work/patterns.${n}" >>"$work/all-patterns"\n$&`,
    );
    writeFileSync(join(work, 'altered-lone.sh'), altered);
    const r = spawnSync('bash', [join(work, 'altered-lone.sh'), join(work, 'altered-lone.git')], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /FAILED: the secret \S{40} \(key id unknown\) is still in 1 line\(s\) reachable from a ref\n/,
    );
    expect(r.stdout).not.toContain('Verified');
    for (const s of radioactive) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it('refuses to rewrite when a secret cannot be read back from the clone', () => {
    // A repository holding only part of the scanned history: the temporary key's commit is missing.
    const other = TestRepo.create();
    try {
      other.git('pull', '-q', repo.dir, 'main');
      const r = spawnSync('bash', [join(work, 'plan.sh'), join(work, 'partial.git'), other.dir], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`could not read the secret of ${temp.keyId} from any commit it leaked in`);
      expect(r.stdout).not.toContain('Running git filter-repo');
      for (const s of radioactive) expect(r.stdout + r.stderr).not.toContain(s);
    } finally {
      other.cleanup();
    }
  });

  it('prints usage and exits 2 without a target, and refuses an existing one', () => {
    const none = spawnSync('bash', [join(work, 'plan.sh')], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('usage: bash');
    const exists = spawnSync('bash', [join(work, 'plan.sh'), work], { encoding: 'utf8' });
    expect(exists.status).toBe(1);
    expect(exists.stderr).toContain('already exists');
  });

  it('is what `keyleak rewrite-plan --format sh --output FILE` writes', async () => {
    const out = join(work, 'cli.sh');
    expect(await main(['rewrite-plan', '--repo', repo.dir, '--format', 'sh', '--output', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(script);
  });
});

if (!hasFilterRepo) {
  describe('the generated script', () => {
    it.skip('needs git-filter-repo on PATH (pip install git-filter-repo) to run', () => {});
  });
}

describe.skipIf(!hasFilterRepo)(
  'a rewrite removes each key’s own secrets, and nothing that only sits near',
  () => {
    let repo: TestRepo;
    let work: string;

    afterAll(() => {
      repo?.cleanup();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('two keys and an XML model in one commit: both secrets gone, the closing tag kept, Verified', async () => {
      const a = makePair();
      const b = makePair();
      const modelName = 'AuthorizeDBSecurityGroupIngressResponse';
      repo = TestRepo.create();
      work = mkdtempSync(join(tmpdir(), 'keyleak-rewrite-'));
      repo.commit('initial', { 'README.md': '# service\n' });
      repo.commit('deploy', {
        'deploy/a.sh': `export AWS_ACCESS_KEY_ID=${a.keyId}\nexport KEY=${a.secret}\n`,
        'config/b.yml': `access_key_id: ${b.keyId}\n`,
        'config/b.ini': `[default]\naws_secret_access_key = ${b.secret}\n`,
        'model/rds.xml': `<x>\n</${modelName}>\n`,
      });
      const settings = {
        repo: repo.dir,
        mode: 'all' as const,
        range: null,
        output: null,
        config: null,
        jobs: 1,
      };
      const script = (await runRewritePlan({ ...settings, format: 'sh' })).text;
      writeFileSync(join(work, 'plan.sh'), script);
      const target = join(work, 'clean.git');
      mkdirSync(join(work, 'tmp'));
      const r = spawnSync('bash', [join(work, 'plan.sh'), target], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, TMPDIR: join(work, 'tmp') },
      });
      expect(r.stderr).not.toMatch(/FAILED/);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Verified: /);
      const content = reachableContent(target);
      for (const s of [a.keyId, a.secret, b.keyId, b.secret]) expect(content.includes(s)).toBe(false);
      expect(content).toContain(`</${modelName}>`);
    }, 120_000);
  },
);
