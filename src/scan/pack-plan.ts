import { KIND, PackFile, PackFormatError } from '../adapters/packs.js';

/**
 * Planning a full-history pass over one pack, before any object is inflated: what kind each delta chain
 * ends in, which deltas hang from each object, which chains this reader walks and what each weighs, and
 * how they are shared between threads. Everything here comes from the headers the pack reader parsed;
 * the plan is in shared memory, so threads read it without a copy.
 */

/** Objects larger than this are streamed by git instead of held whole. */
export const LARGE_OBJECT = 8 << 20;

/** Kinds of object a pass reads: blobs, commits and annotated tags (trees hold no key). */
export const WANTED_ROOTS = new Set<number>([KIND.blob, KIND.commit, KIND.tag]);
const UNKNOWN = 255;

/** How a pack's objects hang together: kinds resolved through delta chains, and each object's deltas. */
export interface PackPlan {
  rootKind: Uint8Array;
  childStart: Uint32Array;
  children: Uint32Array;
}

/** Object ids of `from` and every delta based on it, directly or not. */
export function subtree(pack: PackFile, plan: PackPlan, from: number): string[] {
  const { childStart, children } = plan;
  const out: string[] = [];
  const todo = [from];
  while (todo.length > 0) {
    const i = todo.pop()!;
    out.push(pack.oid(i));
    for (let c = childStart[i]!; c < childStart[i + 1]!; c++) todo.push(children[c]!);
  }
  return out;
}

const plans = new WeakMap<PackFile, PackPlan>();

/** The plan of `pack`, made once: the first pass and attribution's read of trees share it. */
export function planOf(pack: PackFile): PackPlan {
  let plan = plans.get(pack);
  if (!plan) plans.set(pack, (plan = planPack(pack)));
  return plan;
}

/** Takes `plan` as the plan of `pack` (made by another thread, in shared memory). */
export function adoptPlan(pack: PackFile, plan: PackPlan): void {
  plans.set(pack, plan);
}

/** Resolves kinds through delta chains and lists each object's deltas. */
function planPack(pack: PackFile): PackPlan {
  const rootKind = new Uint8Array(new SharedArrayBuffer(Math.max(1, pack.count))).subarray(0, pack.count);
  resolveRootKinds(pack, rootKind);
  return { rootKind, ...childLists(pack) };
}

/**
 * The objects the chains this reader reads start from, with the stored bytes of each chain (the work of
 * reading it); and those of the chains it leaves to git: deltas whose base is in another pack, and
 * objects too large to hold.
 */
export function chainRoots(pack: PackFile): { roots: Uint32Array; weights: Float64Array; early: number[] } {
  const n = pack.count;
  const list: number[] = [];
  const early: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = pack.kinds[i]!;
    if (k >= KIND.ofsDelta) {
      // Based on an object outside this pack: of a kind only git can tell.
      if (pack.bases[i]! < 0) early.push(i);
    } else if (WANTED_ROOTS.has(k)) {
      if (pack.sizes[i]! > LARGE_OBJECT) early.push(i);
      else list.push(i);
    }
  }
  const roots = Uint32Array.from(list);
  // Chain weights: each object's stored size added to its root's, bases before deltas (offset order
  // puts a base before its deltas except for deltas named by id, resolved by walking up).
  const rootOf = new Int32Array(n).fill(-1);
  for (let k = 0; k < roots.length; k++) rootOf[roots[k]!] = k;
  const weights = new Float64Array(roots.length);
  for (let i = 0; i < n; i++) {
    let j = i;
    let steps = 0;
    while (rootOf[j] === -1 && pack.kinds[j]! >= KIND.ofsDelta && pack.bases[j]! >= 0 && steps++ < n)
      j = pack.bases[j]!;
    const k = rootOf[j]!;
    if (k >= 0) {
      if (j !== i) rootOf[i] = k;
      weights[k] = weights[k]! + (pack.ends[i]! - pack.starts[i]!);
    }
  }
  return { roots, weights, early };
}

/** Splits chains into `jobs` shares of about equal weight, each kept in pack order. */
export function splitRoots(roots: Uint32Array, weights: Float64Array, jobs: number): Uint32Array[] {
  const order = Array.from(roots.keys()).sort((a, b) => weights[b]! - weights[a]!);
  const load = new Float64Array(jobs);
  const assigned: number[][] = Array.from({ length: jobs }, () => []);
  for (const k of order) {
    let best = 0;
    for (let j = 1; j < jobs; j++) if (load[j]! < load[best]!) best = j;
    load[best] = load[best]! + weights[k]!;
    assigned[best]!.push(roots[k]!);
  }
  return assigned
    .filter((a) => a.length > 0)
    .map((a) => {
      const share = new Uint32Array(new SharedArrayBuffer(Math.max(1, a.length) * 4)).subarray(0, a.length);
      share.set(a.sort((x, y) => x - y));
      return share;
    });
}

/** Marks of resolveRootKinds: on the chain being walked, and on or leading into a cycle of deltas. */
const VISITING = 254;
const CYCLIC = 253;

/**
 * The kind of object each entry is once its delta chain is resolved (UNKNOWN when the base is elsewhere).
 * Each entry is walked once, so a cycle of deltas costs no more than a chain; the objects on one, or
 * based on one, are named in the PackFormatError thrown.
 */
function resolveRootKinds(pack: PackFile, kinds: Uint8Array): void {
  const n = pack.count;
  const chain: number[] = [];
  const cyclic: string[] = [];
  for (let i = 0; i < n; i++) {
    if (kinds[i] !== 0) continue;
    let j = i;
    chain.length = 0;
    while (kinds[j] === 0 && pack.kinds[j]! >= KIND.ofsDelta && pack.bases[j]! >= 0) {
      kinds[j] = VISITING;
      chain.push(j);
      j = pack.bases[j]!;
    }
    const k =
      kinds[j] === VISITING || kinds[j] === CYCLIC
        ? CYCLIC
        : kinds[j] !== 0
          ? kinds[j]!
          : pack.kinds[j]! < KIND.ofsDelta
            ? pack.kinds[j]!
            : UNKNOWN;
    kinds[j] = k;
    for (const c of chain) kinds[c] = k;
    if (k === CYCLIC) for (const c of chain) cyclic.push(pack.oid(c));
  }
  if (cyclic.length > 0)
    throw new PackFormatError(
      `${pack.path} has a cycle of deltas: ${cyclic.length} object(s) on it or based on it can never be rebuilt`,
      cyclic,
    );
}

/** For each object, the deltas based on it, as one flat list with start positions (shared memory). */
function childLists(pack: PackFile): { childStart: Uint32Array; children: Uint32Array } {
  const n = pack.count;
  const childStart = new Uint32Array(new SharedArrayBuffer((n + 1) * 4));
  for (let i = 0; i < n; i++) {
    const b = pack.bases[i]!;
    if (pack.kinds[i]! >= KIND.ofsDelta && b >= 0) childStart[b + 1] = childStart[b + 1]! + 1;
  }
  for (let i = 0; i < n; i++) childStart[i + 1] = childStart[i + 1]! + childStart[i]!;
  const fill = childStart.slice(0, n);
  const total = childStart[n]!;
  const children = new Uint32Array(new SharedArrayBuffer(Math.max(1, total) * 4)).subarray(0, total);
  for (let i = 0; i < n; i++) {
    const b = pack.bases[i]!;
    if (pack.kinds[i]! >= KIND.ofsDelta && b >= 0) {
      children[fill[b]!] = i;
      fill[b] = fill[b]! + 1;
    }
  }
  return { childStart, children };
}
