import { describe, expect, it } from 'vitest';
import {
  decideScan,
  emptyState,
  historySelection,
  mergeStates,
  parseState,
  pruneState,
  recordPending,
  recordScan,
  scanOrder,
  serializeState,
  type OrgState,
  type RepoScanState,
  unchangedByListing,
  recordUnchanged,
} from '../../src/core/org/state.js';

const sha = (c: string) => c.repeat(40);
const A = sha('a');
const B = sha('b');
const C = sha('c');

function entry(fullName: string, tips: string[], at: string, fingerprints: string[] = []): RepoScanState {
  const iso = Number.isNaN(Date.parse(at)) ? '2026-01-01T00:00:00Z' : at;
  return { fullName, tips, fingerprints, lastScannedAt: iso, pushedAt: iso, tipsCheckedAt: iso };
}

function stateWith(repos: OrgState['repositories'], pending: OrgState['pending'] = []): OrgState {
  return { ...emptyState('acme'), updatedAt: '2026-01-02T00:00:00.000Z', repositories: repos, pending };
}

describe('parseState', () => {
  const good = stateWith({
    '7': entry('acme/api', [A], '2026-01-01T00:00:00Z', ['keyleak:v1:x']),
  });

  it('reads back what it wrote', () => {
    expect(parseState(serializeState(good), 's.json', 'acme')).toEqual({ state: good, warning: null });
  });

  it('treats a missing file as a first run, without a warning', () => {
    expect(parseState(null, 's.json', 'acme')).toEqual({ state: emptyState('acme'), warning: null });
  });

  it.each([
    ['truncated JSON', '{"version": 1, "own', 'is not valid JSON'],
    [
      'another version',
      JSON.stringify({ ...good, version: 2 }),
      'its version is 2, this keyleak reads version 1',
    ],
    ['another owner', JSON.stringify({ ...good, owner: 'other' }), "it belongs to 'other', not 'acme'"],
    ['an array', '[]', 'it is not a JSON object'],
    [
      'a malformed entry',
      JSON.stringify({ ...good, repositories: { '7': { fullName: 'acme/api', tips: ['nope'] } } }),
      'the entry of repository 7 is malformed',
    ],
    [
      'a key that is not an id',
      JSON.stringify({ ...good, repositories: { 'acme/api': good.repositories['7'] } }),
      "repository key 'acme/api' is not a repository id",
    ],
    ['bad pending', JSON.stringify({ ...good, pending: [{ id: 'x' }] }), "'pending' is not a list"],
  ])('a corrupt file (%s) warns, names the problem and means a full scan', (_name, text, problem) => {
    const p = parseState(text, 'state.json', 'acme');
    expect(p.state).toEqual(emptyState('acme'));
    expect(p.warning).toContain("state file 'state.json'");
    expect(p.warning).toContain(problem);
    expect(p.warning).toContain('scanning every repository in full');
  });

  it('matches the owner case-insensitively, as GitHub does', () => {
    expect(parseState(serializeState(good), 's', 'ACME').warning).toBeNull();
  });
});

describe('decideScan', () => {
  const prior = entry('acme/api', [B, A], '2026-01-01T00:00:00Z', []);
  it.each([
    ['a repository never scanned is new', undefined, [A], false, { kind: 'new' }],
    ['the same tips in any order are unchanged', prior, [A, B, A], false, { kind: 'unchanged' }],
    [
      'a moved tip is changed: new tips in, old tips out',
      prior,
      [A, C],
      false,
      { kind: 'changed', include: [A, C], exclude: [A, B] },
    ],
    [
      'a deleted branch is changed too',
      prior,
      [A],
      false,
      { kind: 'changed', include: [A], exclude: [A, B] },
    ],
    ['full-rescan ignores the state', prior, [A, B], true, { kind: 'full-rescan' }],
    ['no branches or tags is empty', prior, [], false, { kind: 'empty' }],
  ] as const)('%s', (_n, p, tips, full, want) => {
    expect(decideScan(p, tips, full)).toEqual(want);
  });
});

describe('unchangedByListing', () => {
  const checked = Date.parse('2026-01-10T00:00:00Z');
  const prior = { ...entry('acme/api', [A], '2026-01-10T00:00:00Z'), pushedAt: '2026-01-09T00:00:00Z' };
  const day = 24 * 3600 * 1000;
  it.each([
    [
      'an unmoved pushedAt, tips read a day ago: no request needed',
      prior,
      '2026-01-09T00:00:00Z',
      checked + day,
      true,
    ],
    ['a moved pushedAt: the tips must be read', prior, '2026-01-11T00:00:00Z', checked + day, false],
    [
      'tips last read over a week ago: read them anyway',
      prior,
      '2026-01-09T00:00:00Z',
      checked + 8 * day,
      false,
    ],
    ['a listing without pushedAt proves nothing', { ...prior, pushedAt: null }, null, checked, false],
    ['never scanned', undefined, '2026-01-09T00:00:00Z', checked, false],
  ] as const)('%s', (_n, p, pushedAt, now, want) => {
    expect(unchangedByListing(p, { pushedAt }, now)).toBe(want);
  });

  it('a check that finds the tips unchanged renews the trust', () => {
    const s = stateWith({ '7': prior });
    recordUnchanged(
      s,
      { id: 7, fullName: 'acme/api', pushedAt: '2026-01-12T00:00:00Z' },
      '2026-01-12T01:00:00Z',
    );
    expect(s.repositories['7']).toMatchObject({
      tips: [A],
      lastScannedAt: '2026-01-10T00:00:00Z',
      pushedAt: '2026-01-12T00:00:00Z',
      tipsCheckedAt: '2026-01-12T01:00:00Z',
    });
  });
});

