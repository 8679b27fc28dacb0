import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeOrgShardDir, runOrgScan, type OrgScanResult } from '../../src/commands/org.js';
import type { IncidentSink, KeyIncident, OrgKeyFinding } from '../../src/commands/ports-org.js';
import { DEFAULT_REPO_FILTER, type RepoRecord } from '../../src/core/org/select.js';
import type { OrgScanSettings } from '../../src/core/org/settings.js';
import { inShard } from '../../src/core/org/shard.js';
import { emptyState, serializeState, type OrgState } from '../../src/core/org/state.js';
import { renderOrgSummary, serializeOrgSummary } from '../../src/core/render/org-summary.js';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { Fleet, PagedLister } from './fleet.js';

/** Records what reached the incident pipeline; answers `live` for the keys it is told are live. */
class RecordingSink implements IncidentSink {
  calls: OrgKeyFinding[][] = [];
  live = new Set<string>();
  failWith: Error | null = null;
  async report(keys: readonly OrgKeyFinding[]): Promise<KeyIncident[]> {
    if (this.failWith) throw this.failWith;
    this.calls.push([...keys]);
    return keys.map((k, i) => ({
      keyId: k.keyId,
      status: this.live.has(k.keyId) ? 'live' : 'invalid',
      issue: 10 + i,
    }));
  }
}

const creds = (p: KeyPair) =>
  `[default]\naws_access_key_id = ${p.keyId}\naws_secret_access_key = ${p.secret}\n`;

function settings(fleet: Fleet, over: Partial<OrgScanSettings> = {}): OrgScanSettings {
  return {
    owner: 'acme',
    shard: { index: 1, count: 1 },
    filter: DEFAULT_REPO_FILTER,
    fullRescan: false,
    maxDurationMs: null,
    concurrency: 4,
    jobs: 1,
    token: null,
    stateFile: join(fleet.root, 'state.json'),
    config: null,
    workDir: join(fleet.root, 'work'),
    ...over,
  };
}

const byStatus = (r: OrgScanResult, status: string) => r.summary.outcomes.filter((o) => o.status === status);
const outcomeOf = (r: OrgScanResult, repo: RepoRecord) =>
  r.summary.outcomes.find((o) => o.repo === repo.fullName);

