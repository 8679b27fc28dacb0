import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, parentPort } from 'node:worker_threads';
import type { ObjectType } from '../adapters/git.js';
import {
  KIND,
  MAX_INFLATE,
  ObjectReadError,
  PackFile,
  PackFormatError,
  type PackShare,
} from '../adapters/packs.js';
import { DeltaError, DeltaOps, buildTarget, parseDelta, readTarget } from './delta.js';
import { LABEL_SPANS, deltaSpans, labelStarts, matchStarts } from './spans.js';
import type { TextAnalysis } from '../core/detect.js';
import { analyseFlagged } from './passes.js';
import { threadsFor } from './threads.js';

/**
 * The first pass of a full-history scan, read straight from pack files. Each delta chain is walked from
 * its base outwards, so every object is inflated once and rebuilt from its parent with a few copies.
 * Only the bytes a delta inserts, and the seams between its pieces, are searched: whatever a delta copies
 * was searched in its base, and the base's matches are carried over to the copies that hold them.
 */

export interface PackPassResult {
  /** Trees and parents that commits name but no pack holds (a store of several packs may hold them all). */
  absent: string[];
  /** Objects that may hold a key id, with their type. */
  hits: Map<string, ObjectType>;
  /** The flagged file versions, analysed as they were read (passes.ts analyseFlagged). */
  analyses: Map<string, TextAnalysis>;
  objects: number;
  commits: number;
  bytes: number;
  /** Objects left to git: too large to hold, based on an object outside their pack, or of unknown kind. */
  deferred: string[];
  /** Objects this reader could not decode (left to git), each named with its pack. */
  errors: string[];
}

/** Objects larger than this are streamed by git instead of held whole. */
const LARGE_OBJECT = 8 << 20;
/** Bound on the bytes held for the open part of a delta chain; what does not fit goes to git. */
const HELD_BUDGET = 32 << 20;
/** The pass yields to the event loop this often, so progress and child processes keep moving. */
const YIELD_MS = 25;

const WANTED_ROOTS = new Set<number>([KIND.blob, KIND.commit, KIND.tag]);
const UNKNOWN = 255;

/**
 * Memory for the open part of a delta chain, one buffer so that building a target from its base is a
 * series of memmoves. Objects are stacked: a target is placed above its base and freed before it.
 */
class Arena {
  // Reserved whole and unzeroed: its pages become resident only as chains reach them, so what it costs
  // is the deepest point a chain reached, never a series of grown copies left for the collector.
  readonly mem = Buffer.allocUnsafeSlow(HELD_BUDGET);
  top = 0;

  /** Where `size` bytes were reserved, or -1 past the budget. */
  reserve(size: number): number {
    if (this.top + size > this.mem.length) return -1;
    const at = this.top;
    this.top += size;
    return at;
  }

  release(at: number): void {
    this.top = at;
  }
}

interface Frame {
  i: number;
  at: number;
  size: number;
  spans: number[];
  /** Where secret labels are (spans.ts labelStarts): a lone secret's file is flagged by its label. */
  labels: number[];
  next: number;
}

export interface PackProgress {
  /** Called once per pack before it is read, with the number of objects it will report. */
  plan(objects: number): void;
  /** Called as objects are read: how many, and their bytes. */
  objects(count: number, bytes: number): void;
}

/** How a pack's objects hang together: kinds resolved through delta chains, and each object's deltas. */
export interface PackPlan {
  rootKind: Uint8Array;
  childStart: Uint32Array;
  children: Uint32Array;
}

/** What one share of a pack's chains yielded. Plain data: it crosses from worker threads. */
export interface ShareResult {
  hits: [string, ObjectType][];
  analyses: [string, TextAnalysis][];
  /** Trees and parents that commits of the pack name but the pack does not hold. */
  absent: string[];
  objects: number;
  commits: number;
  bytes: number;
  deferred: string[];
  /** Objects this reader could not decode (left to git), each named with its pack. */
  errors: string[];
}

