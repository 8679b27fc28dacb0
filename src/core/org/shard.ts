import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { RepoRecord } from './select.js';

/** One share of an org scan: shard `index` of `count`, 1-based as in `shard: 2/4`. */
export interface Shard {
  index: number;
  count: number;
}

export const WHOLE: Shard = { index: 1, count: 1 };

/** GitHub caps a matrix at 256 jobs; more shards than that cannot run in one workflow. */
const MAX_SHARDS = 256;

/** Parses `i/n`; an empty value is the whole org (1/1). */
export function parseShard(text: string): Shard {
  const t = text.trim();
  if (t === '') return WHOLE;
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(t);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || count < 1 || index > count) {
    throw new UsageError(`invalid shard '${text}'. Expected i/n with 1 ≤ i ≤ n`);
  }
  if (count > MAX_SHARDS) {
    throw new UsageError(`invalid shard '${text}'. At most ${MAX_SHARDS} shards (a matrix's job limit)`);
  }
  return { index, count };
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** MurmurHash3's 32-bit finaliser: a cheap, well-mixed permutation of 32-bit integers. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The shard (1-based) that owns `key`, by rendezvous hashing: each shard draws a pseudo-random weight
 * for the key and the highest wins. The answer depends on the key and `count` alone, so repositories
 * coming and going move nothing else, and growing from n to n+1 shards moves only about 1/(n+1) of them.
 * The key is hashed once (SHA-256); each shard's weight mixes that digest with the shard number, in
 * plain integer arithmetic so every runner computes the same answer.
 */
export function shardOf(key: string, count: number): number {
  const d = createHash('sha256').update(key).digest();
  const a = d.readUInt32BE(0);
  const b = d.readUInt32BE(4);
  let best = 1;
  let bestWeight = -1;
  for (let j = 1; j <= count; j++) {
    const s = fmix32(Math.imul(j, 0x9e3779b9));
    // 53 bits of weight: ties are practically impossible, and the lower shard wins one anyway.
    const w = fmix32(a ^ s) * 2 ** 21 + (fmix32((b + s) >>> 0) >>> 11);
    if (w > bestWeight) {
      bestWeight = w;
      best = j;
    }
  }
  return best;
}

/** The key a repository is sharded on: its id, which survives renames and transfers. */
export function shardKey(repo: Pick<RepoRecord, 'id'>): string {
  return `repo:${repo.id}`;
}

export function inShard(repo: Pick<RepoRecord, 'id'>, shard: Shard): boolean {
  return shard.count === 1 || shardOf(shardKey(repo), shard.count) === shard.index;
}