describe('an org of 540 repositories, scanned nightly in 4 shards', () => {
  const SHARDS = 4;
  // Repositories last night's state knows; the other 28 svc repositories were created since.
  const KNOWN = 492;
  let fleet: Fleet;
  let lister: PagedLister;
  const svc: RepoRecord[] = [];
  const fresh: RepoRecord[] = [];
  const changed: RepoRecord[] = [];
  let rewritten: RepoRecord;
  let pushedNoMove: RepoRecord;
  let missing: RepoRecord;
  let corrupt: RepoRecord;
  const shared = makePair();
  const lone = makePair();
  let sharedRepos: RepoRecord[] = [];
  let loneRepo: RepoRecord;
  const sinks: RecordingSink[] = [];
  const runs: OrgScanResult[] = [];
  const logs: string[] = [];

  beforeAll(() => {
    fleet = Fleet.create();
    for (let i = 0; i < 520; i++) svc.push(fleet.add(`acme/svc-${String(i).padStart(3, '0')}`));
    for (let i = 0; i < 10; i++) fleet.add(`acme/old-${i}`, { archived: true });
    for (let i = 0; i < 10; i++) fleet.add(`acme/fork-${i}`, { fork: true });
    missing = fleet.add('acme/deleted-since-listing');
    rmSync(fleet.pathOf(missing), { recursive: true });
    corrupt = fleet.add('acme/corrupt');
    for (const f of ['objects/pack']) rmSync(join(fleet.pathOf(corrupt), f), { recursive: true });
    // Over a real transport, a repository missing its objects cannot be cloned.
    corrupt.cloneUrl = `file://${fleet.pathOf(corrupt)}`;
    lister = new PagedLister(() => fleet.records);

    // Last night's state: every svc repository scanned, except those created since.
    const templateTips = fleet.tips(svc[0]!);
    const yesterday = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    const state: OrgState = { ...emptyState('acme'), updatedAt: yesterday };
    fresh.push(...svc.slice(KNOWN));
    for (const r of svc.slice(0, KNOWN)) {
      state.repositories[String(r.id)] = {
        fullName: r.fullName,
        tips: templateTips,
        fingerprints: [],
        lastScannedAt: yesterday,
        pushedAt: r.pushedAt,
        tipsCheckedAt: yesterday,
      };
    }
    // The corrupt repository was scanned at another tip: it has moved, and must be cloned again.
    state.repositories[String(corrupt.id)] = {
      ...state.repositories[String(svc[0]!.id)]!,
      fullName: corrupt.fullName,
      tips: ['f'.repeat(40)],
    };
    corrupt.pushedAt = '2026-01-02T00:00:00Z';
    writeFileSync(join(fleet.root, 'base-state.json'), serializeState(state));

    // Since then: one key leaked into three new repositories of one shard, another into one elsewhere.
    sharedRepos = fresh.filter((r) => inShard(r, { index: 1, count: SHARDS })).slice(0, 3);
    expect(sharedRepos).toHaveLength(3);
    sharedRepos.forEach((r, i) =>
      fleet.push(r, 'add deploy config', { [`deploy/env-${i}.ini`]: creds(shared) }),
    );
    loneRepo = fresh.find((r) => !inShard(r, { index: 1, count: SHARDS }))!;
    fleet.push(loneRepo, 'ci', { '.ci/aws.ini': creds(lone) });
    // Four known repositories got one new commit each; one had its history rewritten; one was
    // "pushed" (pushedAt moved) without any branch or tag moving.
    changed.push(...svc.slice(10, 14));
    changed.forEach((r, i) =>
      fleet.push(r, `feature ${i}`, { [`src/feature-${i}.js`]: `export const f = ${i};\n` }),
    );
    rewritten = svc[20]!;
    fleet.rewrite(rewritten, { 'NEW.md': 'fresh start\n' });
    pushedNoMove = svc[30]!;
    pushedNoMove.pushedAt = '2026-02-01T00:00:00Z';
  });

  afterAll(() => fleet.cleanup());

  it('runs every shard from the same state; each takes its own stable share', async () => {
    for (let i = 1; i <= SHARDS; i++) {
      // Each shard's artifact: a directory with its state and its summary.
      const stateFile = join(fleet.root, 'shards', `keyleak-org-${i}`, 'org-state.json');
      mkdirSync(dirname(stateFile), { recursive: true });
      cpSync(join(fleet.root, 'base-state.json'), stateFile);
      const sink = new RecordingSink();
      sink.live.add(shared.keyId);
      sinks.push(sink);
      runs.push(
        await runOrgScan(settings(fleet, { shard: { index: i, count: SHARDS }, stateFile }), {
          lister,
          sink,
          log: (l) => logs.push(l),
        }),
      );
    }
    // Every page was read by every shard: 542 repositories, 100 a page.
    expect(lister.pagesServed).toBe(6 * SHARDS);
    for (const r of runs) expect(r.summary.listed).toBe(542);
  });

  it('leaves archived repositories and forks out, with the reason, in every shard', () => {
    for (const r of runs) {
      expect(r.summary.excluded).toHaveLength(20);
      expect(new Set(r.summary.excluded.map((e) => e.reason))).toEqual(new Set(['archived', 'fork']));
    }
  });

  it('hands every selected repository to exactly one shard', () => {
    const seen = new Map<string, number>();
    for (const r of runs) for (const o of r.summary.outcomes) seen.set(o.repo, (seen.get(o.repo) ?? 0) + 1);
    const selected = fleet.records.filter((r) => !r.archived && !r.fork).map((r) => r.fullName);
    expect([...seen.keys()].sort()).toEqual(selected.sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    // The shares are balanced enough to matter: no shard takes more than twice its share.
    for (const r of runs) expect(r.summary.outcomes.length).toBeLessThan((2 * 522) / SHARDS);
  });

  it('scans new repositories in full, and only the new commits of changed ones', () => {
    const all = runs.flatMap((r) => r.summary.outcomes);
    const get = (r: RepoRecord) => all.find((o) => o.repo === r.fullName)!;
    for (const r of fresh) expect(get(r)).toMatchObject({ status: 'scanned', scan: 'full' });
    const fullCommits = get(fresh.find((r) => !sharedRepos.includes(r) && r !== loneRepo)!).commits;
    expect(fullCommits).toBe(3);
    for (const r of changed)
      expect(get(r)).toMatchObject({ status: 'scanned', scan: 'incremental', commits: 1 });
    // The new commit, its tree, the src/ tree and the one new file: nothing the last scan read.
    for (const r of changed) expect(get(r).objects).toBeLessThanOrEqual(4);
    expect(get(rewritten)).toMatchObject({ status: 'scanned', scan: 'full', commits: 1 });
    expect(get(pushedNoMove)).toMatchObject({ status: 'skipped', reason: 'unchanged since the last scan' });
    const skippedByListing = all.filter((o) => o.reason === 'not pushed to since the last scan');
    expect(skippedByListing).toHaveLength(KNOWN - changed.length - 2);
    expect(all.filter((o) => o.status === 'scanned')).toHaveLength(fresh.length + changed.length + 1);
  });

  it('isolates the repositories that cannot be cloned and says why', () => {
    const all = runs.flatMap((r) => r.summary.outcomes);
    const failed = all.filter((o) => o.status === 'failed');
    expect(failed.map((o) => o.repo).sort()).toEqual([corrupt.fullName, missing.fullName].sort());
    expect(failed.find((o) => o.repo === missing.fullName)!.reason).toMatch(
      /git clone failed: .*(does not exist|not .*repository)/,
    );
    expect(failed.find((o) => o.repo === corrupt.fullName)!.reason).toMatch(
      /^git (clone|ls-remote) failed: /,
    );
    const failedLines = logs.filter((l) => l.includes('FAILED'));
    expect(failedLines).toHaveLength(2);
    expect(
      logs.filter((l) => /^\[\s*\d+\/\d+\] acme\/svc-\d+ {2}\d+\.\d s {2}\d+ findings?/.test(l)).length,
    ).toBeGreaterThan(20);
  });

  it('hands one key found in three repositories over as one incident listing every location', () => {
    const sink1 = sinks[0]!;
    expect(sink1.calls).toHaveLength(1);
    const key = sink1.calls[0]!.find((k) => k.keyId === shared.keyId)!;
    expect(key.occurrences.map((o) => o.repo.fullName).sort()).toEqual(
      sharedRepos.map((r) => r.fullName).sort(),
    );
    expect(key.occurrences.map((o) => o.finding.locations[0]!.path).sort()).toEqual([
      'deploy/env-0.ini',
      'deploy/env-1.ini',
      'deploy/env-2.ini',
    ]);
    expect(key.occurrences.every((o) => !o.alreadyReported)).toBe(true);
    expect(key.secrets.secrets).toEqual([shared.secret]);
    const loneKeys = sinks.flatMap((s) => s.calls.flat()).filter((k) => k.keyId === lone.keyId);
    expect(loneKeys).toHaveLength(1);
    expect(loneKeys[0]!.occurrences.map((o) => o.repo.fullName)).toEqual([loneRepo.fullName]);
  });

  it('merges the shards into one summary and one state, with no secret anywhere', async () => {
    // The merging job restores the state the shards started from, under the same name they saved theirs.
    const stateFile = join(fleet.root, 'merged', 'org-state.json');
    mkdirSync(dirname(stateFile));
    cpSync(join(fleet.root, 'base-state.json'), stateFile);
    const merged = await mergeOrgShardDir({ owner: 'acme', dir: join(fleet.root, 'shards'), stateFile });
    expect(merged.warnings).toEqual([]);
    expect(merged.summary.shards).toEqual(['1/4', '2/4', '3/4', '4/4']);
    expect(merged.summary.outcomes).toHaveLength(522);
    expect(merged.summary.keys.map((k) => [k.keyId, k.status, k.repos.length]).sort()).toEqual(
      [
        [shared.keyId, 'live', 3],
        [lone.keyId, 'invalid', 1],
      ].sort(),
    );
    const ids = Object.keys(merged.state.repositories).map(Number);
    // Every svc repository is recorded (the corrupt one keeps last night's entry).
    for (const r of svc) expect(ids).toContain(r.id);
    expect(merged.state.repositories[String(changed[0]!.id)]!.tips).toEqual(fleet.tips(changed[0]!));
    expect(readFileSync(stateFile, 'utf8')).toBe(serializeState(merged.state));
    expect(
      JSON.parse(readFileSync(join(fleet.root, 'merged', 'org-summary.json'), 'utf8')).shards,
    ).toHaveLength(4);

    const md = renderOrgSummary(merged.summary);
    expect(md).toContain('| Repositories listed | 542 |');
    expect(md).toContain('| Live keys | 1 |');
    expect(md).toContain(`| \`${shared.keyId}\` | live |`);
    const everything = [md, ...logs, serializeState(merged.state), serializeOrgSummary(merged.summary)].join(
      '\n',
    );
    for (const secret of [shared.secret, lone.secret]) expect(everything).not.toContain(secret);
  });

  it('the next night skips what did not move without a request and scans only what is new', async () => {
    const third = makePair();
    const target = svc[100]!;
    fleet.push(target, 'oops', { 'local.env': creds(third) });
    const sink = new RecordingSink();
    const stateFile = join(fleet.root, 'merged', 'org-state.json');
    const next = await runOrgScan(settings(fleet, { stateFile }), { lister, sink });
    const scanned = byStatus(next, 'scanned');
    expect(scanned.map((o) => o.repo)).toEqual([target.fullName]);
    expect(outcomeOf(next, target)).toMatchObject({ scan: 'incremental', commits: 1, findings: 1 });
    expect(byStatus(next, 'skipped')).toHaveLength(519);
    expect(
      byStatus(next, 'failed')
        .map((o) => o.repo)
        .sort(),
    ).toEqual([corrupt.fullName, missing.fullName].sort());
    // Only the new key reaches the incident pipeline: what earlier runs reported is not read again.
    expect(sink.calls.flat().map((k) => k.keyId)).toEqual([third.keyId]);
  });
});

describe('small org runs', () => {
  let fleet: Fleet;
  beforeAll(() => {
    fleet = Fleet.create();
  });
  afterAll(() => fleet.cleanup());

  it('a run budget stops starting repositories, records the rest, and the next run takes them first', async () => {
    const repos = Array.from({ length: 8 }, (_, i) => fleet.add(`acme/budget-${i}`));
    const lister = new PagedLister(
      () => fleet.records.filter((r) => r.fullName.startsWith('acme/budget-')),
      3,
    );
    const stateFile = join(fleet.root, 'budget-state.json');
    // A clock that moves a minute per finished repository: a 3-minute budget fits three.
    let clock = Date.now();
    const first = await runOrgScan(
      settings(fleet, { stateFile, concurrency: 1, maxDurationMs: 3 * 60_000 }),
      {
        lister,
        sink: new RecordingSink(),
        now: () => clock,
        log: (l) => {
          if (l.startsWith('[')) clock += 60_000;
        },
      },
    );
    expect(byStatus(first, 'scanned')).toHaveLength(3);
    expect(byStatus(first, 'pending')).toHaveLength(5);
    expect(first.summary.budgetExhausted).toBe(true);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as OrgState;
    const leftover = saved.pending.map((p) => p.fullName).sort();
    expect(leftover).toHaveLength(5);
    expect(renderOrgSummary(first.summary)).toContain(
      'The run budget ran out: 5 repositories were not reached',
    );

    const lines: string[] = [];
    const second = await runOrgScan(settings(fleet, { stateFile, concurrency: 1 }), {
      lister,
      sink: new RecordingSink(),
      log: (l) => lines.push(l),
    });
    const order = lines.filter((l) => l.startsWith('[')).map((l) => /\] (\S+)/.exec(l)![1]!);
    expect(order.slice(0, 5).sort()).toEqual(leftover);
    expect(
      byStatus(second, 'scanned')
        .map((o) => o.repo)
        .sort(),
    ).toEqual(leftover);
    expect(byStatus(second, 'skipped')).toHaveLength(3);
    expect(second.state.pending).toEqual([]);
    expect(Object.keys(second.state.repositories)).toHaveLength(repos.length);
  });

  it('a corrupt state file is warned about and every repository is scanned in full', async () => {
    const r = fleet.add('acme/corrupt-state-0');
    const stateFile = join(fleet.root, 'corrupt-state.json');
    writeFileSync(stateFile, '{"version": 1, "owner": "acme", "repositories": {');
    const lister = new PagedLister(() => [r]);
    const logs: string[] = [];
    const res = await runOrgScan(settings(fleet, { stateFile }), {
      lister,
      sink: new RecordingSink(),
      log: (l) => logs.push(l),
    });
    expect(res.summary.warnings[0]).toContain(`state file '${stateFile}' is not valid JSON`);
    expect(logs[0]).toContain('scanning every repository in full');
    expect(outcomeOf(res, r)).toMatchObject({ status: 'scanned', scan: 'full' });
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).repositories[String(r.id)].fullName).toBe(r.fullName);
  });

  it('full-rescan ignores the state', async () => {
    const r = fleet.add('acme/rescan-0');
    const stateFile = join(fleet.root, 'rescan-state.json');
    const lister = new PagedLister(() => [r]);
    await runOrgScan(settings(fleet, { stateFile }), { lister, sink: new RecordingSink() });
    const again = await runOrgScan(settings(fleet, { stateFile }), { lister, sink: new RecordingSink() });
    expect(outcomeOf(again, r)).toMatchObject({ status: 'skipped' });
    const full = await runOrgScan(settings(fleet, { stateFile, fullRescan: true }), {
      lister,
      sink: new RecordingSink(),
    });
    expect(outcomeOf(full, r)).toMatchObject({ status: 'scanned', scan: 'full', commits: 3 });
  });

  it('when the incident pipeline fails, repositories with findings are not marked scanned', async () => {
    const r = fleet.add('acme/pipeline-0');
    const clean = fleet.add('acme/pipeline-1');
    const key = makePair();
    fleet.push(r, 'creds', { 'creds.ini': creds(key) });
    const stateFile = join(fleet.root, 'pipeline-state.json');
    const lister = new PagedLister(() => [r, clean]);
    const failing = new RecordingSink();
    failing.failWith = new Error('GitHub answered 502');
    const first = await runOrgScan(settings(fleet, { stateFile }), { lister, sink: failing });
    expect(first.summary.warnings.join(' ')).toContain('the incident pipeline failed (GitHub answered 502)');
    expect(first.state.repositories[String(r.id)]).toBeUndefined();
    expect(first.state.repositories[String(clean.id)]).toBeDefined();
    const sink = new RecordingSink();
    const second = await runOrgScan(settings(fleet, { stateFile }), { lister, sink });
    expect(outcomeOf(second, r)).toMatchObject({ status: 'scanned', scan: 'full', findings: 1 });
    expect(sink.calls.flat().map((k) => k.keyId)).toEqual([key.keyId]);
  });
});