describe('historySelection', () => {
  const whole = { mode: 'all', remotes: false };
  it('scans only objects new since the recorded tips that still exist', () => {
    const d = decideScan(entry('x', [A, B], 'x', []), [C], false);
    expect(historySelection(d, new Set([A]))).toEqual({ mode: 'range', include: [C], exclude: [A] });
  });
  it('scans the whole history when no recorded tip exists any more (history rewritten)', () => {
    const d = decideScan(entry('x', [A], 'x', []), [C], false);
    expect(historySelection(d, new Set())).toEqual(whole);
  });
  it.each([{ kind: 'new' }, { kind: 'full-rescan' }] as const)('scans the whole history for $kind', (d) => {
    expect(historySelection(d, new Set([A]))).toEqual(whole);
  });
});

describe('recording', () => {
  it('a range scan adds fingerprints, a full scan replaces them, and a scan clears pending', () => {
    const s = stateWith({}, [{ id: 7, fullName: 'acme/api', since: '2026-01-01T00:00:00Z' }]);
    const repo = { id: 7, fullName: 'acme/api', pushedAt: null };
    recordScan(s, repo, { tips: [B, A], fingerprints: ['f1'], mode: 'all', at: '2026-01-02T00:00:00Z' });
    expect(s.pending).toEqual([]);
    recordScan(s, repo, { tips: [C], fingerprints: ['f2'], mode: 'range', at: '2026-01-03T00:00:00Z' });
    expect(s.repositories['7']).toEqual({
      ...entry('acme/api', [C], '2026-01-03T00:00:00Z', ['f1', 'f2']),
      pushedAt: null,
    });
    recordScan(s, repo, { tips: [C], fingerprints: ['f3'], mode: 'all', at: '2026-01-04T00:00:00Z' });
    expect(s.repositories['7']!.fingerprints).toEqual(['f3']);
  });

  it('prunes repositories the owner no longer lists', () => {
    const s = stateWith(
      {
        '1': entry('acme/a', [A], '2026-01-01T00:00:00Z', []),
        '2': entry('acme/b', [A], '2026-01-01T00:00:00Z', []),
      },
      [{ id: 3, fullName: 'acme/c', since: '2026-01-01T00:00:00Z' }],
    );
    pruneState(s, new Set([1]));
    expect(Object.keys(s.repositories)).toEqual(['1']);
    expect(s.pending).toEqual([]);
  });
});

describe('scanOrder', () => {
  it('takes leftovers first, then never-scanned repositories, then the least recently scanned', () => {
    const s = stateWith(
      {
        '1': entry('acme/old', [A], '2026-01-01T00:00:00Z', []),
        '2': entry('acme/recent', [A], '2026-01-05T00:00:00Z', []),
      },
      [{ id: 4, fullName: 'acme/left', since: '2026-01-05T00:00:00Z' }],
    );
    const repos = [
      { id: 2, fullName: 'acme/recent', pushedAt: null },
      { id: 3, fullName: 'acme/fresh', pushedAt: null },
      { id: 1, fullName: 'acme/old', pushedAt: null },
      { id: 4, fullName: 'acme/left', pushedAt: null },
    ];
    expect(scanOrder(repos, s).map((r) => r.fullName)).toEqual([
      'acme/left',
      'acme/fresh',
      'acme/old',
      'acme/recent',
    ]);
  });
});

describe('mergeStates', () => {
  it('keeps the newest scan of each repository and drops leftovers another shard has scanned since', () => {
    const base = stateWith({
      '1': entry('acme/a', [A], '2026-01-01T00:00:00Z', []),
      '2': entry('acme/b', [A], '2026-01-01T00:00:00Z', []),
    });
    const shard1 = structuredClone(base);
    recordScan(
      shard1,
      { id: 1, fullName: 'acme/a', pushedAt: null },
      { tips: [B], fingerprints: ['f'], mode: 'all', at: '2026-01-02T00:00:00Z' },
    );
    recordPending(shard1, [{ id: 3, fullName: 'acme/c' }], '2026-01-02T00:00:00Z');
    shard1.updatedAt = '2026-01-02T00:00:00Z';
    const shard2 = structuredClone(base);
    recordScan(
      shard2,
      { id: 2, fullName: 'acme/b', pushedAt: null },
      { tips: [C], fingerprints: [], mode: 'all', at: '2026-01-02T00:01:00Z' },
    );
    recordPending(shard2, [{ id: 4, fullName: 'acme/d' }], '2026-01-02T00:01:00Z');
    shard2.updatedAt = '2026-01-02T00:01:00Z';
    // A third shard reached acme/d after the second one left it over (the shard count changed).
    const shard3 = structuredClone(base);
    recordScan(
      shard3,
      { id: 4, fullName: 'acme/d', pushedAt: null },
      { tips: [A], fingerprints: [], mode: 'all', at: '2026-01-02T00:02:00Z' },
    );

    const merged = mergeStates([base, shard1, shard2, shard3], 'acme');
    expect(merged.repositories['1']!.tips).toEqual([B]);
    expect(merged.repositories['2']!.tips).toEqual([C]);
    expect(merged.repositories['4']!.tips).toEqual([A]);
    expect(merged.pending).toEqual([{ id: 3, fullName: 'acme/c', since: '2026-01-02T00:00:00Z' }]);
    expect(merged.updatedAt).toBe('2026-01-02T00:01:00Z');
  });
});
