import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { makeState, startGitHubEmulator } from '../emulators/github/index.js';
import { emptyState, serializeState, type OrgState } from '../../src/core/org/state.js';
import { serializeOrgSummary, type OrgSummary } from '../../src/core/render/org-summary.js';
import { makePair } from '../helpers/keys.js';
import { runAction, trackCleanups } from './harness.js';

const dist = inject('actionDist');

const { closers } = trackCleanups();
const root = mkdtempSync(join(tmpdir(), 'keyleak-org-merge-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What a shard of an org scan leaves in its artifact: its state (unless told not to) and its summary. */
function shard(
  dir: string,
  i: number,
  repo: string,
  keys: OrgSummary['keys'],
  opts: { state?: boolean } = {},
): void {
  const at = `2026-01-02T00:0${i}:00.000Z`;
  const out = join(dir, `keyleak-org-${i}`);
  mkdirSync(out, { recursive: true });
  if (opts.state !== false) {
    const state: OrgState = { ...emptyState('acme'), updatedAt: at };
    state.repositories[String(i)] = {
      fullName: repo,
      tips: [String(i).repeat(40)],
      fingerprints: [],
      lastScannedAt: at,
      pushedAt: null,
      tipsCheckedAt: at,
    };
    writeFileSync(join(out, 'org-state.json'), serializeState(state));
  }
  const summary: OrgSummary = {
    owner: 'acme',
    shards: [`${i}/3`],
    startedAt: at,
    durationMs: 1000 * i,
    listed: 3,
    excluded: [],
    outcomes: [
      {
        repo,
        status: 'scanned',
        reason: null,
        scan: 'full',
        findings: keys.length,
        objects: 3,
        bytes: 100,
        commits: 1,
        durationMs: 500,
        incomplete: false,
      },
    ],
    keys,
    budgetExhausted: false,
    warnings: [],
  };
  writeFileSync(join(out, 'org-summary.json'), serializeOrgSummary(summary));
}

describe('mode: org-merge', () => {
  it('reports the merged shards through the one report: summary, outputs, report file and warnings', async () => {
    const shards = join(root, 'shards');
    const live = makePair();
    const other = makePair();
    const key = (k: { keyId: string }, status: OrgSummary['keys'][number]['status'], repo: string) => ({
      keyId: k.keyId,
      fingerprint: `keyleak:v1:${k.keyId.slice(-8)}`,
      repos: [repo],
      locations: 1,
      status,
    });
    shard(shards, 1, 'acme/a', [key(live, 'live', 'acme/a')]);
    shard(shards, 2, 'acme/b', [key(other, 'not verified', 'acme/b')]);
    shard(shards, 3, 'acme/c', [], { state: false });
    const emu = await startGitHubEmulator(makeState(['acme/app']));
    closers.push(emu);
    const workspace = mkdtempSync(join(root, 'workspace-'));
    const stateFile = join(root, 'state', 'org-state.json');

    const run = await runAction({
      dist,
      emu,
      workspace,
      event: 'workflow_dispatch',
      payload: {},
      repo: 'acme/app',
      inputs: { mode: 'org-merge', org: 'acme', 'shard-results': shards, 'state-file': stateFile },
    });

    // The shards failed on their own findings; the merge reports them and passes.
    expect(run.code, run.stdout).toBe(0);
    expect(run.summary).toContain('## keyleak org scan: acme (shards 1/3, 2/3, 3/3)');
    expect(run.outputs).toMatchObject({
      findings: '2',
      'live-keys': '1',
      issues: '[]',
      'sarif-file': '',
      'sarif-category': '',
    });
    const warning = '1 shard(s) saved a summary but no org-state.json';
    expect(run.stdout).toContain(`::warning::${warning}`);
    expect(JSON.parse(run.report!)).toMatchObject({
      findings: [],
      warnings: [expect.stringContaining(warning)],
    });
    const merged = JSON.parse(readFileSync(stateFile, 'utf8')) as OrgState;
    expect(Object.keys(merged.repositories).sort()).toEqual(['1', '2']);
  });
});
