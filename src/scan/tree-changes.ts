import type { Change, CommitChanges, CommitTree } from '../adapters/git.js';
import {
  DeltaError,
  DeltaOps,
  KIND,
  ObjectReadError,
  PackFile,
  PackFormatError,
  buildTarget,
  parseDelta,
} from '../adapters/packs.js';
import { planOf, type PackPlan } from './pack-plan.js';
import { Windows } from './spans.js';

/**
 * Attribution read from a history's packs: which commits put given objects (the file versions with keys,
 * the missing objects to locate) at which paths, the changes `git log --raw` would list for them, without
 * git diffing every commit's whole tree (aws-cli: git's walk, about 2 s on two git processes, becomes a
 * listing of the commits, 0.25 s of git, and 1.9 s on one thread here).
 *
 * A tree names an entry as `<mode> <name>\0<20-byte id>`, so "a tree holds X" is "its bytes hold a NUL
 * followed by X's id". That is searched the way the pack pass searches for key ids: each tree's delta
 * chain from its base outwards, only inserted bytes and the seams between copies read, matches inside a
 * copy carried over from the base. The trees holding the objects are found first, then the trees holding
 * those, up to the roots; only the trees found are read whole. A commit's changes are then its tree diffed
 * against its first parent's, as git's log does, through those trees alone: a subtree that holds none of
 * the objects cannot hold a change to one.
 */

/** An entry's id with the NUL before it: a match of this many bytes starts at that NUL. */
const ENTRY_ID = 21;
const ID_BYTES = 20;
const OID = /^[0-9a-f]{40}$/;
const KNOWN_KINDS = new Set<number>([KIND.commit, KIND.tree, KIND.blob, KIND.tag]);
/** How far around inserted bytes and seams an entry may start or end (spans.ts deltaSpans' reach). */
const REACH = ENTRY_ID - 1;
/** Bytes held for the open part of one tree's delta chain; a chain that needs more is not answered. */
const HELD_BUDGET = 16 << 20;
/**
 * Stored bytes of trees read ahead at most (see PackFile.preload); past it, each is read on its own. The
 * memory is what bounds it: boto3's 2.3 MB of trees, scattered among its blobs, are read in a few hundred
 * system calls instead of one per tree (17,000), while aws-cli's 16.7 MB would add to what the reading
 * thread already holds, and are read one at a time.
 */
const PRELOAD_BUDGET = 8 << 20;
/** The reading yields to the event loop this often, so the thread's other work keeps moving. */
const YIELD_MS = 25;
/** Trees are searched and diffed up to this many levels deep; a deeper history is left to git's walk. */
const MAX_DEPTH = 2048;

/** What the search of one pack's trees found, before any needle is known. */
interface TreeIndex {
  pack: PackFile;
  plan: PackPlan;
  /** Tree objects of the pack in chain order: every delta after its base. */
  order: Int32Array;
  /** Base of each delta, by pack index (-1 for a chain's root). */
  base: Int32Array;
  /** Each object's entries found in the bytes it was searched in (keyOf their ids): `[candStart[k], candStart[k+1])`. */
  candStart: Int32Array;
  candPos: Int32Array;
  candKey: Int32Array;
  /** Each delta's copies, as `(target offset, length, base offset)` triples from `copyStart[k]`. */
  copyStart: Int32Array;
  copies: Int32Array;
}

const EMPTY_LIST = new Int32Array(0);

/** Thrown inside the reader when a chain cannot be held: the question is left unanswered. */
class Unanswerable extends Error {}

/**
 * The first four bytes of an id, as the search keys entries by: ids are hashes, so a key names one id of
 * any history's trees but for the odd collision, and a collision only makes a tree read whole that holds
 * nothing wanted (the entries read are matched on their whole ids).
 */
function keyOf(buf: Uint8Array, at: number): number {
  return (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]! | 0;
}

function keyOfHex(oid: string): number {
  return Number.parseInt(oid.slice(0, 8), 16) | 0;
}

