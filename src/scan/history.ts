import type { Git } from '../adapters/git.js';
import type { KeyleakConfig } from '../core/config.js';
import { buildFindings, type ScanUnit } from '../core/findings.js';
import type { ScanReport } from '../core/types.js';
import { attribute, type HistorySelection } from './attribute.js';
import { fullFirstPass, openStore, vouchedFor } from './first-pass.js';
import { prefilter, type FirstPassResult, type Progress } from './passes.js';
import type { ScanResult } from './result.js';

export type { HistorySelection } from './attribute.js';

export interface HistoryScanOptions {
  config: KeyleakConfig;
  /** Parallel object readers for the first pass. */
  jobs: number;
  onProgress?: (p: Progress) => void;
}

/**
 * Scans a history: one pass over every object to find the few that may hold a key id, then a full
 * analysis of those and a walk of the commits to attribute them to the commits and paths that
 * introduced them.
 */
export async function scanHistory(
  git: Git,
  sel: HistorySelection,
  opts: HistoryScanOptions,
): Promise<ScanResult> {
  const started = Date.now();
  const warnings: string[] = [];
  let incomplete = false;

  if (await git.isShallow()) {
    incomplete = true;
    warnings.push(
      'shallow clone: commits beyond the shallow boundary were not scanned (run `git fetch --unshallow` to scan the whole history)',
    );
  }
  if (await git.isPartial()) {
    incomplete = true;
    warnings.push('partial clone: objects the clone filtered out were not scanned');
  }

  const progress: Progress = {
    phase: 'reading objects',
    objects: 0,
    totalObjects: 0,
    bytes: 0,
    totalBytes: 0,
  };
  let lastReport = 0;
  const tell = (force = false): void => {
    const now = Date.now();
    if (force || now - lastReport > 100) {
      lastReport = now;
      opts.onProgress!(progress);
    }
  };
  const onBytes = opts.onProgress
    ? (n: number): void => {
        progress.bytes += n;
        tell();
      }
    : undefined;

  let first: FirstPassResult;
  let unreachable: string[] = [];
  if (sel.mode === 'all') {
    const store = await openStore(git);
    if (store) progress.phase = 'reading packs';
    try {
      // The object store lists what is present; only a walk of the history tells what is referenced but
      // absent. It runs beside the object pass, on another core, unless git itself vouches for the store;
      // and after it when a commit of that store turns out to name a tree or parent it lacks.
      const vouched = store !== null && !incomplete && (await vouchedFor(git, store));
      [first, unreachable] = await Promise.all([
        fullFirstPass(git, store, opts.jobs, progress, onBytes),
        vouched ? Promise.resolve([]) : git.missingObjects(sel.include),
      ]);
      if (vouched && (first.absent?.length ?? 0) > 0)
        unreachable = [...first.absent!, ...(await git.missingObjects(sel.include))];
    } finally {
      for (const p of store?.packs ?? []) p.close();
    }
  } else {
    // What `rev-list --objects` says is new in the range, read through git.
    const oids = await git.listNewObjects(sel.include, sel.exclude);
    first = await prefilter(git, oids, 1, onBytes);
  }
  const missing = [...new Set([...first.missing, ...unreachable])];
  if (missing.length > 0) {
    incomplete = true;
    warnings.push(
      `${missing.length} object(s) are missing from the repository and were not scanned: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
    );
  }

  const units: ScanUnit[] = [];
  if (first.hits.size > 0) {
    Object.assign(progress, {
      phase: 'attributing',
      objects: 0,
      totalObjects: first.hits.size,
      bytes: 0,
      totalBytes: 0,
    } satisfies Progress);
    const onAnalysed = opts.onProgress
      ? (n: number): void => {
          progress.objects++;
          progress.bytes += n;
          tell();
        }
      : undefined;
    if (opts.onProgress) tell(true);
    await attribute(git, sel, first.hits, opts.config, units, onAnalysed);
  }
  const built = buildFindings(units, opts.config);
  const report: ScanReport = {
    findings: built.findings,
    suppressed: built.suppressed,
    stats: {
      mode: sel.mode,
      objectsScanned: first.objects,
      bytesScanned: first.bytes,
      commitsScanned: first.commits,
      durationMs: Date.now() - started,
    },
    incomplete,
    warnings,
  };
  return { report, secrets: built.secrets };
}
