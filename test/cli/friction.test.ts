import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config.js';
import { bundle } from '../helpers/bundle.js';
import { cli } from '../helpers/cli.js';
import { makePair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const ZERO = '0'.repeat(40);
const pair = makePair();
let repo: TestRepo;
let tmp: string;

beforeAll(() => {
  repo = TestRepo.create();
  repo.commit('init', { 'README.md': '# app\n' });
  repo.commit('add creds', {
    '.env': `AWS_ACCESS_KEY_ID=${pair.keyId}\nAWS_SECRET_ACCESS_KEY=${pair.secret}\n`,
  });
  tmp = mkdtempSync(join(tmpdir(), 'keyleak-cli-friction-'));
});
afterAll(() => {
  repo.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('keyleak COMMAND --help', () => {
  it.each(['scan', 'trail', 'rewrite-plan', 'org-merge', 'baseline'])(
    '%s --help prints its usage on stdout and exits 0',
    async (command) => {
      for (const flag of ['--help', '-h']) {
        const r = await cli(command, flag);
        expect(r.code).toBe(0);
        expect(r.out).toContain(`usage: keyleak ${command}`);
        expect(r.err).toBe('');
      }
    },
  );
});

describe('checks before scanning', () => {
  it.each([
    [
      'a directory that does not exist',
      join('/nonexistent', 'dir', 'report.json'),
      "directory '/nonexistent/dir' does not exist",
    ],
    ['an existing directory', '.', 'it is a directory'],
  ])(
    '--output in %s fails at once, saying what is wrong and that nothing was scanned',
    async (_name, output, why) => {
      const r = await cli('scan', '--repo', repo.dir, '--output', output);
      expect(r.code).toBe(2);
      expect(r.err).toContain(why);
      expect(r.err).toContain('nothing was scanned');
      expect(r.out).toBe('');
    },
  );

  it('rewrite-plan and trail check their output files the same way', async () => {
    const plan = await cli('rewrite-plan', '--repo', repo.dir, '--output', '/nonexistent/plan.md');
    expect(plan.err).toContain("directory '/nonexistent' does not exist");
    const trail = await cli('trail', '--key', pair.keyId, '--events-out', '/nonexistent/events.json');
    expect(trail.code).toBe(2);
    expect(trail.err).toContain("cannot write --events-out '/nonexistent/events.json'");
  });

  it.each([
    ['does not exist', '/nonexistent/repo', "--repo '/nonexistent/repo' does not exist"],
    ['is a file', '/etc/hostname', "--repo '/etc/hostname' is not a directory"],
  ])('a --repo that %s is named as such, not as a missing git', async (_name, dir, message) => {
    for (const mode of ['--all', '--staged', '--no-git']) {
      const r = await cli('scan', '--repo', dir, mode);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
      expect(r.err).not.toContain('ENOENT');
    }
  });
});

describe('text output', () => {
  it('gives each finding its fingerprint, the value a baseline or allow list takes', async () => {
    const r = await cli('scan', '--repo', repo.dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {4}fingerprint keyleak:v1:[0-9a-f]{32}$/m);
  });
});

describe('range starting at the zero id (a new branch in a pre-push hook)', () => {
  it('scans everything when there is no remote', async () => {
    const r = await cli('scan', '--repo', repo.dir, '--range', `${ZERO}..HEAD`, '--format', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).findings[0].keyId).toBe(pair.keyId);
  });

  it('scans only what the remotes do not have yet', async () => {
    const clone = TestRepo.create();
    try {
      clone.git('fetch', '-q', repo.dir, '+refs/heads/*:refs/remotes/origin/*');
      clone.git('checkout', '-q', '-b', 'topic', 'origin/main');
      const clean = await cli('scan', '--repo', clone.dir, '--range', `${ZERO}..HEAD`);
      expect(clean.code, clean.err).toBe(0);
      const other = makePair();
      clone.commit('new work', {
        'new.env': `AWS_ACCESS_KEY_ID=${other.keyId}\nAWS_SECRET_ACCESS_KEY=${other.secret}\n`,
      });
      const r = await cli('scan', '--repo', clone.dir, '--range', `${ZERO}..HEAD`, '--format', 'json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).findings.map((f: { keyId: string }) => f.keyId)).toEqual([other.keyId]);
    } finally {
      clone.cleanup();
    }
  });
});

describe('account ids in the config', () => {
  it.each([
    ['a quoted string', "canary-accounts: ['111122223333']", ['111122223333']],
    ['a YAML number', 'canary-accounts: [111122223333]', ['111122223333']],
    ['a number with a leading zero, as written', 'canary-accounts:\n  - 012345678901', ['012345678901']],
  ])('are accepted as %s', (_name, text, ids) => {
    expect([...parseConfig(text, 'k.yml').canaryAccounts]).toEqual(ids);
  });

  it.each([
    ['a float', 'canary-accounts: [1.11122223333e11]', "'1.11122223333e11' is not a 12-digit AWS account id"],
    ['eleven digits', 'canary-accounts: [11112222333]', "'11112222333' is not a 12-digit AWS account id"],
    ['a hex number', 'canary-accounts: [0x1F]', "'0x1F' is not a 12-digit AWS account id"],
  ])('are rejected as %s, naming the value as written', (_name, text, message) => {
    expect(() => parseConfig(text, 'k.yml')).toThrow(`k.yml:1: canary-accounts: ${message}`);
  });
});

describe('keyleak baseline', () => {
  it("records today's keys in the config so that the next scan reports only new ones", async () => {
    const r = TestRepo.create();
    try {
      const old = makePair();
      r.commit('old leak', {
        'app.env': `AWS_ACCESS_KEY_ID=${old.keyId}\nAWS_SECRET_ACCESS_KEY=${old.secret}\n`,
      });
      r.write('.github/keyleak.yml', '# owned by security\nallow:\n  paths: [docs/**] # examples\n');
      const b = await cli('baseline', '--repo', r.dir);
      expect(b.code, b.err).toBe(0);
      expect(b.out).toContain(`recorded 1 key in the baseline of ${join(r.dir, '.github', 'keyleak.yml')}`);
      expect(b.out).toContain('still\nleaked');
      const config = readFileSync(join(r.dir, '.github/keyleak.yml'), 'utf8');
      expect(config).toMatch(
        /^# owned by security\nallow:\n {2}paths: \[docs\/\*\*\] # examples\nbaseline:\n {2}- keyleak:v1:[0-9a-f]{32} # long-term key, 1 location, baselined \d{4}-\d\d-\d\d\n$/,
      );
      expect(config).not.toContain(old.keyId);

      const clean = await cli('scan', '--repo', r.dir);
      expect(clean.code).toBe(0);
      expect(clean.out).toContain('suppressed (1)');

      const fresh = makePair();
      r.commit('new leak', {
        'new.env': `AWS_ACCESS_KEY_ID=${fresh.keyId}\nAWS_SECRET_ACCESS_KEY=${fresh.secret}\n`,
      });
      const after = await cli('scan', '--repo', r.dir, '--format', 'json');
      expect(after.code).toBe(1);
      expect(JSON.parse(after.out).findings.map((f: { keyId: string }) => f.keyId)).toEqual([fresh.keyId]);

      const again = await cli('baseline', '--repo', r.dir, '--range', 'HEAD~1..HEAD');
      expect(again.out).toContain('recorded 1 key');
      const twice = await cli('baseline', '--repo', r.dir);
      expect(twice.out).toContain('nothing new to record');
      expect(twice.out).toContain('2 keys already in the baseline');
    } finally {
      r.cleanup();
    }
  });

  it('fails before scanning when the config file is broken, leaving it as it was', async () => {
    const file = join(tmp, 'broken.yml');
    writeFileSync(file, 'baseline: nope\n');
    const r = await cli('baseline', '--repo', repo.dir, '--config', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:1: baseline: expected a list`);
    expect(readFileSync(file, 'utf8')).toBe('baseline: nope\n');
  });
});

describe('the installed command', () => {
  let dir: string;
  beforeAll(() => {
    dir = bundle('src/cli.ts');
  }, 300_000);

  it('ends quietly with the scan exit status when its reader closes the pipe (keyleak scan | head)', async () => {
    const dir2 = mkdtempSync(join(tmp, 'many-'));
    const lines = Array.from({ length: 300 }, () => {
      const p = makePair();
      return `AWS_ACCESS_KEY_ID=${p.keyId}\nAWS_SECRET_ACCESS_KEY=${p.secret}\n`;
    });
    writeFileSync(join(dir2, 'keys.env'), lines.join('\n'));
    const child = spawn(process.execPath, [join(dir, 'index.js'), 'scan', '--no-git', '--repo', dir2], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader is gone before the report is written: every write meets a closed pipe.
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(1);
  });
});
