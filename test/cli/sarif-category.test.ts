import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli-main.js';
import { makePair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

let repo: TestRepo;
let tmp: string;

beforeAll(() => {
  const pair = makePair();
  repo = TestRepo.create();
  repo.commit('init', { 'README.md': '# app\n' });
  repo.commit('creds', { '.env': `AWS_ACCESS_KEY_ID=${pair.keyId}\nAWS_SECRET_ACCESS_KEY=${pair.secret}\n` });
  tmp = mkdtempSync(join(tmpdir(), 'keyleak-sarif-'));
});
afterAll(() => {
  repo.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('SARIF categories', () => {
  it.each([
    ['a whole-history scan', ['--all'], 'keyleak/full/'],
    ['a range scan', ['--range', 'HEAD~1..HEAD'], 'keyleak/range/'],
    ['a directory scan', ['--no-git'], 'keyleak/directory/'],
  ])(
    '%s uploads under a category of its own, in SARIF the Multitool accepts under GitHub ingestion rules',
    async (_name, flags, id) => {
      const file = join(tmp, `${id.replace(/\W/g, '-')}.sarif`);
      const code = await main(['scan', '--repo', repo.dir, ...flags, '--format', 'sarif', '--output', file]);
      expect(code).toBe(1);
      const sarif = JSON.parse(readFileSync(file, 'utf8'));
      expect(sarif.runs[0].automationDetails).toEqual({ id });
      const bin = createRequire(import.meta.url)('@microsoft/sarif-multitool') as string;
      const out = `${file}.validation`;
      const v = spawnSync(bin, ['validate', '--rule-kind', 'Gh;Sarif', '--output', out, file], {
        encoding: 'utf8',
      });
      expect(v.status, v.stdout + v.stderr).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8')).runs[0].results).toEqual([]);
    },
    60_000,
  );
});
