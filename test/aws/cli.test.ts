import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli-main.js';
import type { ScanReport } from '../../src/core/types.js';
import type { AwsEmulator } from '../emulators/aws/index.js';
import { TestRepo } from '../helpers/repo.js';
import { allSecrets, MANAGED, startWorld, type Keys } from './world.js';

let emu: AwsEmulator | null = null;
let repo: TestRepo | null = null;
let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await emu?.close();
  emu = null;
  repo?.cleanup();
  repo = null;
});

function leakingRepo(k: Keys): TestRepo {
  const r = TestRepo.create();
  r.commit('add config', {
    'config/prod.env': `aws_access_key_id = ${k.alice.keyId}\naws_secret_access_key = ${k.alice.secret}\n`,
    'config/other.env': `AWS_ACCESS_KEY_ID=${k.eve.keyId}\nAWS_SECRET_ACCESS_KEY=${k.eve.secret}\n`,
  });
  return r;
}

describe('keyleak scan --verify', () => {
  it('without --verify touches no network', async () => {
    const w = await startWorld();
    emu = w.emu;
    repo = leakingRepo(w.keys);
    const code = await main(['scan', '--repo', repo.dir, '--format', 'json', '--no-progress']);
    expect(code).toBe(1);
    expect(emu.requests).toEqual([]);
    const report = JSON.parse(out) as ScanReport;
    expect(report.findings.every((f) => f.verification === undefined && f.response === undefined)).toBe(true);
  });

  it('verifies, deactivates the live key of the managed account, leaves the other alone, and still exits 1', async () => {
    const w = await startWorld();
    emu = w.emu;
    repo = leakingRepo(w.keys);
    const code = await main([
      'scan',
      '--repo',
      repo.dir,
      '--verify',
      '--deactivate',
      '--revoke-sessions',
      '--managed-accounts',
      MANAGED,
      '--format',
      'json',
      '--no-progress',
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(out) as ScanReport;
    const byKey = new Map(report.findings.map((f) => [f.keyId, f]));
    expect(byKey.get(w.keys.alice.keyId)).toMatchObject({
      verification: { status: 'live', accountId: MANAGED, userName: 'alice' },
      response: { action: 'deactivated' },
    });
    expect(byKey.get(w.keys.eve.keyId)).toMatchObject({
      verification: { status: 'live' },
      response: { action: 'not-managed' },
    });
    expect(emu.state.keys.get(w.keys.alice.keyId)!.status).toBe('Inactive');
    expect(emu.state.keys.get(w.keys.eve.keyId)!.status).toBe('Active');
    for (const s of allSecrets(w.keys)) {
      expect(out).not.toContain(s);
      expect(err).not.toContain(s);
    }
  });

  it('exits 4 when containment could not be done, and 1 with --no-fail-on-errors', async () => {
    const w = await startWorld();
    emu = w.emu;
    repo = leakingRepo(w.keys);
    emu.state.keys.get(w.keys.responder.keyId)!.status = 'Inactive';
    const args = [
      'scan',
      '--repo',
      repo.dir,
      '--verify',
      '--deactivate',
      '--format',
      'json',
      '--no-progress',
    ];
    expect(await main(args)).toBe(4);
    expect(err).toMatch(/error: containment of AKIA\S+ could not be done: .*invalid or expired/);
    expect(err).not.toMatch(/not-managed/);
    err = '';
    out = '';
    expect(await main([...args, '--no-fail-on-errors'])).toBe(1);
    expect(err).toMatch(/error: containment of AKIA\S+ could not be done/);
  });

  it('--dry-run changes nothing and says what it would do, in every format', async () => {
    const w = await startWorld();
    emu = w.emu;
    repo = leakingRepo(w.keys);
    for (const format of ['text', 'json', 'markdown', 'sarif']) {
      out = '';
      const code = await main([
        'scan',
        '--repo',
        repo.dir,
        '--verify',
        '--dry-run',
        '--managed-accounts',
        MANAGED,
        '--format',
        format,
        '--no-progress',
      ]);
      expect(code).toBe(1);
      if (format === 'text')
        expect(out).toMatch(/response: dry-run — would deactivate the key of user alice/);
      for (const s of allSecrets(w.keys)) expect(out).not.toContain(s);
    }
    expect(
      emu.requests.filter((r) => r.action === 'UpdateAccessKey' || r.action === 'AttachUserPolicy'),
    ).toEqual([]);
    expect(emu.state.keys.get(w.keys.alice.keyId)!.status).toBe('Active');
  });

  it('refuses response flags without --verify', async () => {
    expect(await main(['scan', '--deactivate'])).toBe(2);
    expect(err).toMatch(/--deactivate needs --verify/);
  });
});

describe('keyleak trail', () => {
  it('prints the TSV and writes --events-out; exit 0 when every region was read', async () => {
    const w = await startWorld({}, 'managed', (s, k) => {
      s.accounts[0]!.events = [
        {
          eventTime: new Date(Date.now() - 3_600_000).toISOString(),
          eventName: 'CreateUser',
          accessKeyId: k.alice.keyId,
          sourceIPAddress: '203.0.113.5',
          userAgent: 'curl/8',
        },
      ];
    });
    emu = w.emu;
    const file = join(mkdtempSync(join(tmpdir(), 'keyleak-cli-')), 'trail.json');
    const code = await main([
      'trail',
      '--key',
      w.keys.alice.keyId,
      '--regions',
      'eu-west-1',
      '--format',
      'tsv',
      '--events-out',
      file,
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.trimEnd().split('\t').slice(1)).toEqual([
      w.keys.alice.keyId,
      'iam.amazonaws.com',
      'CreateUser',
      '203.0.113.5',
      'curl/8',
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8')).Events).toHaveLength(1);
  });

  it('exits 1 and names the region when one could not be read', async () => {
    const w = await startWorld({
      faults: [{ kind: 'proxy-403', service: 'cloudtrail', region: 'eu-west-1' }],
    });
    emu = w.emu;
    const code = await main([
      'trail',
      '--key',
      w.keys.alice.keyId,
      '--regions',
      'eu-west-1',
      '--format',
      'json',
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(out).incompleteRegions).toEqual([
      { region: 'eu-west-1', reason: expect.stringMatching(/HTTP 403/) },
    ]);
    expect(err).toMatch(/eu-west-1 could not be read/);
  });

  it('exits 2 on an error, such as no responder credentials', async () => {
    const w = await startWorld({}, 'none');
    emu = w.emu;
    const code = await main(['trail', '--key', w.keys.alice.keyId]);
    expect(code).toBe(2);
    expect(err).toMatch(/keyleak: error: /);
  });
});
