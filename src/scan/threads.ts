import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, parentPort } from 'node:worker_threads';
import { DeltaError, ObjectReadError, PackFile, PackFormatError, type PackShare } from '../adapters/packs.js';
import type { ShareResult } from './pack-pass.js';
import { planOf, type PackPlan } from './pack-plan.js';
import { diffFromPacks, type ChangesAt, type TreePairs } from './tree-changes.js';

/**
 * The threads a pack is read on: how many a pack is worth, and the messages between the thread that
 * plans the pass and those that read shares of its chains, or attribution's trees (src/pack-worker.ts).
 *
 * A thread costs its start-up (a heap, the reader's code loaded again: tens of milliseconds) and earns it
 * only on enough bytes. Small packs are read on the calling thread, one after another; `jobs` is the most
 * a large one gets.
 */

/** The old generation of a pack-reading thread, in MB (see runShareOnWorker). */
const WORKER_OLD_SPACE_MB = 96;

/** Stored bytes of chains each pack-reading thread should have, at least, to be worth starting. */
export const THREAD_MIN_WORK = 16 << 20;

let minWork = THREAD_MIN_WORK;

/** Threads for a pack whose chains weigh `work` stored bytes, with at most `jobs` allowed. */
export function threadsFor(work: number, jobs: number): number {
  return Math.max(1, Math.min(jobs, Math.floor(work / minWork)));
}

/** Sets the work a thread needs (tests read tiny packs on threads with 1); returns the previous value. */
export function setThreadMinWork(bytes: number): number {
  const before = minWork;
  minWork = bytes;
  return before;
}

/**
 * The script pack-reading threads run: `pack-worker.js` beside `entry` (a path or a file URL; the action
 * and the CLI are bundles in dist/ beside it), or null when it is not there (a test runner, src/), and
 * every share is then read on the calling thread.
 */
export function packWorkerBeside(entry: string | undefined): string | null {
  if (!entry) return null;
  let real: string;
  try {
    // `npx keyleak` runs the CLI through a link in node_modules/.bin.
    real = realpathSync(entry.startsWith('file:') ? fileURLToPath(entry) : entry);
  } catch {
    return null;
  }
  const script = join(dirname(real), 'pack-worker.js');
  return existsSync(script) ? script : null;
}

/**
 * What a thread is started with: to read a share of a pack's chains, the pack as its reader shared it,
 * the plan and the share; or to read attribution's changes from the trees (tree-changes.ts), the packs
 * and their plans (the pairs of trees to diff follow in a message).
 */
export type PackWorkerData =
  | {
      keyleakPackWorker: true;
      job: 'share';
      share: PackShare;
      plan: PackPlan;
      roots: Uint32Array;
      markers: readonly string[] | undefined;
    }
  | { keyleakPackWorker: true; job: 'changes'; shares: PackShare[]; plans: PackPlan[]; objects: string[] };

export function isPackWorkerData(d: unknown): d is PackWorkerData {
  return typeof d === 'object' && d !== null && (d as PackWorkerData).keyleakPackWorker === true;
}

type WorkerMessage<T> =
  | { type: 'progress'; objects: number; bytes: number }
  | { type: 'done'; result: T }
  | { type: 'error'; name: string; message: string };

/** The reading side of a thread: runs `scan` and posts its progress (at most every 100 ms) and result. */
export async function serveShare<T>(
  scan: (onObjects: (count: number, bytes: number) => void) => Promise<T>,
): Promise<void> {
  const port = parentPort!;
  try {
    let objects = 0;
    let bytes = 0;
    let last = performance.now();
    const result = await scan((n, b) => {
      objects += n;
      bytes += b;
      const now = performance.now();
      if (now - last > 100) {
        port.postMessage({ type: 'progress', objects, bytes } satisfies WorkerMessage<T>);
        objects = 0;
        bytes = 0;
        last = now;
      }
    });
    if (objects > 0) port.postMessage({ type: 'progress', objects, bytes } satisfies WorkerMessage<T>);
    port.postMessage({ type: 'done', result } satisfies WorkerMessage<T>);
  } catch (e) {
    const err = e as Error;
    port.postMessage({ type: 'error', name: err.name, message: err.message } satisfies WorkerMessage<T>);
  }
}

/** Errors a thread reports by name, raised again here as the same kind. */
const RAISED = { DeltaError, PackFormatError, ObjectReadError } as const;

/** Reads a share of a pack's chains on a new thread started from `script`. */
export function runShareOnWorker(
  script: string,
  data: { share: PackShare; plan: PackPlan; roots: Uint32Array; markers: readonly string[] | undefined },
  onObjects: (count: number, bytes: number) => void,
  cancel: AbortSignal,
): Promise<ShareResult> {
  return runOnWorker<ShareResult>(
    script,
    { keyleakPackWorker: true, job: 'share', ...data },
    onObjects,
    cancel,
  );
}

/**
 * The changes to `objects` of each pair of trees (tree-changes.ts diffFromPacks), read on a thread of
 * their own when `script` is there: reading the trees makes much short-lived garbage, which a thread's
 * small nursery frees as it goes, where this thread's would grow by tens of MB for the rest of the scan
 * (aws-cli's history: the scan's peak 20-30 MB higher). Read here when no thread can start or it dies.
 */
export async function changesOnThread(
  script: string | null,
  packs: readonly PackFile[],
  objects: ReadonlySet<string>,
  pairs: Promise<TreePairs>,
): Promise<ChangesAt | null> {
  if (script) {
    try {
      return await changesOnWorker(script, packs, objects, pairs);
    } catch (e) {
      // The pairs could not be listed: nothing to read here either.
      if (
        await pairs.then(
          () => false,
          () => true,
        )
      )
        throw e;
    }
  }
  return diffFromPacks(packs, objects, pairs);
}

/** changesOnThread's thread: rejects when it cannot start or dies. */
export function changesOnWorker(
  script: string,
  packs: readonly PackFile[],
  objects: ReadonlySet<string>,
  pairs: Promise<TreePairs>,
): Promise<ChangesAt | null> {
  return runOnWorker<ChangesAt | null>(
    script,
    {
      keyleakPackWorker: true,
      job: 'changes',
      shares: packs.map((p) => p.shared()),
      plans: packs.map((p) => planOf(p)),
      objects: [...objects],
    },
    () => {},
    new AbortController().signal,
    pairs,
  );
}

function runOnWorker<T>(
  script: string,
  data: PackWorkerData,
  onObjects: (count: number, bytes: number) => void,
  cancel: AbortSignal,
  /** Posted to the thread once settled; its failure ends the thread and is the result. */
  then?: Promise<unknown>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    // A small nursery: the inflated deltas a thread drops are freed sooner, and its memory stays small.
    // A bounded old generation makes V8 grow the heap in small steps, collecting before it doubles (a
    // thread keeps a few MB of results; on aws-cli's history the process peaks 30-40 MB lower). A share
    // that outgrows it ends the thread like any other failure: this thread reads it instead.
    const worker = new Worker(script, {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB },
    });
    // Another share failed: this one's result would be thrown away.
    cancel.addEventListener('abort', () => void worker.terminate(), { once: true });
    let settled = false;
    then?.then(
      (value) => worker.postMessage(value),
      (e: unknown) => {
        settled = true;
        void worker.terminate();
        reject(e);
      },
    );
    worker.on('message', (m: WorkerMessage<T>) => {
      if (m.type === 'progress') onObjects(m.objects, m.bytes);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        const Err = RAISED[m.name as keyof typeof RAISED] ?? Error;
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
