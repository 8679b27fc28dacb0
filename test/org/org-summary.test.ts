import { describe, expect, it } from 'vitest';
import {
  mergeSummaries,
  parseOrgSummary,
  progressLine,
  renderOrgSummary,
  serializeOrgSummary,
  type OrgSummary,
  type RepoOutcome,
} from '../../src/core/render/org-summary.js';

const outcome = (repo: string, over: Partial<RepoOutcome> = {}): RepoOutcome => ({
  repo,
  status: 'scanned',
  reason: null,
  scan: 'full',
  findings: 0,
  objects: 10,
  bytes: 2048,
  commits: 3,
  durationMs: 3200,
  incomplete: false,
  ...over,
});

function summary(over: Partial<OrgSummary> = {}): OrgSummary {
  return {
    owner: 'acme',
    shards: ['1/1'],
    startedAt: '2026-01-01T02:00:00.000Z',
    durationMs: 95_000,
    listed: 6,
    excluded: [
      { repo: 'acme/old', reason: 'archived', detail: 'archived (set include-archived to scan it)' },
    ],
    outcomes: [
      outcome('acme/api', { findings: 1 }),
      outcome('acme/web', { scan: 'incremental', commits: 1 }),
      outcome('acme/docs', { status: 'skipped', reason: 'unchanged since the last scan', scan: null }),
      outcome('acme/big', {
        status: 'failed',
        reason: 'git clone failed: fatal: early EOF | pipe',
        scan: null,
      }),
      outcome('acme/late', { status: 'pending', reason: 'run budget spent', scan: null }),
    ],
    keys: [
      {
        keyId: 'AKIA-TEST-KEY-1',
        fingerprint: 'keyleak:v1:1',
        repos: ['acme/api'],
        locations: 1,
        status: 'live',
      },
    ],
    budgetExhausted: true,
    warnings: [],
    ...over,
  };
}

describe('progressLine', () => {
  it.each([
    [outcome('org/repo'), '[123/4000] org/repo  3.2 s  0 findings'],
    [
      outcome('org/repo', { findings: 1, scan: 'incremental' }),
      '[123/4000] org/repo  3.2 s  1 finding  (incremental)',
    ],
    [
      outcome('org/repo', { status: 'skipped', reason: 'empty repository' }),
      '[123/4000] org/repo  skipped: empty repository',
    ],
    [
      outcome('org/repo', { status: 'failed', reason: 'git clone failed: x', durationMs: 61_000 }),
      '[123/4000] org/repo  FAILED after 1 min 1 s: git clone failed: x',
    ],
  ])('line %#', (o, want) => {
    expect(progressLine(123, 4000, o)).toBe(want);
  });
});

describe('renderOrgSummary', () => {
  const md = renderOrgSummary(summary());
  it.each([
    '| Repositories listed | 6 |',
    '| Left out by filters | 1 |',
    '| Scanned | 2 (1 full, 1 incremental; 4.0 KiB) |',
    '| Skipped | 1 |',
    '| Failed | 1 |',
    '| Left for the next run | 1 |',
    '| Leaked keys | 1 (1 finding across repositories) |',
    '| Live keys | 1 |',
    '| Time | 1 min 35 s |',
    '| `AKIA-TEST-KEY-1` | live | acme/api | 1 |',
    // A reason's pipe would break the table: it is escaped.
    '| acme/big | git clone failed: fatal: early EOF \\| pipe |',
    '| skipped: unchanged since the last scan | 1 | acme/docs |',
    '| left out: archived | 1 | acme/old |',
    'The run budget ran out: 1 repository was not reached and is recorded in the state for the next run.',
  ])('shows %s', (line) => {
    expect(md).toContain(line);
  });

  it('cuts long lists of names to a count', () => {
    const many = Array.from({ length: 120 }, (_, i) =>
      outcome(`acme/r${i}`, { status: 'skipped', reason: 'not pushed to since the last scan', scan: null }),
    );
    const text = renderOrgSummary(summary({ outcomes: many, budgetExhausted: false }));
    expect(text).toContain('| skipped: not pushed to since the last scan | 120 | acme/r0, ');
    expect(text).toContain(', … and 70 more |');
  });
});

describe('renderOrgSummary with many failures', () => {
  it('lists the first 200 and counts the rest, keeping the summary small', () => {
    const failed = Array.from({ length: 250 }, (_, i) =>
      outcome(`acme/f${String(i).padStart(3, '0')}`, {
        status: 'failed',
        reason: 'git clone failed: 401',
        scan: null,
      }),
    );
    const text = renderOrgSummary(summary({ outcomes: failed }));
    expect(text.match(/\| git clone failed: 401 \|/g)).toHaveLength(200);
    expect(text).toContain('| … and 50 more | |');
  });
});

describe('mergeSummaries', () => {
  it('adds the shards up: one row per key with every repository, exclusions once, the longest time', () => {
    const a = summary({
      shards: ['1/2'],
      durationMs: 60_000,
      outcomes: [outcome('acme/api', { findings: 1 })],
    });
    const b = summary({
      shards: ['2/2'],
      durationMs: 90_000,
      outcomes: [outcome('acme/web', { findings: 1 })],
      keys: [
        {
          keyId: 'AKIA-TEST-KEY-1',
          fingerprint: 'keyleak:v1:1',
          repos: ['acme/web'],
          locations: 2,
          status: 'invalid',
        },
      ],
      budgetExhausted: false,
    });
    const m = mergeSummaries([b, a]);
    expect(m.shards).toEqual(['1/2', '2/2']);
    expect(m.durationMs).toBe(90_000);
    expect(m.excluded).toHaveLength(1);
    expect(m.outcomes.map((o) => o.repo)).toEqual(['acme/api', 'acme/web']);
    expect(m.keys).toEqual([
      {
        keyId: 'AKIA-TEST-KEY-1',
        fingerprint: 'keyleak:v1:1',
        repos: ['acme/api', 'acme/web'],
        locations: 3,
        status: 'live',
      },
    ]);
    expect(m.budgetExhausted).toBe(true);
  });

  it('round-trips through the JSON a shard saves, and names a file that is not one', () => {
    expect(parseOrgSummary(serializeOrgSummary(summary()), 's.json')).toEqual(summary());
    expect(() => parseOrgSummary('{"version": 9}', 'shard-3/summary.json')).toThrow(
      "shard summary 'shard-3/summary.json' is not a keyleak org summary (version 1)",
    );
    expect(() => parseOrgSummary('{', 'x.json')).toThrow("shard summary 'x.json' is not valid JSON");
  });
});
