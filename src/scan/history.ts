import type { CommitChanges, Git, ObjectType } from '../adapters/git.js';
import { markersToNote, type KeyleakConfig } from '../core/config.js';
import type { TextAnalysis } from '../core/detect.js';
import { buildFindings, type CommitMeta, type ScanUnit } from '../core/findings.js';
import type { ScanReport } from '../core/types.js';
import { PackFile, PackFormatError, objectStoreLayout, type ObjectStoreLayout } from '../adapters/packs.js';
import { DeltaError } from './delta.js';
import { packPass } from './pack-pass.js';
import { analyseObjects, prefilter, type FirstPassResult, type Progress } from './passes.js';
import type { ScanResult } from './result.js';

export interface HistoryScanOptions {
  config: KeyleakConfig;
  /** Parallel object readers for the first pass. */
  jobs: number;
  onProgress?: (p: Progress) => void;
}

/** Which history to scan: objects reachable from `include` and not from `exclude`. */
export interface HistorySelection {
  mode: 'all' | 'range';
  include: string[];
  exclude: string[];
}

/** Other files of a commit larger than this are not read just to look for a paired secret. */
const PAIRING_READ_LIMIT = 16 << 20;

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

  const progress: Progress = { objects: 0, totalObjects: 0, bytes: 0, totalBytes: 0 };
  let lastReport = 0;
  const onBytes = opts.onProgress
    ? (n: number): void => {
        progress.bytes += n;
        const now = Date.now();
        if (now - lastReport > 100) {
          lastReport = now;
          opts.onProgress!(progress);
        }
      }
    : undefined;

  let first: FirstPassResult;
  let unreachable: string[] = [];
  if (sel.mode === 'all') {
    const store = await openStore(git);
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
    await attribute(git, sel, first.hits, units, markersToNote(opts.config));
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

/**
 * Maps objects that may hold key ids back to where they were introduced, and analyses them (and, for
 * pairing, the other files of the same commits) in full.
 */
async function attribute(
  git: Git,
  sel: HistorySelection,
  hits: Map<string, ObjectType>,
  units: ScanUnit[],
  markers: readonly string[],
): Promise<void> {
  const hitOids = [...hits.keys()];
  const { analyses, commits: parsedCommits } = await analyseObjects(git, hitOids, markers);
  const withKeys = new Set(hitOids.filter((o) => (analyses.get(o)?.keyIds.length ?? 0) > 0));
  if (withKeys.size === 0) return;

  const hitBlobs = new Set([...withKeys].filter((o) => hits.get(o) === 'blob'));
  const hitCommits = new Set([...withKeys].filter((o) => hits.get(o) === 'commit'));
  const revs = [...sel.include, ...(sel.exclude.length ? ['--not', ...sel.exclude] : [])];

  // Walk the selected commits once, keeping only those that introduced a file version with a key id.
  const introducing: { commit: CommitChanges; oids: string[]; order: number }[] = [];
  const reachable = new Map<string, number>();
  let seq = 0;
  await git.logChanges(revs, (c) => {
    seq++; // git log lists newest first
    if (hitCommits.has(c.sha)) reachable.set(c.sha, -seq);
    if (hitBlobs.size === 0) return;
    const found = c.changes.filter((ch) => hitBlobs.has(ch.oid)).map((ch) => ch.oid);
    if (found.length > 0) introducing.push({ commit: c, oids: found, order: -seq });
  });

  // A merge diffed against its first parent lists what its other parents brought in; the merge only
  // introduced a version that none of its other parents had at that path (a conflict resolution).
  const mergeSpecs: { idx: number; path: string; oid: string; specs: string[] }[] = [];
  introducing.forEach((entry, idx) => {
    if (entry.commit.parents.length < 2) return;
    for (const ch of entry.commit.changes) {
      if (!hitBlobs.has(ch.oid)) continue;
      mergeSpecs.push({
        idx,
        path: ch.path,
        oid: ch.oid,
        specs: entry.commit.parents.slice(1).map((p) => `${p}:${ch.path}`),
      });
    }
  });
  const fromOtherParent = new Set<string>();
  if (mergeSpecs.length > 0) {
    const answers = await git.blobsAt(mergeSpecs.flatMap((m) => m.specs));
    let i = 0;
    for (const m of mergeSpecs) {
      const got = answers.slice(i, i + m.specs.length);
      i += m.specs.length;
      if (got.includes(m.oid)) fromOtherParent.add(`${m.idx}\0${m.path}`);
    }
  }

  const orderOf = new Map(introducing.map((e) => [e.commit.sha, e.order]));
  const meta = (c: CommitChanges): CommitMeta => ({
    sha: c.sha,
    author: c.author,
    date: c.date,
    order: orderOf.get(c.sha),
  });
  const pairingOids = new Set<string>();
  const keyUnits: { commit: CommitChanges; path: string; oid: string }[] = [];
  introducing.forEach((entry, idx) => {
    let any = false;
    for (const ch of entry.commit.changes) {
      if (!hitBlobs.has(ch.oid) || fromOtherParent.has(`${idx}\0${ch.path}`)) continue;
      keyUnits.push({ commit: entry.commit, path: ch.path, oid: ch.oid });
      any = true;
    }
    if (any) for (const ch of entry.commit.changes) if (!hitBlobs.has(ch.oid)) pairingOids.add(ch.oid);
  });

  // Content already reachable from the start of a range was reported when it arrived there.
  if (sel.exclude.length > 0 && keyUnits.length > 0) {
    const paths = [...new Set(keyUnits.map((k) => k.path))];
    const seenBefore = new Set<string>();
    await git.logChanges(
      sel.exclude,
      (c) => {
        for (const ch of c.changes) {
          if (hitBlobs.has(ch.oid)) seenBefore.add(ch.oid);
          if (ch.srcOid && hitBlobs.has(ch.srcOid)) seenBefore.add(ch.srcOid);
        }
      },
      paths,
    );
    for (let i = keyUnits.length - 1; i >= 0; i--)
      if (seenBefore.has(keyUnits[i]!.oid)) keyUnits.splice(i, 1);
  }

  // Commit messages: a commit from the object store counts only when it is in the selected history.
  for (const sha of hitCommits) {
    if (!reachable.has(sha)) continue;
    const pc = parsedCommits.get(sha)!;
    units.push({
      commit: { sha, author: pc.author, date: pc.date },
      path: null,
      analysis: analyses.get(sha)!,
    });
  }

  // The other files of the introducing commits, read only to find a secret paired with the key id.
  if (pairingOids.size > 0) {
    const sizes = await pairingCandidates(git, [...pairingOids]);
    const extra = await analyseObjects(git, sizes, markers);
    for (const [oid, a] of extra.analyses) analyses.set(oid, a);
  }
  const seenCommitUnits = new Set<string>();
  for (const ku of keyUnits) {
    units.push({ commit: meta(ku.commit), path: ku.path, analysis: analyses.get(ku.oid)! });
    if (seenCommitUnits.has(ku.commit.sha)) continue;
    seenCommitUnits.add(ku.commit.sha);
    for (const ch of ku.commit.changes) {
      if (hitBlobs.has(ch.oid)) continue;
      const a: TextAnalysis | undefined = analyses.get(ch.oid);
      if (a && (a.secrets.length > 0 || a.tokens.length > 0))
        units.push({ commit: meta(ku.commit), path: ch.path, analysis: a });
    }
  }
}

async function pairingCandidates(git: Git, oids: string[]): Promise<string[]> {
  const out = await git.run(
    ['cat-file', '--batch-check=%(objectname) %(objectsize)'],
    oids.join('\n') + '\n',
  );
  return out
    .split('\n')
    .map((l) => l.split(' '))
    .filter((p) => p.length === 2 && Number(p[1]) <= PAIRING_READ_LIMIT)
    .map((p) => p[0]!);
}

function sum<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((a, t) => a + f(t), 0);
}