/** A growable list of 32-bit integers (typed arrays, so a million entries stay a few MB). */
class IntList {
  /** Filled pieces of LIST_PIECE numbers, and the one being filled: growing copies nothing. */
  private full: Int32Array[] = [];
  private piece = new Int32Array(LIST_PIECE);
  private at = 0;

  get length(): number {
    return this.full.length * LIST_PIECE + this.at;
  }

  push(v: number): void {
    if (this.at === LIST_PIECE) {
      this.full.push(this.piece);
      this.piece = new Int32Array(LIST_PIECE);
      this.at = 0;
    }
    this.piece[this.at++] = v;
  }

  /** The numbers in one array of their own size. */
  done(): Int32Array {
    const out = new Int32Array(this.length);
    this.full.forEach((p, k) => out.set(p, k * LIST_PIECE));
    out.set(this.piece.subarray(0, this.at), this.full.length * LIST_PIECE);
    this.full = [];
    return out;
  }
}

const LIST_PIECE = 1 << 16;

/** Modes as git's diff compares them (its canon_mode): a tree, a link, a submodule, or a file. */
const TREE = 0o040000;
const LINK = 0o120000;
const GITLINK = 0o160000;

function canonicalMode(mode: number): number {
  const type = mode & 0o170000;
  if (type === TREE || type === LINK || type === GITLINK) return type;
  return 0o100000 | (mode & 0o100 ? 0o755 : 0o644);
}

/** An entry of a tree read whole: one naming an object wanted or a tree that holds one. */
export interface Entry {
  mode: number;
  /** The name's bytes, as latin1 text (which keeps every byte). */
  name: string;
  oid: string;
}

/** Each commit's tree and its first parent's (null for a root commit), in the walk's order. */
export type TreePairs = [tree: string, before: string | null][];

/** The commits of TreePairs that change an object, by their place in it, with the changes. */
export type ChangesAt = [at: number, changes: Change[]][];

/**
 * Gives `onCommit` each of `commits` (in their order) with its changes to the objects `find` looks for:
 * the paths where its tree holds one and its first parent's tree (none for a root commit) does not hold
 * it with the same mode, as `git log --raw --no-renames --diff-merges=first-parent` lists them. A
 * change's `srcOid` is the path's former object where that is one of the objects, else null. False,
 * having called `onCommit` for nothing, when the packs cannot answer for every tree: a tree whose chain
 * is based outside its pack, one too large to hold, one that does not decode, or an object wanted that a
 * tree names as a subtree (a missing tree: git's walk says what it cannot read).
 */
export async function changesFromPacks(
  /** Reads the trees and diffs the pairs it is given (diffFromPacks, here or on another thread). */
  find: (pairs: Promise<TreePairs>) => Promise<ChangesAt | null>,
  commits: () => Promise<CommitTree[]>,
  onCommit: (c: CommitChanges) => void,
): Promise<boolean> {
  // git lists the commits while the trees are read.
  const listed = commits();
  const pairs = listed.then((list) => {
    // A parent outside the list is beyond a shallow clone's boundary, where git's log diffs against nothing.
    const treeOf = new Map(list.map((c) => [c.sha, c.tree]));
    return list.map((c): [string, string | null] => [
      c.tree,
      c.parents.length > 0 ? (treeOf.get(c.parents[0]!) ?? null) : null,
    ]);
  });
  pairs.catch(() => {}); // awaited below; not left unhandled if the trees cannot answer
  const found = await find(pairs);
  if (!found) return false;
  const list = await listed;
  const at = new Map(found);
  for (const [k, c] of list.entries())
    onCommit({ sha: c.sha, parents: c.parents, author: c.author, date: c.date, changes: at.get(k) ?? [] });
  return true;
}

