import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
