import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanRepository } from '../../src/commands/scan.js';
import { parseConfig } from '../../src/core/config.js';
import { fingerprintSecret } from '../../src/core/redact.js';
import { renderMarkdown } from '../../src/core/render/markdown.js';
import { renderText } from '../../src/core/render/text.js';
import { parseScanArgs } from '../../src/settings.js';
import { makePair, makeSecret } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';
import { cli } from '../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function repo(): TestRepo {
  const r = TestRepo.create();
  cleanups.push(() => r.cleanup());
  return r;
}

const scan = (dir: string, ...flags: string[]) =>
  scanRepository(parseScanArgs(['--repo', dir, ...flags], { cwd: dir, isTTY: false }));

describe('keyleak baseline and secrets found without their key id', () => {
  it('records their fingerprints beside the keys’, and the next scan lists them as suppressed', async () => {
    const r = repo();
    const key = makePair();
    const lone = makeSecret();
    r.commit('key', { 'app.env': `AWS_ACCESS_KEY_ID=${key.keyId}\nAWS_SECRET_ACCESS_KEY=${key.secret}\n` });
    r.commit('ci', { 'ci/deploy.yml': `env:\n  AWS_SECRET_ACCESS_KEY: ${lone}\n` });

    const b = await cli('baseline', '--repo', r.dir);
    expect(b.code, b.err).toBe(0);
    expect(b.out).toContain('recorded 1 key and 1 secret without a key id in the baseline');
    expect(b.out).toContain(`  ${fingerprintSecret(lone)}  secret ${lone.slice(0, 4)}${'*'.repeat(36)}\n`);
    const config = readFileSync(join(r.dir, '.github/keyleak.yml'), 'utf8');
    expect(config).toMatch(
      new RegExp(
        `- ${fingerprintSecret(lone)} # secret without a key id, 1 location, baselined \\d{4}-\\d\\d-\\d\\d\\n`,
      ),
    );
    expect(config).not.toContain(lone);

    const { report } = await scan(r.dir);
    expect(report.findings).toEqual([]);
    expect(report.loneSecrets).toEqual([]);
    expect(report.suppressed.map((s) => [s.keyId, s.reason, s.fingerprint])).toEqual([
      [key.keyId, 'baseline', expect.any(String)],
      [null, 'baseline', fingerprintSecret(lone)],
    ]);

    const twice = await cli('baseline', '--repo', r.dir);
    expect(twice.out).toContain('nothing new to record');
    expect(twice.out).toContain('(1 key and 1 secret without a key id already in the baseline)');
  });

  it('a config lists a secret’s fingerprint in its baseline, and still rejects anything else', () => {
    const fp = fingerprintSecret(makeSecret());
    expect([...parseConfig(`baseline: ['${fp}']\n`, 'k.yml').baseline]).toEqual([fp]);
    expect(() => parseConfig('baseline: [keyleak:v1:secret:xyz]\n', 'k.yml')).toThrow(
      "k.yml:1: baseline: 'keyleak:v1:secret:xyz' is not a keyleak fingerprint",
    );
  });
});

describe('the suppressed list names secrets found without their key id, with the reason', () => {
  const cases: [string, (secret: string) => { files: Record<string, string>; config?: string }, string][] = [
    [
      'an allow marker on its line',
      (s) => ({ files: { 'ci.yml': `AWS_SECRET_ACCESS_KEY: ${s} # keyleak:allow\n` } }),
      'inline-allow',
    ],
    [
      'an allowed path',
      (s) => ({
        files: { 'docs/setup.md': `aws_secret_access_key = ${s}\n` },
        config: "allow:\n  paths: ['docs/**']\n",
      }),
      'allowed-path',
    ],
    [
      'the baseline',
      (s) => ({
        files: { 'ci.yml': `AWS_SECRET_ACCESS_KEY: ${s}\n` },
        config: `baseline: ['${fingerprintSecret(s)}']\n`,
      }),
      'baseline',
    ],
  ];
  it.each(cases)('%s', async (_name, make, reason) => {
    const r = repo();
    const secret = makeSecret();
    const { files, config } = make(secret);
    r.commit('add', files);
    const flags: string[] = [];
    if (config) {
      const file = join(r.dir, 'keyleak.yml');
      writeFileSync(file, config);
      flags.push('--config', file);
    }
    const { report } = await scan(r.dir, ...flags);
    expect(report.loneSecrets).toEqual([]);
    expect(report.suppressed).toEqual([
      {
        keyId: null,
        secretRedacted: secret.slice(0, 4) + '*'.repeat(36),
        reason,
        fingerprint: fingerprintSecret(secret),
        locations: [expect.objectContaining({ path: Object.keys(files)[0], line: 1 })],
      },
    ]);
    const text = renderText(report);
    expect(text).toContain(
      `secret ${secret.slice(0, 4)}${'*'.repeat(36)} (no key id)  ${reason}  1 location`,
    );
    expect(renderMarkdown(report)).toContain(`without a key id\` | ${reason} | 1 |`);
    for (const out of [text, renderMarkdown(report), JSON.stringify(report)])
      expect(out).not.toContain(secret);
  });

  it('an allowed commit', async () => {
    const r = repo();
    const secret = makeSecret();
    const sha = r.commit('add', { 'ci.yml': `AWS_SECRET_ACCESS_KEY: ${secret}\n` });
    const file = join(r.dir, 'keyleak.yml');
    writeFileSync(file, `allow:\n  commits: ['${sha.slice(0, 12)}']\n`);
    const { report } = await scan(r.dir, '--config', file);
    expect(report.suppressed.map((s) => [s.keyId, s.reason])).toEqual([[null, 'allowed-commit']]);
  });
});
