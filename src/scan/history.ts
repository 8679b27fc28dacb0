import { GitError, type Git, type HistorySelection, type KeptWalk } from '../adapters/git.js';
import { markersToNote, type KeyleakConfig } from '../core/config.js';
import type { ScanUnit } from '../core/findings.js';
import { attribute } from './attribute.js';
import { fullFirstPass, openStore, vouchedFor, type OpenStore } from './first-pass.js';
import { locateMissing, type MissingReferences } from './missing.js';
import { prefilter, type FirstPassResult, type Progress } from './passes.js';
import { scanResult, type ScanResult } from './result.js';
import { changesOnThread, packWorkerBeside } from './threads.js';
import { changesFromPacks, treesWithinLimit } from './tree-changes.js';

export type { HistorySelection } from '../adapters/git.js';

/** Bytes of a kept walk's output written at most (boto3's whole history is about 8 MB). */
const KEPT_WALK_LIMIT = 16 << 20;
/** Stored bytes of chains under which a history is walked after its pack is read (see onPlanned). */
export const KEPT_WALK_MIN_WORK = 4 << 20;

let keptWalkMinWork = KEPT_WALK_MIN_WORK;

/** Sets the work a kept walk needs (tests walk tiny histories while reading them); returns the previous. */
export function setKeptWalkMinWork(bytes: number): number {
  const before = keptWalkMinWork;
  keptWalkMinWork = bytes;
  return before;
}

export interface HistoryScanOptions {
  config: KeyleakConfig;
  /** Parallel object readers for the first pass. */
  jobs: number;
  /**
   * The script pack-reading threads run, or null to read every pack on the calling thread; by default the
   * one beside the running entry (threads.ts packWorkerBeside).
   */
  workerScript?: string | null;
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
  const spare: SpareCore = { kept: null, store: null };
  try {
    return await scanWithSpareCore(git, sel, opts, spare);
  } finally {
    spare.kept?.discard();
    // The checksums are read from the packs' files: settled before those are closed.
    await spare.store?.damaged;
    for (const p of spare.store?.packs ?? []) p.close();
  }
}

/**
 * A core the packs' reading leaves free: the walk that attribution and the location of missing objects
 * need runs there meanwhile (git writes it to a file, within a bound), and is replayed only if there is
 * something to attribute or locate. Not for a small history, whose walk after the read costs less than
 * a process started for nothing.
 */
interface SpareCore {
  kept: KeptWalk | null;
  /** The packs, open until attribution has read their trees. */
  store: OpenStore | null;
}

