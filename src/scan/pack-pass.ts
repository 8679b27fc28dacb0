import type { ObjectType } from '../adapters/git.js';
import {
  DeltaError,
  DeltaOps,
  KIND,
  MAX_INFLATE,
  ObjectReadError,
  PackFile,
  PackFormatError,
  buildTarget,
  parseDelta,
  readTarget,
} from '../adapters/packs.js';
import type { TextAnalysis } from '../core/detect.js';
import {
  LARGE_OBJECT,
  WANTED_ROOTS,
  chainRoots,
  planOf,
  splitRoots,
  subtree,
  type PackPlan,
} from './pack-plan.js';
import { analyseFlagged, objectHeaders } from './passes.js';
import { KEY_ID_LENGTH } from '../core/rules.js';
import {
  KEY_SPANS,
  LABEL_SPANS,
  deltaSpans,
  deltaSpansOf,
  labelStarts as labelsIn,
  matchStarts as matchesIn,
} from './spans.js';
import { runShareOnWorker, threadsFor } from './threads.js';

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

/** Bound on the bytes held for the open part of a delta chain; what does not fit goes to git. */
const HELD_BUDGET = 32 << 20;
/**
 * Objects are searched this many bytes at a time. A search reads its bytes as one string, and a string
 * of more than about a megabyte is copied outside the heap, where every thread leaves its own high-water
 * mark behind; pieces this size stay in the young generation and are freed within moments.
 */
const SEARCH_PIECE = 64 << 10;
/** The pass yields to the event loop this often, so progress and child processes keep moving. */
const YIELD_MS = 25;

type Search = (buf: Buffer, from: number, to: number, out: number[], origin?: number) => void;

/**
 * `find` over `buf[from, to)` piece by piece, with the same result as over the whole: each piece is
 * searched with the longest match (KEY_ID_LENGTH, which no label exceeds) more bytes after it, and the
 * matches starting in those bytes, found again by the next piece, are dropped. The patterns look at no
 * byte outside their match, and matches come in order of their start, so those are the last ones found.
 */
function inPieces(find: Search, buf: Buffer, from: number, to: number, out: number[], origin = 0): void {
  for (let at = from; at < to; at += SEARCH_PIECE) {
    const own = Math.min(to, at + SEARCH_PIECE);
    const end = Math.min(to, own + KEY_ID_LENGTH - 1);
    find(buf, at, end, out, origin);
    if (end > own) {
      const next: number[] = [];
      find(buf, own, end, next, origin);
      out.length -= next.length;
    }
  }
}

/** The spans a leaf's windows are searched for: key ids, then labels. */
const LEAF_RULES = [KEY_SPANS, LABEL_SPANS];

const matchStarts: Search = (buf, from, to, out, origin) => inPieces(matchesIn, buf, from, to, out, origin);
const labelStarts: Search = (buf, from, to, out, origin) => inPieces(labelsIn, buf, from, to, out, origin);

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

/** How a pass reads packs. */
export interface PackPassOptions {
  /** The most threads one pack is read on. */
  jobs: number;
  /** The script reading threads run (threads.ts packWorkerBeside), or null to read on this thread alone. */
  workerScript: string | null;
  /** The allow markers flagged files' analyses note (config's `allow.markers`). */
  markers?: readonly string[];
  onProgress?: PackProgress;
  /**
   * Called once the packs are planned, before any is read, with the most threads any of them will be
   * read on and the stored bytes of chains to read (a core left free can take other work meanwhile).
   */
  onPlanned?: (threads: number, work: number) => void;
  /**
   * Takes the chains this reader leaves to git and can tell before reading (based outside their pack, or
   * starting from an object too large to hold), so git can read them while the packs are read; without
   * it they are in the result's `deferred`, with those found on the way.
   */
  toGit?: (oids: string[]) => void;
}

function emptyShare(): ShareResult {
  return { hits: [], analyses: [], absent: [], objects: 0, commits: 0, bytes: 0, deferred: [], errors: [] };
}

/**
 * Runs the first pass over `packs`, a pack's chains shared between threads when it is worth them.
 * Throws PackFormatError or DeltaError on a pack it cannot read.
 */
