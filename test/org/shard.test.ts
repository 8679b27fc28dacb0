import { describe, expect, it } from 'vitest';
import { formatShard, inShard, parseShard, shardOf } from '../../src/core/org/shard.js';

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['3/8', { index: 3, count: 8 }],
    [' 2 / 4 ', { index: 2, count: 4 }],
    ['', { index: 1, count: 1 }],
  ])('reads %j', (text, want) => {
    expect(parseShard(text)).toEqual(want);
  });

  it.each(['5/4', '0/4', '1/0', 'a/b', '1', '1/2/3', '-1/4', '1.5/4'])('rejects %j with the rule', (text) => {
    expect(() => parseShard(text)).toThrow(`invalid shard '${text}'. Expected i/n with 1 ≤ i ≤ n`);
  });

  it('rejects more shards than a matrix can run', () => {
    expect(() => parseShard('1/300')).toThrow("invalid shard '1/300'. At most 256 shards");
  });

  it('formats back', () => {
    expect(formatShard(parseShard('2/7'))).toBe('2/7');
  });
});

// 10,000 deterministic repository names, like an organisation's.
const names = Array.from({ length: 10_000 }, (_, i) => `acme/service-${i.toString(36)}-${(i * 7919) % 1000}`);

describe('shard assignment (property over 10,000 names)', () => {
  it.each([2, 5, 16])('with %i shards every name lands in exactly one shard, in balanced shares', (n) => {
    const counts = new Array<number>(n + 1).fill(0);
    const outOfRange = names.filter((name) => {
      const s = shardOf(name, n);
      counts[s]!++;
      return !(s >= 1 && s <= n);
    });
    expect(outOfRange).toEqual([]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(names.length);
    const expected = names.length / n;
    for (let i = 1; i <= n; i++) expect(Math.abs(counts[i]! - expected) / expected).toBeLessThan(0.15);
  });

  it('is stable as repositories come and go: the others never move', () => {
    const before = new Map(names.map((n) => [n, shardOf(n, 8)]));
    const removed = new Set(names.filter((_, i) => i % 3 === 0));
    const after = [
      ...names.filter((n) => !removed.has(n)),
      ...Array.from({ length: 2000 }, (_, i) => `acme/new-${i}`),
    ];
    const movedOnes = after.filter((n) => before.has(n) && shardOf(n, 8) !== before.get(n));
    expect(movedOnes).toEqual([]);
  });

  it('growing from 8 to 9 shards moves only about a ninth, and only into the new shard', () => {
    let moved = 0;
    const elsewhere: string[] = [];
    for (const n of names) {
      const b = shardOf(n, 9);
      if (shardOf(n, 8) !== b) {
        moved++;
        if (b !== 9) elsewhere.push(n);
      }
    }
    expect(elsewhere).toEqual([]);
    expect(moved / names.length).toBeGreaterThan(0.08);
    expect(moved / names.length).toBeLessThan(0.14);
  });

  it('inShard partitions repositories by id: exactly one of n shards takes each', () => {
    const notExactlyOne: number[] = [];
    for (let id = 1; id <= 2000; id++) {
      const owners = [1, 2, 3, 4].filter((i) => inShard({ id }, { index: i, count: 4 }));
      if (owners.length !== 1) notExactlyOne.push(id);
    }
    expect(notExactlyOne).toEqual([]);
    expect(inShard({ id: 42 }, { index: 1, count: 1 })).toBe(true);
  });
});
