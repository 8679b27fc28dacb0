import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { makeState, startGitHubEmulator } from '../emulators/github/index.js';
import type { OrgState } from '../../src/core/org/state.js';
import type { OrgSummary } from '../../src/core/render/org-summary.js';
import { writeShard } from '../org/shards.js';
import { makePair } from '../helpers/keys.js';
import { trackCleanups } from './cleanups.js';
import { runAction } from './harness.js';

const dist = inject('actionDist');

const { closers } = trackCleanups();
const root = mkdtempSync(join(tmpdir(), 'keyleak-org-merge-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

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
    writeShard(shards, { index: 1, of: 3, repo: 'acme/a', id: 1, keys: [key(live, 'live', 'acme/a')] });
    writeShard(shards, {
      index: 2,
      of: 3,
      repo: 'acme/b',
      id: 2,
      keys: [key(other, 'not verified', 'acme/b')],
    });
    writeShard(shards, { index: 3, of: 3, repo: 'acme/c', id: 3, state: false });
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
