import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyState, serializeState, type OrgState } from '../../src/core/org/state.js';
import { serializeOrgSummary, type OrgSummary } from '../../src/core/render/org-summary.js';

/**
 * What shard `index` of `of` leaves in its artifact under `dir` (`keyleak-org-<index>/`): the state of
 * its one repository (unless `state: false`) and its summary, with the keys it found.
 */
export function writeShard(
  dir: string,
  s: { index: number; of: number; repo: string; id: number; keys?: OrgSummary['keys']; state?: boolean },
): void {
  const at = `2026-01-02T00:0${s.index}:00.000Z`;
  const out = join(dir, `keyleak-org-${s.index}`);
  mkdirSync(out, { recursive: true });
  if (s.state !== false) {
    const state: OrgState = { ...emptyState('acme'), updatedAt: at };
    state.repositories[String(s.id)] = {
      fullName: s.repo,
      tips: [String(s.index).repeat(40)],
      fingerprints: [],
      lastScannedAt: at,
      pushedAt: null,
      tipsCheckedAt: at,
    };
    writeFileSync(join(out, 'org-state.json'), serializeState(state));
  }
  const keys = s.keys ?? [];
  const summary: OrgSummary = {
    owner: 'acme',
    shards: [`${s.index}/${s.of}`],
    startedAt: at,
    durationMs: 1000 * s.index,
    listed: s.of,
    excluded: [],
    outcomes: [
      {
        repo: s.repo,
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