/** The script worker threads run (dist/pack-worker.js), or null to read every share on this thread. */
let workerScript: string | null = null;

/**
 * Lets the pass run shares of a pack on threads started from `pack-worker.js` beside the module at
 * `moduleUrl`, when that bundle is there (it is beside dist/index.js and dist/cli.js, not beside src/).
 */
export function workerScriptBeside(moduleUrl: string): void {
  const script = join(dirname(fileURLToPath(moduleUrl)), 'pack-worker.js');
  workerScript = existsSync(script) ? script : null;
}

export interface PackWorkerData {
  keyleakPackWorker: true;
  share: PackShare;
  plan: PackPlan;
  roots: Uint32Array;
  markers: readonly string[] | undefined;
}

export function isPackWorkerData(d: unknown): d is PackWorkerData {
  return typeof d === 'object' && d !== null && (d as PackWorkerData).keyleakPackWorker === true;
}

type WorkerMessage =
  | { type: 'progress'; objects: number; bytes: number }
  | { type: 'done'; result: ShareResult }
  | { type: 'error'; name: string; message: string };

/** A worker thread's whole job: scan its share of chains and post the result. */
export async function runPackWorker(data: PackWorkerData): Promise<void> {
  const port = parentPort!;
  let pack: PackFile | null = null;
  try {
    pack = PackFile.fromShare(data.share);
    let objects = 0;
    let bytes = 0;
    let last = performance.now();
    const result = await scanShare(pack, data.plan, data.roots, data.markers, (n, b) => {
      objects += n;
      bytes += b;
      const now = performance.now();
      if (now - last > 100) {
        port.postMessage({ type: 'progress', objects, bytes } satisfies WorkerMessage);
        objects = 0;
        bytes = 0;
        last = now;
      }
    });
    if (objects > 0) port.postMessage({ type: 'progress', objects, bytes } satisfies WorkerMessage);
    port.postMessage({ type: 'done', result } satisfies WorkerMessage);
  } catch (e) {
    const err = e as Error;
    port.postMessage({ type: 'error', name: err.name, message: err.message } satisfies WorkerMessage);
  } finally {
    pack?.close();
  }
}

function runShareOnWorker(
  pack: PackFile,
  plan: PackPlan,
  roots: Uint32Array,
  markers: readonly string[] | undefined,
  onObjects: (count: number, bytes: number) => void,
  cancel: AbortSignal,
): Promise<ShareResult> {
  return new Promise((resolve, reject) => {
    const data: PackWorkerData = { keyleakPackWorker: true, share: pack.shared(), plan, roots, markers };
    // A small nursery: the inflated deltas a thread drops are freed sooner, and its memory stays small.
    const worker = new Worker(workerScript!, {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    // Another share failed: this one's result would be thrown away.
    cancel.addEventListener('abort', () => void worker.terminate(), { once: true });
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onObjects(m.objects, m.bytes);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        const Err =
          m.name === 'DeltaError'
            ? DeltaError
            : m.name === 'PackFormatError'
              ? PackFormatError
              : m.name === 'ObjectReadError'
                ? ObjectReadError
                : Error;
        reject(new Err(m.message));
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`pack reader thread exited with code ${code} before finishing`));
    });
  });
}

/**
 * Runs the first pass over `packs`, on `jobs` threads when worker threads are available. Chains this
 * reader leaves to git and can tell before reading (based outside their pack, or starting from an object
 * too large to hold) go to `toGit` first, so git can read them while the packs are read; those it finds
 * on the way are in the result's `deferred`. Throws PackFormatError or DeltaError on a pack it cannot read.
 */