async function scanWithSpareCore(
  git: Git,
  sel: HistorySelection,
  opts: HistoryScanOptions,
  spare: SpareCore,
): Promise<ScanResult> {
  const started = Date.now();
  const warnings: string[] = [];
  let incomplete = false;
  const problems: string[] = [];
  // The walk for missing objects: one git cannot finish is said, never taken for "nothing missing".
  const missingObjects = (): Promise<string[]> =>
    git.missingObjects(sel).catch((e: unknown) => {
      if (!(e instanceof GitError)) throw e;
      problems.push(`git could not walk the history to find missing objects (${firstLine(e.message)})`);
      return [];
    });

  // A shallow or partial clone is incomplete only where the scan needed what it lacks: a range that
  // stops short of the shallow boundary is whole; objects a partial clone filtered out and the scan
  // needed are listed as missing by the walks below.
  // Questions for git that do not depend on each other are asked at once: each is a process of its own.
  const [shallow, partial] = await Promise.all([git.shallowCommits(), git.isPartial()]);
  const shallowWarning = (where: string): void => {
    incomplete = true;
    warnings.push(
      `shallow clone: ${where}; commits beyond the shallow boundary were not scanned (run \`git fetch --unshallow\` to scan the whole history)`,
    );
  };
  if (shallow.size > 0 && sel.mode === 'all') shallowWarning('the history is cut short');

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
  const workerScript =
    opts.workerScript === undefined ? packWorkerBeside(process.argv[1]) : opts.workerScript;
  // Packs read on fewer threads than allowed leave a core free (SpareCore).
  const onPlanned = (threads: number, work: number): void => {
    if (threads < opts.jobs && work >= keptWalkMinWork) spare.kept = git.keepChanges(sel, KEPT_WALK_LIMIT);
  };
  // A store whose trees are all in its packs gives attribution its walk (tree-changes.ts).
  let treesInPacks = false;
  if (sel.mode === 'all') {
    const store = await openStore(git);
    spare.store = store;
    if (store) progress.phase = 'reading packs';
    // The object store lists what is present; only a walk of the history tells what is referenced but
    // absent. It runs beside the object pass, on another core, unless git itself vouches for the store;
    // and after it when a commit of that store turns out to name a tree or parent it lacks.
    const vouched = store !== null && !incomplete && !partial && (await vouchedFor(git, store));
    [first, unreachable] = await Promise.all([
      fullFirstPass(
        git,
        store,
        {
          jobs: opts.jobs,
          workerScript,
          markers: markersToNote(opts.config),
          onPlanned,
        },
        progress,
        onBytes,
      ),
      vouched ? Promise.resolve([]) : missingObjects(),
    ]);
    if (vouched && (first.absent?.length ?? 0) > 0)
      unreachable = [...first.absent!, ...(await missingObjects())];
    // Loose trees (read by git, where the pack reader cannot look for entries) or another store's objects
    // leave the packs short of some of the history's trees; a history with very many trees is walked by
    // git, whose memory does not grow with them.
    treesInPacks =
      store !== null &&
      !store.layout.alternates &&
      !partial &&
      first.trees === 0 &&
      treesWithinLimit(store.packs);
  } else {
    // What `rev-list --objects` says is new in the range, read through git.
    const oids = await git.listNewObjects(sel);
    const boundary = oids.find((o) => shallow.has(o));
    if (boundary) shallowWarning(`the range reaches the shallow boundary at ${boundary}`);
    first = await prefilter(git, oids, 1, onBytes);
  }
  const units: ScanUnit[] = [];
  const lost: string[] = [];
  // Objects known to be missing before attribution are located by its walk, when it walks.
  const missingBefore = [...new Set([...first.missing, ...unreachable])];
  let walkedFor: MissingReferences | null = null;
  if (first.hits.size > 0) {
    Object.assign(progress, {
      phase: 'attributing',
      objects: 0,
      // What the pack reader analysed as it read is not read again.
      totalObjects: first.hits.size - (first.analyses?.size ?? 0),
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
    walkedFor = await attribute(
      git,
      sel,
      first.hits,
      first.analyses ?? new Map(),
      opts.config,
      units,
      onAnalysed,
      lost,
      problems,
      {
        locate: missingBefore,
        partial,
        kept: spare.kept,
        jobs: opts.jobs,
        fromPacks: treesInPacks
          ? (objects, onCommit) =>
              changesFromPacks(
                (pairs) => changesOnThread(workerScript, spare.store!.packs, objects, pairs),
                () => git.listCommits(sel),
                onCommit,
              )
          : undefined,
      },
    );
  }
  if (problems.length > 0) {
    incomplete = true;
    warnings.push(...problems);
  }
  for (const d of first.damaged ?? []) {
    incomplete = true;
    warnings.push(
      `${d}: objects in it may have been misread or skipped (run \`git fsck\`, then re-clone or restore the repository)`,
    );
  }
  for (const n of first.notes ?? []) warnings.push(`${n}; read through git instead`);
  const missing = [...new Set([...missingBefore, ...lost])];
  const located = missing.length > 0 ? await locateMissing(git, sel, missing, walkedFor, spare.kept) : null;
  if (located) {
    incomplete = true;
    warnings.push(located.warning);
  }

  const result = scanResult(
    units,
    opts.config,
    {
      mode: sel.mode,
      objectsScanned: first.objects,
      bytesScanned: first.bytes,
      commitsScanned: first.commits,
      durationMs: Date.now() - started,
    },
    warnings,
    incomplete,
  );
  if (located) result.report.missing = located.missing;
  return result;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}