/** The trees of `packs` holding `objects`, then the changes to them of each pair: null where they cannot tell. */
export async function diffFromPacks(
  packs: readonly PackFile[],
  objects: ReadonlySet<string>,
  pairs: Promise<TreePairs>,
): Promise<ChangesAt | null> {
  const trees = await treesHolding(packs, objects);
  if (!trees) return null;
  const list = await pairs;
  try {
    return diffPairs(trees, objects, list);
  } catch (e) {
    // Directories nested deeper than this reader follows (a hostile history): git's walk says what it can.
    if (e instanceof RangeError || e instanceof Unanswerable) return null;
    throw e;
  }
}

/** Each pair's changes to `objects`, through the trees that hold them. */
export function diffPairs(trees: HoldingTrees, objects: ReadonlySet<string>, pairs: TreePairs): ChangesAt {
  const diff = (tree: string, before: string | null, prefix: string, out: Change[], depth: number): void => {
    if (depth > MAX_DEPTH) throw new Unanswerable();
    const entries = trees.get(tree);
    if (!entries) return;
    const old = before === null ? undefined : trees.get(before);
    for (const e of entries) {
      const was = old?.find((o) => o.name === e.name);
      if (e.mode === TREE) {
        if (was?.mode === TREE && was.oid === e.oid) continue;
        diff(e.oid, was?.mode === TREE ? was.oid : null, `${prefix}${e.name}/`, out, depth + 1);
      } else if (e.mode !== GITLINK && objects.has(e.oid)) {
        if (was && was.oid === e.oid && was.mode === e.mode) continue;
        const srcOid = was && was.mode !== TREE && was.mode !== GITLINK ? was.oid : null;
        // git prints a path's bytes; read as UTF-8, as its output is.
        out.push({ path: Buffer.from(prefix + e.name, 'latin1').toString('utf8'), oid: e.oid, srcOid });
      }
    }
  };
  const out: ChangesAt = [];
  for (const [k, [tree, before]] of pairs.entries()) {
    // Trees that did not change hold no change.
    if (tree === before) continue;
    const changes: Change[] = [];
    diff(tree, before, '', changes, 0);
    if (changes.length > 0) out.push([k, changes]);
  }
  return out;
}

/**
 * Stored bytes of trees past which a history's trees are not read: what reading them holds grows with
 * them (aws-cli's 16.7 MB of trees: about 120 MB on the thread reading them; git's 77 MB: 180 MB), and
 * past this the scan's own memory bound would not hold. git walks such a history instead.
 */
export const TREE_READ_LIMIT = 24 << 20;

let treeReadLimit = TREE_READ_LIMIT;

/** Sets the limit (tests read tiny histories' trees past one); returns the previous value. */
export function setTreeReadLimit(bytes: number): number {
  const before = treeReadLimit;
  treeReadLimit = bytes;
  return before;
}

/** Whether the trees of `packs` are few enough to be read (TREE_READ_LIMIT), and the packs readable. */
export function treesWithinLimit(packs: readonly PackFile[]): boolean {
  let bytes = 0;
  try {
    for (const pack of packs) {
      const { rootKind } = planOf(pack);
      for (let i = 0; i < pack.count; i++)
        if (rootKind[i] === KIND.tree) bytes += pack.ends[i]! - pack.starts[i]!;
    }
  } catch (e) {
    // A pack this reader cannot plan (a cycle of deltas) is git's to read.
    if (e instanceof PackFormatError) return false;
    throw e;
  }
  return bytes <= treeReadLimit;
}

/** Trees holding objects wanted, by id, each with its entries naming one of them or another such tree. */
export type HoldingTrees = Map<string, Entry[]>;

/**
 * The trees of `packs` that hold one of `objects`, directly or below, each with its entries that name one
 * of them or another such tree; null when the packs cannot answer for every tree (see changesFromPacks).
 */
export async function treesHolding(
  packs: readonly PackFile[],
  objects: ReadonlySet<string>,
): Promise<HoldingTrees | null> {
  try {
    return await holdingIn(packs, objects);
  } catch (e) {
    if (e instanceof Unanswerable || e instanceof ObjectReadError || e instanceof DeltaError) return null;
    if (e instanceof PackFormatError) return null;
    throw e;
  } finally {
    // Trees lie scattered among the blobs: their stored bytes were read ahead (indexTrees), for both
    // reads of them.
    for (const pack of packs) pack.forget();
  }
}

