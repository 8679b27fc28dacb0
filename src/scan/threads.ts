/**
 * How many threads read a pack, chosen from the work: a thread costs its start-up (a heap, the reader's
 * code loaded again: tens of milliseconds) and earns it only on enough bytes. Small packs are read on the
 * calling thread, one after another; `jobs` is the most a large one gets.
 */

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
