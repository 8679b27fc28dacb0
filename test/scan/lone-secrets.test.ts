import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli-main.js';
import { blockedAdvice } from '../../src/commands/hook.js';
import { exitCodeFor, scanRepository } from '../../src/commands/scan.js';
import { fingerprintSecret } from '../../src/core/redact.js';
import { parseScanArgs } from '../../src/settings.js';
import { makeKeyId, makeSecret } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

type Mode = '--no-git' | '--staged' | '--range';
type Files = Record<string, string>;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyleak-lone-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Scans `files` as a plain directory, as what is staged, or as the one commit a range adds. */
async function scan(mode: Mode, files: Files) {
  let dir: string;
  let flags: string[];
  if (mode === '--no-git') {
    dir = tempDir();
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
    flags = ['--no-git'];
  } else {
    const repo = TestRepo.create();
    cleanups.push(() => repo.cleanup());
    repo.commit('init', { 'README.md': '# app\n' });
    dir = repo.dir;
    if (mode === '--staged') {
      for (const [p, c] of Object.entries(files)) repo.write(p, c);
      repo.git('add', '-A');
      flags = ['--staged'];
    } else {
      repo.commit('add files', files);
      flags = ['--range', 'HEAD~1..HEAD'];
    }
  }
  return scanRepository(parseScanArgs(['--repo', dir, ...flags], { cwd: dir, isTTY: false }));
}

const redacted = (s: string) => s.slice(0, 4) + '*'.repeat(36);

interface Case {
  name: string;
  build: () => {
    files: Files;
    /** Each lone secret expected, with where it must be located. */
    lone: { secret: string; at: { path: string; line: number }[] }[];
    /** Key ids expected as findings. */
    keys?: string[];
  };
}