export async function packPass(
  packs: readonly PackFile[],
  jobs: number,
  onProgress?: PackProgress,
  toGit?: (oids: string[]) => void,
  markers?: readonly string[],
): Promise<PackPassResult> {
  const result: PackPassResult = {
    hits: new Map(),
    analyses: new Map(),
    absent: [],
    objects: 0,
    commits: 0,
    bytes: 0,
    deferred: [],
    errors: [],
  };
  const planned = packs.map((pack) => {
    const plan = planPack(pack);
    return { pack, plan, ...chainRoots(pack) };
  });
  const early = planned.flatMap(({ pack, plan, early }) => early.flatMap((i) => subtree(pack, plan, i)));
  if (toGit) toGit(early);
  else result.deferred.push(...early);
  if (onProgress) {
    let count = 0;
    for (const { pack, plan } of planned)
      for (let i = 0; i < pack.count; i++) if (WANTED_ROOTS.has(plan.rootKind[i]!)) count++;
    onProgress.plan(count - early.length);
  }

  // An object in two packs is counted in both; as a hit it is one key of the map.
  const onObjects = (n: number, b: number): void => onProgress?.objects(n, b);
  for (const { pack, plan, roots, weights } of planned) {
    const threads = workerScript
      ? threadsFor(
          weights.reduce((a, w) => a + w, 0),
          jobs,
        )
      : 1;
    const shares = threads > 1 ? splitRoots(roots, weights, threads) : [roots];
    // The first share runs here; the others on worker threads, all at once. A thread that cannot start
    // or dies (not a pack it cannot read) leaves its share to this thread.
    const cancel = new AbortController();
    const parts = await Promise.all(
      shares.map((share, k) =>
        k === 0
          ? scanShare(pack, plan, share, markers, onObjects)
          : runShareOnWorker(pack, plan, share, markers, onObjects, cancel.signal).catch((e: unknown) => {
              if (e instanceof PackFormatError || e instanceof DeltaError || cancel.signal.aborted) throw e;
              return scanShare(pack, plan, share, markers);
            }),
      ),
    ).catch((e: unknown) => {
      cancel.abort();
      throw e;
    });
    for (const part of parts) {
      for (const oid of part.deferred) result.deferred.push(oid);
      for (const oid of part.absent) result.absent.push(oid);
      for (const m of part.errors) result.errors.push(m);
      for (const [oid, type] of part.hits) result.hits.set(oid, type);
      for (const [oid, a] of part.analyses) result.analyses.set(oid, a);
      result.objects += part.objects;
      result.commits += part.commits;
      result.bytes += part.bytes;
    }
  }
  return result;
}