/** The object store, opened for direct reading: null when it is git's alone to read. */
interface OpenStore {
  layout: ObjectStoreLayout;
  packs: PackFile[];
}

async function openStore(git: Git): Promise<OpenStore | null> {
  const objectsDir = await git.objectDirectory();
  const layout = objectsDir ? objectStoreLayout(objectsDir) : null;
  if (!layout) return null;
  const packs: PackFile[] = [];
  try {
    for (const p of layout.packs) packs.push(PackFile.open(p.idx, p.pack));
  } catch (e) {
    for (const p of packs) p.close();
    // A pack this reader does not understand is git's to read.
    if (e instanceof PackFormatError) return null;
    throw e;
  }
  return { layout, packs };
}

/**
 * True when the store is one pack and nothing else, holding every branch and tag tip and HEAD: the
 * state git's clone, gc and repack leave. Each of them writes the pack from a walk of the history that
 * fails on a missing object (clone checks the received pack's connectivity besides), and a pack cannot
 * lose objects without its index no longer matching. Any loose object, second pack or alternate store
 * means objects arrived another way, and the walk runs; so it does when the pack reader finds a commit
 * whose tree or parent the pack lacks (a pack a fetch wrote, its older history deleted).
 */
async function vouchedFor(git: Git, store: OpenStore): Promise<boolean> {
  const { layout, packs } = store;
  if (packs.length !== 1 || layout.loose.length > 0 || layout.alternates) return false;
  const tips = await git.refTips();
  const head = await git.headCommit();
  if (head) tips.push(head);
  return tips.every((t) => packs[0]!.has(t));
}

