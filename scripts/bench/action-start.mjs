// `npm run bench -- --action-start`: what the action costs before it does anything — the size of its
// main chunk and the time and memory node takes to load it. The AWS SDK and the artifact client sit in
// chunks of their own, loaded only when a run calls AWS or uploads trail.json.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, median } from './proc.mjs';

export const ACTION_TARGETS = Object.freeze({
  /** Size of dist/index.js, in MB. */
  mainChunkMB: 3,
  /** Wall time from `node dist/index.js` to exit when run() has nothing to do, in seconds. */
  startSeconds: 0.5,
});

/**
 * Starts the bundled action `rounds` times with no inputs: it loads, reads its (missing) inputs, reports
 * the failure and exits, so the time measured is loading plus a handful of lines.
 */
export async function runActionStartBench({ dist, rounds, log }) {
  const entry = join(dist, 'index.js');
  const bytes = statSync(entry).size;
  const home = mkdtempSync(join(tmpdir(), 'keyleak-bench-action-'));
  const env = { PATH: process.env.PATH, HOME: home, RUNNER_TEMP: home, GITHUB_OUTPUT: join(home, 'out') };
  const runs = [];
  try {
    for (let i = 0; i < rounds; i++) {
      log(`action start ${i + 1}/${rounds}`);
      runs.push(await measure(process.execPath, [entry], { cwd: home, env }));
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  const seconds = median(runs.map((r) => r.wallSeconds));
  const peakMB = median(runs.map((r) => r.memory.own.peak)) / 1e6;
  const mainChunkMB = bytes / 1e6;
  const mark = (ok) => (ok ? 'PASS' : 'FAIL');
  const table = [
    'action start (median of ' + rounds + ')',
    `  main chunk   ${mainChunkMB.toFixed(2)} MB   target < ${ACTION_TARGETS.mainChunkMB} MB   ${mark(mainChunkMB < ACTION_TARGETS.mainChunkMB)}`,
    `  start        ${seconds.toFixed(2)} s    target < ${ACTION_TARGETS.startSeconds} s    ${mark(seconds < ACTION_TARGETS.startSeconds)}`,
    `  peak memory  ${peakMB.toFixed(0)} MB`,
  ].join('\n');
  return { mainChunkMB, startSeconds: seconds, peakMB, table };
}