/** Object ids of `from` and every delta based on it, directly or not. */
function subtree(pack: PackFile, plan: PackPlan, from: number): string[] {
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

/**
 * Scans the chains that start at `roots` (chainRoots' choice: objects of this pack small enough to hold),
 * each object once; deltas found too large on the way are left to git.
 */
export async function scanShare(
  pack: PackFile,
  plan: PackPlan,
  roots: ArrayLike<number>,
  markers: readonly string[] | undefined,
  onObjects?: (count: number, bytes: number) => void,
): Promise<ShareResult> {
  const { rootKind, childStart, children } = plan;
  const result: ShareResult = {
    hits: [],
    analyses: [],
    absent: [],
    objects: 0,
    commits: 0,
    bytes: 0,
    deferred: [],
    errors: [],
  };
  // A commit's tree and parents, read from its header: whether the pack stands on its own.
  const checkCommit = (buf: Buffer, from: number, to: number): void => {
    let p = from;
    for (;;) {
      const nl = buf.indexOf(0x0a, p);
      if (nl < 0 || nl >= to || nl === p) return;
      const line = buf.toString('latin1', p, Math.min(nl, p + 48));
      const m = /^(?:tree|parent) ([0-9a-f]{40})$/.exec(line);
      if (m && !pack.has(m[1]!)) result.absent.push(m[1]!);
      else if (!m && !line.startsWith('tree ') && !line.startsWith('parent ')) return;
      p = nl + 1;
    }
  };
  let lastYield = performance.now();
  const maybeYield = async (): Promise<void> => {
    const now = performance.now();
    if (now - lastYield < YIELD_MS) return;
    await new Promise((r) => setImmediate(r));
    lastYield = performance.now();
  };
  const arena = new Arena();
  const ops = new DeltaOps();
  let scratch = Buffer.allocUnsafe(1 << 16);
  const hasChildren = (i: number): boolean => childStart[i] !== childStart[i + 1];

  // A flagged file version is analysed here, while its content is at hand: attribution then reads it
  // again through git only for the few that report a key. `content` gives it whole.
  const record = (i: number, size: number, hit: boolean, content: () => Buffer): void => {
    const kind = rootKind[i]!;
    result.objects++;
    result.bytes += size;
    if (kind === KIND.commit) result.commits++;
    if (hit) {
      const oid = pack.oid(i);
      result.hits.push([oid, kind === KIND.commit ? 'commit' : kind === KIND.tag ? 'tag' : 'blob']);
      if (kind === KIND.blob) result.analyses.push([oid, analyseFlagged(content(), markers)]);
    }
    onObjects?.(1, size);
  };
  const defer = (from: number): void => {
    for (const oid of subtree(pack, plan, from)) result.deferred.push(oid);
  };

  // An object this reader cannot decode is git's to read, with everything built on it; git then reads it
  // or reports it unreadable.
  const undecodable = (e: unknown, i: number): boolean => {
    if (!(e instanceof ObjectReadError || e instanceof DeltaError)) return false;
    result.errors.push(e instanceof DeltaError ? `${pack.describe(i)}: ${e.message}` : e.message);
    defer(i);
    return true;
  };

  // Deltas are inflated into one buffer, reused: a pass over every object leaves nothing per object.
  let deltaBuf = Buffer.allocUnsafeSlow(1 << 16);
  for (let k = 0; k < roots.length; k++) {
    const r = roots[k]!;
    // The root is inflated straight into the arena, where its deltas are built from it.
    arena.release(0);
    const at = arena.reserve(pack.sizes[r]! + 1);
    if (at < 0) {
      defer(r);
      continue;
    }
    let content: Buffer;
    try {
      content = pack.read(r, arena.mem, at);
    } catch (e) {
      if (undecodable(e, r)) continue;
      throw e;
    }
    arena.release(at + content.length);
    const spans: number[] = [];
    matchStarts(content, 0, content.length, spans);
    const labels: number[] = [];
    labelStarts(content, 0, content.length, labels);
    record(r, content.length, spans.length + labels.length > 0, () => content);
    if (rootKind[r] === KIND.commit) checkCommit(content, 0, content.length);
    if (!hasChildren(r)) continue;

    const stack: Frame[] = [{ i: r, at, size: content.length, spans, labels, next: childStart[r]! }];
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.next >= childStart[f.i + 1]!) {
        stack.pop();
        arena.release(f.at);
        continue;
      }
      const c = children[f.next++]!;
      let delta: Buffer;
      let size: number;
      try {
        if (pack.sizes[c]! + 1 > deltaBuf.length && pack.sizes[c]! <= MAX_INFLATE)
          deltaBuf = Buffer.allocUnsafeSlow(Math.max(pack.sizes[c]! + 1, deltaBuf.length * 2));
        delta = pack.read(c, deltaBuf);
        size = parseDelta(delta, f.size, ops);
      } catch (e) {
        if (undecodable(e, c)) continue;
        throw e;
      }
      if (size > LARGE_OBJECT) {
        defer(c);
        continue;
      }
      let cs: number[];
      let ls: number[];
      if (hasChildren(c)) {
        // A base for more deltas: build it whole, above its own base.
        const out = arena.reserve(size);
        if (out < 0) {
          defer(c);
          continue;
        }
        buildTarget(arena.mem, f.at, out, delta, ops);
        const view = arena.mem;
        cs = deltaSpans(ops, size, arena.mem, f.at, f.spans, (s, e, o) =>
          matchStarts(view, out + s, out + e, o, out),
        );
        ls = deltaSpans(
          ops,
          size,
          arena.mem,
          f.at,
          f.labels,
          (s, e, o) => labelStarts(view, out + s, out + e, o, out),
          LABEL_SPANS,
        );
        if (rootKind[c] === KIND.commit) checkCommit(view, out, out + size);
        record(c, size, cs.length + ls.length > 0, () => view.subarray(out, out + size));
        if (f.next >= childStart[f.i + 1]!) {
          // The base's last delta: the base is needed no more, and the delta takes its place. A chain
          // of versions holds two of them at a time, not the whole chain.
          arena.mem.copyWithin(f.at, out, out + size);
          arena.release(f.at + size);
          stack.pop();
          stack.push({ i: c, at: f.at, size, spans: cs, labels: ls, next: childStart[c]! });
        } else {
          stack.push({ i: c, at: out, size, spans: cs, labels: ls, next: childStart[c]! });
        }
      } else {
        // A leaf: only the windows searched are ever built.
        cs = deltaSpans(ops, size, arena.mem, f.at, f.spans, (s, e, o) => {
          if (e - s > scratch.length) scratch = Buffer.allocUnsafe(e - s);
          matchStarts(readTarget(arena.mem, f.at, delta, ops, s, e, scratch), 0, e - s, o, -s);
        });
        // A leaf with a key id is flagged already: its labels need not be looked for.
        ls =
          cs.length > 0
            ? []
            : deltaSpans(
                ops,
                size,
                arena.mem,
                f.at,
                f.labels,
                (s, e, o) => {
                  if (e - s > scratch.length) scratch = Buffer.allocUnsafe(e - s);
                  labelStarts(readTarget(arena.mem, f.at, delta, ops, s, e, scratch), 0, e - s, o, -s);
                },
                LABEL_SPANS,
              );
        if (rootKind[c] === KIND.commit) {
          if (size > scratch.length) scratch = Buffer.allocUnsafe(size);
          checkCommit(readTarget(arena.mem, f.at, delta, ops, 0, size, scratch), 0, size);
        }
        record(c, size, cs.length + ls.length > 0, () => {
          if (size > scratch.length) scratch = Buffer.allocUnsafe(size);
          return readTarget(arena.mem, f.at, delta, ops, 0, size, scratch);
        });
      }
      await maybeYield();
    }
    await maybeYield();
  }
  return result;
}

