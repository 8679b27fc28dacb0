import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrgState } from '../../src/core/org/state.js';
import { writeShard } from './shards.js';
import { cli } from '../helpers/cli.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'keyleak-org-merge-'));
  writeShard(join(tmp, 'shards'), { index: 1, of: 2, repo: 'acme/a', id: 1 });
  writeShard(join(tmp, 'shards'), { index: 2, of: 2, repo: 'acme/b', id: 2 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('keyleak org-merge', () => {
  it('merges the shards found under --dir into --state and prints the merged summary', async () => {
    const state = join(tmp, 'merged', 'org-state.json');
    const r = await cli('org-merge', '--owner', 'acme', '--dir', join(tmp, 'shards'), '--state', state);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('## keyleak org scan: acme (shards 1/2, 2/2)');
    expect(r.out).toContain('| Scanned | 2 (2 full, 0 incremental; 200 B) |');
    const merged = JSON.parse(readFileSync(state, 'utf8')) as OrgState;
    expect(Object.keys(merged.repositories)).toEqual(['1', '2']);
    expect(JSON.parse(readFileSync(join(tmp, 'merged', 'org-summary.json'), 'utf8')).outcomes).toHaveLength(
      2,
    );
  });

  it.each([
    [['--dir', 'x'], '--owner is required'],
    [['--owner', 'a/b', '--dir', 'x'], "invalid --owner 'a/b'"],
    [['--owner', 'acme'], '--dir is required'],
  ])('rejects %j with exit status 2', async (args, message) => {
    const r = await cli('org-merge', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('says so when the directory holds no shard results', async () => {
    mkdirSync(join(tmp, 'empty'));
    const r = await cli(
      'org-merge',
      '--owner',
      'acme',
      '--dir',
      join(tmp, 'empty'),
      '--state',
      join(tmp, 's.json'),
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no shard results under '${join(tmp, 'empty')}'`);
  });
});
