import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { makeKeyId, makePair, makeSessionToken } from './helpers/keys.js';
import { TestRepo } from './helpers/repo.js';

let repo: TestRepo;
let clean: TestRepo;
const pair = makePair('ASIA');
const token = makeSessionToken();
let tmp: string;

beforeAll(() => {
  repo = TestRepo.create();
  repo.commit('init', { 'README.md': '# app\n' });
  repo.commit('add creds', {
    'deploy/.env': `AWS_ACCESS_KEY_ID=${pair.keyId}\nAWS_SECRET_ACCESS_KEY=${pair.secret}\nAWS_SESSION_TOKEN=${token}\n`,
    'docs/example.md': 'AKIAIOSFODNN7EXAMPLE\n',
  });
  clean = TestRepo.create();
  clean.commit('init', { a: 'nothing here\n' });
  tmp = mkdtempSync(join(tmpdir(), 'keyleak-cli-'));
});
afterAll(() => {
  repo.cleanup();
  clean.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('keyleak scan', () => {
  it('exits 0 when nothing is found', async () => {
    const r = await cli('scan', '--repo', clean.dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no leaked AWS keys found');
  });

  it('exits 1 with findings, and never prints the secret or the session token in any format', async () => {
    for (const format of ['text', 'json', 'sarif', 'markdown']) {
      const r = await cli('scan', '--repo', repo.dir, '--format', format);
      expect(r.code, format).toBe(1);
      expect(r.out, format).toContain(pair.keyId);
      expect(r.out + r.err, format).not.toContain(pair.secret);
      expect(r.out + r.err, format).not.toContain(token);
    }
  });

  it('writes the JSON report to --output with the documented shape', async () => {
    const file = join(tmp, 'report.json');
    const r = await cli('scan', '--repo', repo.dir, '--format', 'json', '--output', file);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const report = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(report)).toEqual([
      'findings',
      'loneSecrets',
      'suppressed',
      'stats',
      'incomplete',
      'warnings',
    ]);
    expect(report.loneSecrets).toEqual([]);
    expect(report.findings[0]).toMatchObject({
      keyId: pair.keyId,
      keyKind: 'temporary',
      secretFound: true,
      secretRedacted: pair.secret.slice(0, 4) + '*'.repeat(36),
      locations: [{ commit: expect.stringMatching(/^[0-9a-f]{40}$/), path: 'deploy/.env', line: 1 }],
    });
    expect(report.suppressed).toEqual([
      expect.objectContaining({ keyId: 'AKIAIOSFODNN7EXAMPLE', reason: 'aws-example' }),
    ]);
  });

  it('writes SARIF that the SARIF Multitool accepts under GitHub ingestion rules', async () => {
    const file = join(tmp, 'keyleak.sarif');
    const msg = TestRepo.create();
    try {
      msg.commit(`debug with ${makeKeyId()}`, { a: '1\n' });
      for (const [dir, name] of [
        [repo.dir, 'files'],
        [msg.dir, 'message'],
      ] as const) {
        await cli('scan', '--repo', dir, '--format', 'sarif', '--output', file);
        const bin = createRequire(import.meta.url)('@microsoft/sarif-multitool') as string;
        const out = join(tmp, `validation-${name}.sarif`);
        const v = spawnSync(bin, ['validate', '--rule-kind', 'Gh;Sarif', '--output', out, file], {
          encoding: 'utf8',
        });
        expect(v.status, v.stdout + v.stderr).toBe(0);
        const results = JSON.parse(readFileSync(out, 'utf8')).runs[0].results as {
          ruleId: string;
          message: unknown;
        }[];
        expect(results.map((x) => `${x.ruleId}: ${JSON.stringify(x.message)}`)).toEqual([]);
        const sarif = JSON.parse(readFileSync(file, 'utf8'));
        expect(sarif.runs[0].results.length).toBeGreaterThan(0);
        expect(sarif.runs[0].tool.driver.rules[0].properties['security-severity']).toBeDefined();
      }
    } finally {
      msg.cleanup();
    }
  }, 60_000);
});

describe('bad input gets a message and exit 2, never a stack trace', () => {
  it.each([
    [['scan', '--repo', '/nonexistent/dir'], /--repo '\/nonexistent\/dir' does not exist/],
    [['scan', '--bogus'], /Unknown option '--bogus'/],
    [['scan', '--format', 'xml'], /invalid --format 'xml'/],
    [['scan', '--jobs', '0'], /invalid --jobs '0'/],
    [['scan', '--all', '--staged'], /choose one of/],
    [['scan', '--range', 'HEAD'], /invalid --range 'HEAD'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('an unknown revision in --range names it', async () => {
    const r = await cli('scan', '--repo', clean.dir, '--range', 'HEAD..nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown revision 'nope'");
  });

  it('a malformed config names the file, line and field', async () => {
    const file = join(tmp, 'bad.yml');
    writeFileSync(file, 'allow:\n  paths: [ok]\n  commits: [not-a-sha]\n');
    const r = await cli('scan', '--repo', clean.dir, '--config', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:3: allow.commits: 'not-a-sha' is not a commit SHA`);
  });

  it('a missing config file is an error, not an empty config', async () => {
    const r = await cli('scan', '--repo', clean.dir, '--config', join(tmp, 'absent.yml'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('cannot read config file');
  });

  it('an incomplete scan that found nothing exits 2 and says why', async () => {
    const shallow = mkdtempSync(join(tmpdir(), 'keyleak-shallow-'));
    try {
      clean.commit('second', { b: '2\n' });
      spawnSync('git', ['clone', '-q', '--depth=1', `file://${clean.dir}`, shallow]);
      const r = await cli('scan', '--repo', shallow);
      expect(r.code).toBe(2);
      expect(r.out).toMatch(/shallow clone/);
      expect(r.out).toMatch(/INCOMPLETE/);
    } finally {
      rmSync(shallow, { recursive: true, force: true });
    }
  });
});
