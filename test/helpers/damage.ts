import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { TestRepo } from './repo.js';

/** Where an object sits in a repository's single pack, as `git verify-pack -v` tells. */
export interface PackedObject {
  oid: string;
  type: string;
  size: number;
  offset: number;
  /** The object's delta base, for deltas. */
  base: string | null;
}

/** The paths of the repository's one pack and its index (after `git repack -adf`). */
export function onePack(repo: TestRepo): { pack: string; idx: string } {
  const dir = join(repo.dir, '.git', 'objects', 'pack');
  const idx = readdirSync(dir).filter((n) => n.endsWith('.idx'));
  if (idx.length !== 1) throw new Error(`expected one pack, found ${idx.length}`);
  return { idx: join(dir, idx[0]!), pack: join(dir, idx[0]!.replace(/\.idx$/, '.pack')) };
}

export function packedObjects(repo: TestRepo): PackedObject[] {
  const { idx } = onePack(repo);
  const out = repo.git('verify-pack', '-v', idx);
  const objs: PackedObject[] = [];
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{40}) (\w+)\s+(\d+) (\d+) (\d+)(?: \d+ ([0-9a-f]{40}))?$/.exec(line);
    if (m) objs.push({ oid: m[1]!, type: m[2]!, size: +m[3]!, offset: +m[5]!, base: m[6] ?? null });
  }
  return objs;
}

/** Rewrites bytes of a file in place. */
export function patchFile(path: string, edit: (b: Buffer) => void): void {
  const b = readFileSync(path);
  edit(b);
  writeFileSync(path, b);
}

/** Sets the type bits of the pack entry at `offset` (1 commit, 2 tree, 3 blob, 4 tag). */
export function setPackedType(pack: string, offset: number, kind: number): void {
  patchFile(pack, (b) => {
    b[offset] = (b[offset]! & 0x8f) | (kind << 4);
  });
}

/**
 * Adds to `repo` a pack of one blob, claimed to be `oid`, whose header declares `declared` bytes while
 * its data inflates to `content`; indexed here, since git refuses to index such a pack.
 */
export function addLyingPack(repo: TestRepo, oid: string, declared: number, content: Buffer): void {
  const head = [0x30 | (declared % 16)];
  let rest = Math.floor(declared / 16);
  while (rest > 0) {
    head[head.length - 1]! |= 0x80;
    head.push(rest % 128);
    rest = Math.floor(rest / 128);
  }
  const count = Buffer.alloc(8);
  count.writeUInt32BE(2, 0);
  count.writeUInt32BE(1, 4);
  const pack = Buffer.concat([Buffer.from('PACK'), count, Buffer.from(head), deflateSync(content)]);
  const sum = createHash('sha1').update(pack).digest();
  const base = join(repo.dir, '.git', 'objects', 'pack', `pack-${sum.toString('hex')}`);
  writeFileSync(`${base}.pack`, Buffer.concat([pack, sum]));
  const id = Buffer.from(oid, 'hex');
  const fanout = Buffer.alloc(8 + 1024);
  fanout.writeUInt32BE(0xff744f63, 0);
  fanout.writeUInt32BE(2, 4);
  for (let b = 0; b < 256; b++) fanout.writeUInt32BE(id[0]! <= b ? 1 : 0, 8 + b * 4);
  const offset = Buffer.alloc(4);
  offset.writeUInt32BE(12, 0);
  const body = Buffer.concat([fanout, id, Buffer.alloc(4), offset, sum]);
  writeFileSync(`${base}.idx`, Buffer.concat([body, createHash('sha1').update(body).digest()]));
}

/**
 * Adds to `repo` a pack of ref-deltas, one claimed to be each of `oids`, each based on the next and the
 * last on the first: a cycle no reader can rebuild (git's index-pack refuses to write such a pack, so
 * its index is written here).
 */
export function addDeltaCycle(repo: TestRepo, oids: string[]): void {
  // Any delta: "copy 10 bytes of a 10-byte base".
  const delta = deflateSync(Buffer.from([10, 10, 0x90, 10]));
  const count = Buffer.alloc(8);
  count.writeUInt32BE(2, 0);
  count.writeUInt32BE(oids.length, 4);
  const parts = [Buffer.from('PACK'), count];
  const offsets = new Map<string, number>();
  let at = 12;
  oids.forEach((oid, i) => {
    // Type 7 (ref-delta) and the delta's 4 bytes, then the base's id.
    const entry = Buffer.concat([
      Buffer.from([0x74]),
      Buffer.from(oids[(i + 1) % oids.length]!, 'hex'),
      delta,
    ]);
    offsets.set(oid, at);
    at += entry.length;
    parts.push(entry);
  });
  const pack = Buffer.concat(parts);
  const sum = createHash('sha1').update(pack).digest();
  const base = join(repo.dir, '.git', 'objects', 'pack', `pack-${sum.toString('hex')}`);
  writeFileSync(`${base}.pack`, Buffer.concat([pack, sum]));
  const sorted = [...oids].sort();
  const fanout = Buffer.alloc(8 + 1024);
  fanout.writeUInt32BE(0xff744f63, 0);
  fanout.writeUInt32BE(2, 4);
  for (let b = 0; b < 256; b++)
    fanout.writeUInt32BE(sorted.filter((o) => parseInt(o.slice(0, 2), 16) <= b).length, 8 + b * 4);
  const offs = Buffer.alloc(4 * sorted.length);
  sorted.forEach((o, i) => offs.writeUInt32BE(offsets.get(o)!, 4 * i));
  const body = Buffer.concat([
    fanout,
    ...sorted.map((o) => Buffer.from(o, 'hex')),
    Buffer.alloc(4 * sorted.length), // CRCs: unchecked by readers
    offs,
    sum,
  ]);
  writeFileSync(`${base}.idx`, Buffer.concat([body, createHash('sha1').update(body).digest()]));
}