async function holdingIn(
  packs: readonly PackFile[],
  objects: ReadonlySet<string>,
): Promise<Map<string, Entry[]> | null> {
  const indexes: TreeIndex[] = [];
  for (const pack of packs) {
    const index = await indexTrees(pack);
    if (!index) return null;
    indexes.push(index);
  }
  // Trees holding the objects, then trees holding those, until a level finds none; with where in each
  // tree an entry may name one (the NUL before its id), at every level it was found at.
  let wanted = new Set([...objects].filter((o) => OID.test(o)).map(keyOfHex));
  const found = new Map<TreeIndex, Map<number, number[]>>(indexes.map((x) => [x, new Map()]));
  const holding = new Set<string>();
  for (let depth = 0; wanted.size > 0; depth++) {
    if (depth > MAX_DEPTH) throw new Unanswerable();
    const level = new Set<number>();
    for (const index of indexes) {
      const mine = found.get(index)!;
      for (const [i, at] of matchingTrees(index, wanted)) {
        const known = mine.get(i);
        mine.set(i, known ? [...known, ...at] : at);
        const oid = index.pack.oid(i);
        if (holding.has(oid)) continue;
        holding.add(oid);
        level.add(keyOfHex(oid));
      }
    }
    wanted = level;
  }
  // What the search needed is not needed to read the trees found.
  for (const index of indexes) index.candPos = index.candKey = index.copies = EMPTY_LIST;
  // Each tree found read whole, for the entries at the places found (matched on their whole ids).
  const trees = new Map<string, Entry[]>();
  for (const index of indexes) {
    const mine = found.get(index)!;
    if (mine.size === 0) continue;
    await readTrees(index, new Set(mine.keys()), (i, tree) => {
      const entries: Entry[] = [];
      entriesAt(tree, mine.get(i)!, (mode, nameFrom, nameTo, idAt) => {
        const oid = tree.toString('hex', idAt, idAt + ID_BYTES);
        if (mode === TREE ? !holding.has(oid) : !objects.has(oid)) {
          // A tree the objects name (one missing from the store): git's walk is to say it cannot read it.
          if (mode === TREE && objects.has(oid)) throw new Unanswerable();
          return;
        }
        entries.push({ mode, name: tree.toString('latin1', nameFrom, nameTo), oid });
      });
      trees.set(index.pack.oid(i), entries);
    });
  }
  return trees;
}

/**
 * Calls `onEntry` for the entries of `tree` (git's tree format) whose NUL is at one of `places`, with its
 * mode as git's diff compares it, where its name is and where its id starts. A place inside an id (a
 * match that was not an entry) names none. The entries are stepped through only up to the last place.
 */
function entriesAt(
  tree: Buffer,
  places: number[],
  onEntry: (mode: number, nameFrom: number, nameTo: number, idAt: number) => void,
): void {
  const sorted = places.length > 1 ? [...new Set(places)].sort((x, y) => x - y) : places;
  let j = 0;
  for (let p = 0; p < tree.length && j < sorted.length;) {
    const nul = tree.indexOf(0, p);
    if (nul < 0 || nul + 1 + ID_BYTES > tree.length) throw new Unanswerable();
    while (j < sorted.length && sorted[j]! < nul) j++;
    if (sorted[j] === nul) {
      const space = tree.indexOf(0x20, p);
      if (space < 0 || space > nul) throw new Unanswerable();
      let mode = 0;
      for (let k = p; k < space; k++) mode = mode * 8 + (tree[k]! - 0x30);
      onEntry(canonicalMode(mode), space + 1, nul, nul + 1);
      j++;
    }
    p = nul + 1 + ID_BYTES;
  }
}