/** Resolves kinds through delta chains and lists each object's deltas. */
export function planPack(pack: PackFile): PackPlan {
  const rootKind = new Uint8Array(new SharedArrayBuffer(Math.max(1, pack.count))).subarray(0, pack.count);
  resolveRootKinds(pack, rootKind);
  return { rootKind, ...childLists(pack) };
}

/**
 * The objects the chains this reader reads start from, with the stored bytes of each chain (the work of
 * reading it); and those of the chains it leaves to git: deltas whose base is in another pack, and
 * objects too large to hold.
 */
function chainRoots(pack: PackFile): { roots: Uint32Array; weights: Float64Array; early: number[] } {
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
function splitRoots(roots: Uint32Array, weights: Float64Array, jobs: number): Uint32Array[] {
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

/** The kind of object each entry is once its delta chain is resolved (UNKNOWN when the base is elsewhere). */
function resolveRootKinds(pack: PackFile, kinds: Uint8Array): void {
  const n = pack.count;
  const chain: number[] = [];
  for (let i = 0; i < n; i++) {
    if (kinds[i] !== 0) continue;
    let j = i;
    chain.length = 0;
    while (kinds[j] === 0 && pack.kinds[j]! >= KIND.ofsDelta && pack.bases[j]! >= 0) {
      chain.push(j);
      if (chain.length > n) throw new PackFormatError('pack has a cycle of deltas');
      j = pack.bases[j]!;
    }
    const k = kinds[j] !== 0 ? kinds[j]! : pack.kinds[j]! < KIND.ofsDelta ? pack.kinds[j]! : UNKNOWN;
    kinds[j] = k;
    for (const c of chain) kinds[c] = k;
  }
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