export async function packPass(packs: readonly PackFile[], opts: PackPassOptions): Promise<PackPassResult> {
  const { jobs, workerScript, markers, onProgress, toGit, onPlanned } = opts;
  const all = emptyShare();
  const planned = packs.map((pack) => {
    const plan = planOf(pack);
    return { pack, plan, ...chainRoots(pack) };
  });
  const early = planned.flatMap(({ pack, plan, early }) => early.flatMap((i) => subtree(pack, plan, i)));
  if (toGit) toGit(early);
  else all.deferred.push(...early);
  if (onProgress) {
    let count = 0;
    for (const { pack, plan } of planned)
      for (let i = 0; i < pack.count; i++) if (WANTED_ROOTS.has(plan.rootKind[i]!)) count++;
    onProgress.plan(count - early.length);
  }

  // An object in two packs is counted in both; as a hit it is one key of the map.
  const onObjects = (n: number, b: number): void => onProgress?.objects(n, b);
  const workOf = planned.map(({ weights }) => weights.reduce((a, w) => a + w, 0));
  const threadCounts = workOf.map((work) => (workerScript ? threadsFor(work, jobs) : 1));
  onPlanned?.(
    Math.max(1, ...threadCounts),
    workOf.reduce((a, w) => a + w, 0),
  );
  for (const [p, { pack, plan, roots, weights }] of planned.entries()) {
    const threads = threadCounts[p]!;
    const shares = threads > 1 ? splitRoots(roots, weights, threads) : [roots];
    // A pack read on one thread is read here; shares of a larger one each on a worker thread, all at
    // once, this thread only gathering their results. Its heap, whose nursery node sizes for throughput
    // (tens of MB) and cannot be told otherwise once started, then holds results, not the garbage of
    // reading; a worker's nursery is kept small. A thread that cannot start or dies (not a pack it cannot
    // read) leaves its share to this thread.
    const cancel = new AbortController();
    const parts = await Promise.all(
      shares.map((share) =>
        shares.length === 1
          ? scanShare(pack, plan, share, markers, onObjects)
          : runShareOnWorker(
              workerScript!,
              { share: pack.shared(), plan, roots: share, markers },
              onObjects,
              cancel.signal,
            ).catch((e: unknown) => {
              if (e instanceof PackFormatError || e instanceof DeltaError || cancel.signal.aborted) throw e;
              return scanShare(pack, plan, share, markers);
            }),
      ),
    ).catch((e: unknown) => {
      cancel.abort();
      throw e;
    });
    for (const part of parts) {
      for (const oid of part.deferred) all.deferred.push(oid);
      for (const oid of part.absent) all.absent.push(oid);
      for (const m of part.errors) all.errors.push(m);
      for (const h of part.hits) all.hits.push(h);
      for (const a of part.analyses) all.analyses.push(a);
      all.objects += part.objects;
      all.commits += part.commits;
      all.bytes += part.bytes;
    }
  }
  return { ...all, hits: new Map(all.hits), analyses: new Map(all.analyses) };
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
  const result = emptyShare();
  // A commit's tree and parents, read from its header: whether the pack stands on its own.
  const checkCommit = (buf: Buffer, from: number, to: number): void => {
    const blank = buf.subarray(from, to).indexOf('\n\n');
    const { headers } = objectHeaders(buf.toString('latin1', from, blank < 0 ? to : from + blank));
    for (const [name, value] of headers) {
      if (name !== 'tree' && name !== 'parent') return;
      if (/^[0-9a-f]{40}$/.test(value) && !pack.has(value)) result.absent.push(value);
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
  // `keyIds` and `labels`: how many prefilter matches and secret labels the object holds (labels are
  // not looked for once a key id is found); a file with only labels needs no search for key ids.
  const record = (i: number, size: number, keyIds: number, labels: number, content: () => Buffer): void => {
    const kind = rootKind[i]!;
    result.objects++;
    result.bytes += size;
    if (kind === KIND.commit) result.commits++;
    if (keyIds + labels > 0) {
      const oid = pack.oid(i);
      result.hits.push([oid, kind === KIND.commit ? 'commit' : kind === KIND.tag ? 'tag' : 'blob']);
      if (kind === KIND.blob) result.analyses.push([oid, analyseFlagged(content(), markers, keyIds > 0)]);
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
    record(r, content.length, spans.length, labels.length, () => content);
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
        record(c, size, cs.length, ls.length, () => view.subarray(out, out + size));
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
        // A leaf: only the windows searched are ever built, each once for key ids and labels. A leaf
        // with a key id is flagged already: its labels need not be looked for.
        [cs, ls] = deltaSpansOf(ops, size, arena.mem, f.at, LEAF_RULES, [f.spans, f.labels], (s, e, outs) => {
          if (e - s > scratch.length) scratch = Buffer.allocUnsafe(e - s);
          const window = readTarget(arena.mem, f.at, delta, ops, s, e, scratch);
          matchStarts(window, 0, e - s, outs[0]!, -s);
          if (outs[0]!.length === 0) labelStarts(window, 0, e - s, outs[1]!, -s);
        }) as [number[], number[]];
        if (rootKind[c] === KIND.commit) {
          if (size > scratch.length) scratch = Buffer.allocUnsafe(size);
          checkCommit(readTarget(arena.mem, f.at, delta, ops, 0, size, scratch), 0, size);
        }
        record(c, size, cs.length, ls.length, () => {
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