const cases: Case[] = [
  {
    name: 'an ini credentials file with only the secret line',
    build: () => {
      const secret = makeSecret();
      return {
        files: { 'config/credentials': `[default]\nregion = eu-west-1\naws_secret_access_key = ${secret}\n` },
        lone: [{ secret, at: [{ path: 'config/credentials', line: 3 }] }],
      };
    },
  },
  {
    name: 'an environment variable in a YAML workflow',
    build: () => {
      const secret = makeSecret();
      return {
        files: { 'ci/deploy.yml': `env:\n  AWS_REGION: us-east-1\n  AWS_SECRET_ACCESS_KEY: ${secret}\n` },
        lone: [{ secret, at: [{ path: 'ci/deploy.yml', line: 3 }] }],
      };
    },
  },
  {
    name: 'a JSON document in the shape IAM returns',
    build: () => {
      const secret = makeSecret();
      return {
        files: { 'out.json': `{\n  "AccessKey": {\n    "SecretAccessKey": "${secret}"\n  }\n}\n` },
        lone: [{ secret, at: [{ path: 'out.json', line: 3 }] }],
      };
    },
  },
  {
    name: 'one secret copied into two files: one lone secret, both places',
    build: () => {
      const secret = makeSecret();
      return {
        files: {
          'a.env': `AWS_SECRET_ACCESS_KEY=${secret}\n`,
          'b/c.ini': `# old\naws_secret_access_key=${secret}\n`,
        },
        lone: [
          {
            secret,
            at: [
              { path: 'a.env', line: 1 },
              { path: 'b/c.ini', line: 2 },
            ],
          },
        ],
      };
    },
  },
  {
    name: 'a secret next to its key id is the key finding, not a lone secret',
    build: () => {
      const keyId = makeKeyId();
      return {
        files: { '.env': `AWS_ACCESS_KEY_ID=${keyId}\nAWS_SECRET_ACCESS_KEY=${makeSecret()}\n` },
        lone: [],
        keys: [keyId],
      };
    },
  },
  {
    name: 'an unlabelled 40-character string stays out',
    build: () => ({ files: { 'notes.txt': `token ${makeSecret()}\nvalue = ${makeSecret()}\n` }, lone: [] }),
  },
  {
    name: 'a secret labelled only as some secret stays out',
    build: () => ({ files: { 'app.cfg': `client_secret = ${makeSecret()}\n` }, lone: [] }),
  },
  {
    name: "AWS's documentation secret stays out",
    build: () => ({
      files: { 'docs/setup.md': 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' },
      lone: [],
    }),
  },
  {
    name: 'a line carrying the allow marker stays out',
    build: () => ({
      files: { 'fixtures/creds.ini': `aws_secret_access_key = ${makeSecret()} # keyleak:allow\n` },
      lone: [],
    }),
  },
];

describe('lone secrets: labelled secret access keys with no key id', () => {
  for (const mode of ['--no-git', '--staged', '--range'] as const) {
    it.each(cases)(`${mode}: $name`, async (c) => {
      const { files, lone, keys = [] } = c.build();
      const { report } = await scan(mode, files);
      expect(report.findings.map((f) => f.keyId)).toEqual(keys);
      const got = report.loneSecrets ?? [];
      expect(
        got.map((s) => ({
          secretRedacted: s.secretRedacted,
          fingerprint: s.fingerprint,
          at: s.locations.map((l) => ({ path: l.path, line: l.line })),
        })),
      ).toEqual(
        lone.map((l) => ({
          secretRedacted: redacted(l.secret),
          fingerprint: fingerprintSecret(l.secret),
          at: l.at,
        })),
      );
      if (mode === '--range')
        for (const s of got) for (const l of s.locations) expect(l.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(exitCodeFor(report)).toBe(lone.length + keys.length > 0 ? 1 : 0);
    });
  }
});

describe('lone secrets in every output format', () => {
  it.each(['text', 'json', 'markdown', 'sarif'])(
    '%s names the secret by its redacted form and fingerprint, never the secret itself',
    async (format) => {
      const secret = makeSecret();
      const repo = TestRepo.create();
      cleanups.push(() => repo.cleanup());
      repo.commit('init', { 'README.md': '# app\n' });
      repo.commit('creds', { 'deploy/prod.env': `REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY=${secret}\n` });
      const out = join(tempDir(), `report.${format}`);
      const code = await main(['scan', '--repo', repo.dir, '--all', '--format', format, '--output', out]);
      expect(code).toBe(1);
      const text = readFileSync(out, 'utf8');
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(4));
      expect(text).toContain(redacted(secret));
      if (format !== 'sarif') expect(text).toContain(fingerprintSecret(secret));
      if (format === 'text') {
        expect(text).toContain('no key id in the same file or commit');
        expect(text).toMatch(/deploy\/prod\.env:2/);
      }
      if (format === 'json') {
        const json = JSON.parse(text);
        expect(json.loneSecrets[0].locations[0]).toMatchObject({ path: 'deploy/prod.env', line: 2 });
      }
      if (format === 'sarif') {
        const sarif = JSON.parse(text);
        const results = sarif.runs[0].results;
        expect(results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['aws-secret-access-key']);
        expect(results[0].locations[0].physicalLocation).toMatchObject({
          artifactLocation: { uri: 'deploy/prod.env' },
          region: { startLine: 2 },
        });
        const bin = createRequire(import.meta.url)('@microsoft/sarif-multitool') as string;
        const validation = `${out}.validation`;
        const v = spawnSync(bin, ['validate', '--rule-kind', 'Gh;Sarif', '--output', validation, out], {
          encoding: 'utf8',
        });
        expect(v.status, v.stdout + v.stderr).toBe(0);
        expect(JSON.parse(readFileSync(validation, 'utf8')).runs[0].results).toEqual([]);
      }
    },
    60_000,
  );
});

describe('lone secrets in a packed history', () => {
  it('a full-history scan finds a secret labelled in a file version stored as a delta', async () => {
    const [first, second] = [makeSecret(), makeSecret()];
    const repo = TestRepo.create();
    cleanups.push(() => repo.cleanup());
    const body = Array.from({ length: 200 }, (_, i) => `line ${i} of the setup notes`).join('\n') + '\n';
    repo.commit('init', { 'docs/setup.md': body });
    repo.commit('creds', { 'deploy/prod.env': `REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY=${first}\n` });
    repo.commit('notes', { 'docs/setup.md': `${body}aws_secret_access_key = ${second}\n` });
    repo.commit('more notes', { 'docs/setup.md': `${body}aws_secret_access_key = ${second}\nend\n` });
    repo.git('gc', '-q', '--aggressive');
    const { report } = await scanRepository(
      parseScanArgs(['--repo', repo.dir, '--all'], { cwd: repo.dir, isTTY: false }),
    );
    expect(
      (report.loneSecrets ?? []).map((s) => [
        s.secretRedacted,
        s.locations.map((l) => `${l.path}:${l.line}`),
      ]),
    ).toEqual([
      [redacted(first), ['deploy/prod.env:2']],
      // Each file version that holds it is a place it leaked at, as for a key id.
      [redacted(second), ['docs/setup.md:201', 'docs/setup.md:201']],
    ]);
  });
});

describe('lone secrets block the hooks', () => {
  it('a staged lone secret blocks the commit and the advice names it', async () => {
    const { report } = await scan('--staged', { 'app.env': `AWS_SECRET_ACCESS_KEY=${makeSecret()}\n` });
    expect(exitCodeFor(report)).toBe(1);
    expect(blockedAdvice(report, 'commit')).toContain(
      'commit blocked: 1 AWS secret without a key id found (listed above)',
    );
  });
});