/** The trees of `index` whose bytes hold a NUL followed by an id keyed in `wanted`, with where. */
function matchingTrees(index: TreeIndex, wanted: ReadonlySet<number>): Map<number, number[]> {
  const { order, base, candStart, candPos, candKey, copyStart, copies } = index;
  // Where each object holds a match, for the objects that hold one; a delta carries its base's.
  const matches = new Map<number, number[]>();
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    let here: number[] | null = null;
    for (let c = candStart[k]!; c < candStart[k + 1]!; c++)
      if (wanted.has(candKey[c]!)) (here ??= []).push(candPos[c]!);
    const b = base[i]!;
    const from = b >= 0 ? matches.get(b) : undefined;
    if (from) {
      for (let c = copyStart[k]!; c < copyStart[k + 1]!; c += 3) {
        const t = copies[c]!;
        const n = copies[c + 1]!;
        const src = copies[c + 2]!;
        for (const q of from) if (q >= src && q + ENTRY_ID <= src + n) (here ??= []).push(t + q - src);
      }
    }
    if (here) {
      here.sort((x, y) => x - y);
      matches.set(i, here);
    }
  }
  return matches;
}

/**
 * Reads every tree chain of `pack` once and notes, for each tree, the entry ids in the bytes that are
 * its own (a base's whole content; a delta's inserts and the seams between its copies) and its copies.
 * Null when a tree's chain starts outside the pack (its kind, and so whether it is a tree, is git's).
 */
async function indexTrees(pack: PackFile): Promise<TreeIndex | null> {
  const plan = planOf(pack);
  // A chain based outside the pack is of a kind only git can tell: it may be a tree.
  for (let i = 0; i < pack.count; i++) if (!KNOWN_KINDS.has(plan.rootKind[i]!)) return null;
  const order = new IntList();
  const base = new Int32Array(pack.count).fill(-1);
  const candStart = new IntList();
  const candPos = new IntList();
  const candKey = new IntList();
  const copyStart = new IntList();
  const copies = new IntList();
  // Entry ids in `buf[from, to)`, each at the NUL before it, as offsets from `origin`.
  const search = (buf: Uint8Array, from: number, to: number, origin: number): void => {
    for (let p = buf.indexOf(0, from); p >= 0 && p + ENTRY_ID <= to; p = buf.indexOf(0, p + 1)) {
      candPos.push(p - origin);
      candKey.push(keyOf(buf, p + 1));
    }
  };
  const trees: number[] = [];
  for (let i = 0; i < pack.count; i++) if (plan.rootKind[i] === KIND.tree) trees.push(i);
  pack.preload(trees, PRELOAD_BUDGET);
  await walkTrees(pack, plan, trees, {
    root(i, mem, at, size) {
      order.push(i);
      candStart.push(candPos.length);
      copyStart.push(copies.length);
      search(mem, at, at + size, at);
    },
    delta(i, b, ops, size, mem, _baseAt, at) {
      order.push(i);
      base[i] = b;
      candStart.push(candPos.length);
      copyStart.push(copies.length);
      // An entry inside one copy is its base's; any other touches inserted bytes or the seam of two
      // copies, and is searched for in the bytes around those (spans.ts deltaSpans, for entries: every
      // seam matters, as an entry is any bytes at all).
      const windows = new Windows(size, (from, to) => search(mem, at + from, at + to, at));
      const d = ops.data;
      for (let k = 0; k < ops.length; k += 3) {
        const t = d[k]!;
        const n = d[k + 1]!;
        if (d[k + 2]! < 0) windows.want(t - REACH, t + n + REACH);
        else {
          copies.push(t);
          copies.push(n);
          copies.push(d[k + 2]!);
          if (k > 0 && d[k - 1]! >= 0) windows.want(t - REACH, t + REACH);
        }
      }
      windows.end();
    },
  });
  candStart.push(candPos.length);
  copyStart.push(copies.length);
  return {
    pack,
    plan,
    order: order.done(),
    base,
    candStart: candStart.done(),
    candPos: candPos.done(),
    candKey: candKey.done(),
    copyStart: copyStart.done(),
    copies: copies.done(),
  };
}