/**
 * The first pass over every blob and commit in the store: pack files read directly, and whatever that
 * reader leaves (loose objects, objects too large to hold, deltas against another pack) read through git.
 * A store the reader cannot read is read through git entirely.
 */
async function fullFirstPass(
  git: Git,
  store: OpenStore | null,
  jobs: number,
  progress: Progress,
  onBytes?: (n: number) => void,
): Promise<FirstPassResult> {
  if (store) {
    // Loose objects, and chains the pack reader leaves to git, are read by git while the packs are read.
    let early: Promise<FirstPassResult> | null = null;
    try {
      const packed = await packPass(
        store.packs,
        jobs,
        onBytes && {
          plan: (n) => {
            progress.totalObjects += n;
          },
          objects: (n, bytes) => {
            progress.objects += n;
            onBytes(bytes);
          },
        },
        (oids) => {
          const toGit = [...store.layout.loose, ...oids];
          if (toGit.length === 0) return;
          early = prefilter(git, toGit, 1, onBytes);
          early.catch(() => {}); // awaited below; not left unhandled if the pack pass fails first
        },
      );
      const parts: FirstPassResult[] = [];
      if (early) parts.push(await early);
      if (packed.deferred.length > 0) parts.push(await prefilter(git, packed.deferred, jobs, onBytes));
      const hits = new Map(packed.hits);
      for (const p of parts) for (const [k, v] of p.hits) hits.set(k, v);
      return {
        hits,
        absent: packed.absent,
        missing: parts.flatMap((p) => p.missing),
        objects: packed.objects + sum(parts, (p) => p.objects),
        commits: packed.commits + sum(parts, (p) => p.commits),
        bytes: packed.bytes + sum(parts, (p) => p.bytes),
      };
    } catch (e) {
      // A pack this reader does not understand is git's to read: start over through git.
      if (!(e instanceof PackFormatError || e instanceof DeltaError)) throw e;
      if (early) await (early as Promise<FirstPassResult>).catch(() => null);
    }
  }
  const objs = await git.listObjects(new Set<ObjectType>(['blob', 'commit']));
  progress.objects = 0;
  progress.bytes = 0;
  progress.totalObjects = 0;
  progress.totalBytes = objs.reduce((a, o) => a + o.size, 0);
  return prefilter(
    git,
    objs.map((o) => o.oid),
    jobs,
    onBytes,
    objs.map((o) => o.size + 64),
  );
}
