import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli-main.js';
import { emptyState, serializeState, type OrgState } from '../../src/core/org/state.js';
import { serializeOrgSummary, type OrgSummary } from '../../src/core/render/org-summary.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const tip = (c: string) => c.repeat(40);
let tmp: string;

function shard(i: number, repo: string, id: number): void {
  const dir = join(tmp, 'shards', `keyleak-org-${i}`);
  mkdirSync(dir, { recursive: true });
  const at = `2026-01-02T00:0${i}:00.000Z`;
  const state: OrgState = { ...emptyState('acme'), updatedAt: at };
  state.repositories[String(id)] = {
    fullName: repo,
    tips: [tip(String(i))],
    fingerprints: [],
    lastScannedAt: at,
    pushedAt: null,
    tipsCheckedAt: at,
  };
  writeFileSync(join(dir, 'org-state.json'), serializeState(state));
  const summary: OrgSummary = {
    owner: 'acme',
    shards: [`${i}/2`],
    startedAt: at,
    durationMs: 1000 * i,
    listed: 2,
    excluded: [],
    outcomes: [
      {
        repo,
        status: 'scanned',
        reason: null,
        scan: 'full',
        findings: 0,
        objects: 3,
        bytes: 100,
        commits: 1,
        durationMs: 500,
        incomplete: false,
      },
    ],
    keys: [],
    budgetExhausted: false,
    warnings: [],
  };
  writeFileSync(join(dir, 'org-summary.json'), serializeOrgSummary(summary));
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'keyleak-org-merge-'));
  shard(1, 'acme/a', 1);
  shard(2, 'acme/b', 2);
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