/** Calls `onTree` with the whole content of each tree of `index` in `which` (a view, valid in the call). */
async function readTrees(
  index: TreeIndex,
  which: ReadonlySet<number>,
  onTree: (i: number, tree: Buffer) => void,
): Promise<void> {
  // Only the chains holding a tree wanted are read: in `order`, a chain is its root and what follows
  // until the next root.
  const chains: number[][] = [];
  let chain: number[] = [];
  let wanted = false;
  for (const i of index.order) {
    if (index.base[i] === -1) {
      if (wanted) chains.push(chain);
      chain = [];
      wanted = false;
    }
    chain.push(i);
    if (which.has(i)) wanted = true;
  }
  if (wanted) chains.push(chain);
  await walkTrees(index.pack, index.plan, chains.flat(), {
    root(i, mem, at, size) {
      if (which.has(i)) onTree(i, mem.subarray(at, at + size));
    },
    delta(i, _b, _ops, size, mem, _baseAt, at) {
      if (which.has(i)) onTree(i, mem.subarray(at, at + size));
    },
  });
}

interface TreeVisitor {
  root(i: number, mem: Buffer, at: number, size: number): void;
  /** A delta built from its base: the base at `mem[baseAt…]`, the target at `mem[at, at + size)`. */
  delta(i: number, base: number, ops: DeltaOps, size: number, mem: Buffer, baseAt: number, at: number): void;
}

/** Lets the event loop run (git's output, progress) every so often during a long computation. */
function pauser(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < YIELD_MS) return;
    await new Promise((r) => setImmediate(r));
    last = performance.now();
  };
}

/**
 * Walks the chains of `trees` (objects of `pack`, whole chains, roots first in pack order), each base
 * before its deltas, each built above its base.
 */
async function walkTrees(
  pack: PackFile,
  plan: PackPlan,
  trees: readonly number[],
  visit: TreeVisitor,
): Promise<void> {
  const { childStart, children } = plan;
  // The open part of a chain, grown as deep chains of large trees need (offsets stay valid in a copy).
  let mem = Buffer.allocUnsafeSlow(1 << 20);
  const ops = new DeltaOps();
  let deltaBuf = Buffer.allocUnsafeSlow(1 << 16);
  const reserve = (at: number, size: number): number => {
    if (at + size > HELD_BUDGET) throw new Unanswerable();
    if (at + size > mem.length) {
      const grown = Buffer.allocUnsafeSlow(Math.min(HELD_BUDGET, Math.max(at + size, mem.length * 2)));
      mem.copy(grown, 0, 0, at);
      mem = grown;
    }
    return at;
  };
  const wanted = new Set(trees);
  const pause = pauser();
  for (const r of trees) {
    if (pack.kinds[r] !== KIND.tree) continue;
    reserve(0, pack.sizes[r]! + 1);
    const content = pack.read(r, mem, 0);
    visit.root(r, mem, 0, content.length);
    const stack = [{ i: r, at: 0, size: content.length, next: childStart[r]! }];
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.next >= childStart[f.i + 1]!) {
        stack.pop();
        continue;
      }
      const c = children[f.next++]!;
      if (!wanted.has(c)) continue;
      if (pack.sizes[c]! + 1 > deltaBuf.length)
        deltaBuf = Buffer.allocUnsafeSlow(Math.max(pack.sizes[c]! + 1, deltaBuf.length * 2));
      const delta = pack.read(c, deltaBuf);
      const size = parseDelta(delta, f.size, ops);
      // Trees are small: each is built whole above its base, so its windows are read where it lies.
      const out = reserve(f.at + f.size, size);
      buildTarget(mem, f.at, out, delta, ops);
      visit.delta(c, f.i, ops, size, mem, f.at, out);
      if (childStart[c] !== childStart[c + 1]) stack.push({ i: c, at: out, size, next: childStart[c]! });
    }
    await pause();
  }
}
