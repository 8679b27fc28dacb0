import { describe, expect, it } from 'vitest';
import { THREAD_MIN_WORK, threadsFor } from '../../src/scan/threads.js';

describe('threads for a pack, chosen from its work', () => {
  it.each([
    { what: 'a tiny pack is read on the calling thread', work: 4096, jobs: 8, threads: 1 },
    {
      what: 'a pack just short of two threads’ work gets one',
      work: 2 * THREAD_MIN_WORK - 1,
      jobs: 8,
      threads: 1,
    },
    { what: 'enough work for two threads gets two', work: 2 * THREAD_MIN_WORK, jobs: 8, threads: 2 },
    { what: 'a large pack gets every allowed thread', work: 100 * THREAD_MIN_WORK, jobs: 4, threads: 4 },
    { what: '--jobs 1 is one thread whatever the work', work: 100 * THREAD_MIN_WORK, jobs: 1, threads: 1 },
    { what: 'an empty pack still has its one thread', work: 0, jobs: 2, threads: 1 },
  ])('$what', ({ work, jobs, threads }) => {
    expect(threadsFor(work, jobs)).toBe(threads);
  });
});
