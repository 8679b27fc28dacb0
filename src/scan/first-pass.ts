import { GitError, type Git, type ObjectType } from '../adapters/git.js';
import {
  DeltaError,
  PackFile,
  PackFormatError,
  objectStoreLayout,
  type ObjectStoreLayout,
} from '../adapters/packs.js';
import { packPass, type PackPassOptions } from './pack-pass.js';
import { prefilter, type FirstPassResult, type Progress } from './passes.js';

/**
 * How a full-history scan reads every object once: pack files directly where this reader can, the rest
 * (loose objects, chains it leaves) through git, and the whole store through git when it cannot.
 */

function sum<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((a, t) => a + f(t), 0);
}

/** The object store, opened for direct reading: null when it is git's alone to read. */
export interface OpenStore {
  layout: ObjectStoreLayout;
  packs: PackFile[];
  /**
   * Packs whose checksums do not match, said as what is wrong: checked while the packs are read, and
   * settled before they are closed.
   */
  damaged: Promise<string[]>;
}

export async function openStore(git: Git): Promise<OpenStore | null> {
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
  // Every byte of a pack is covered by its checksum: a flipped bit that still decodes (an object's type,
  // a size) cannot pass as a clean read.
  const damaged = Promise.all(packs.map((p) => p.checksumProblem())).then((ms) =>
    ms.filter((m): m is string => m !== null),
  );
  return { layout, packs, damaged };
}

/**
 * True when the store is one pack and nothing else, holding every branch and tag tip and HEAD: the
 * state git's clone, gc and repack leave. Each of them writes the pack from a walk of the history that
 * fails on a missing object (clone checks the received pack's connectivity besides), and a pack cannot
 * lose objects without its index no longer matching. Any loose object, second pack or alternate store
 * means objects arrived another way, and the walk runs; so does a pack from a partial clone's remote
 * (`.promisor`), whose objects may name others absent by design, configured as partial or not; and so it
 * does when the pack reader finds a commit whose tree or parent the pack lacks (a pack a fetch wrote, its
 * older history deleted).
 */
export async function vouchedFor(git: Git, store: OpenStore): Promise<boolean> {
  const { layout, packs } = store;
  if (packs.length !== 1 || layout.loose.length > 0 || layout.alternates || layout.promisor) return false;
  const [tips, head] = await Promise.all([git.refTips(), git.headCommit()]);
  if (head) tips.push(head);
  return tips.every((t) => packs[0]!.has(t));
}

/**
 * The first pass over every blob and commit in the store: pack files read directly, and whatever that
 * reader leaves (loose objects, objects too large to hold, deltas against another pack) read through git.
 * A store the reader cannot read is read through git entirely.
 */
export async function fullFirstPass(
  git: Git,
  store: OpenStore | null,
  readers: Pick<PackPassOptions, 'jobs' | 'workerScript' | 'markers' | 'onPlanned'>,
  progress: Progress,
  onBytes?: (n: number) => void,
): Promise<FirstPassResult> {
  const { jobs } = readers;
  let cycle: { message: string; oids: string[] } | null = null;
  if (store) {
    // Loose objects, and chains the pack reader leaves to git, are read by git while the packs are read.
    let early: Promise<FirstPassResult> | null = null;
    try {
      const packed = await packPass(store.packs, {
        ...readers,
        onProgress: onBytes && {
          plan: (n) => {
            progress.totalObjects += n;
          },
          objects: (n, bytes) => {
            progress.objects += n;
            onBytes(bytes);
          },
        },
        toGit: (oids) => {
          const toGit = [...store.layout.loose, ...oids];
          if (toGit.length === 0) return;
          early = prefilter(git, toGit, 1, onBytes);
          early.catch(() => {}); // awaited below; not left unhandled if the pack pass fails first
        },
      });
      const parts: FirstPassResult[] = [];
      if (early) parts.push(await early);
      if (packed.deferred.length > 0) parts.push(await prefilter(git, packed.deferred, jobs, onBytes));
      const hits = new Map(packed.hits);
      for (const p of parts) for (const [k, v] of p.hits) hits.set(k, v);
      return {
        hits,
        analyses: packed.analyses,
        absent: packed.absent,
        damaged: await store.damaged,
        notes: packed.errors,
        missing: parts.flatMap((p) => p.missing),
        objects: packed.objects + sum(parts, (p) => p.objects),
        commits: packed.commits + sum(parts, (p) => p.commits),
        bytes: packed.bytes + sum(parts, (p) => p.bytes),
        trees: sum(parts, (p) => p.trees ?? 0),
      };
    } catch (e) {
      // A pack this reader does not understand is git's to read: start over through git.
      if (!(e instanceof PackFormatError || e instanceof DeltaError)) throw e;
      if (early) await (early as Promise<FirstPassResult>).catch(() => null);
      // Save the objects no reader can rebuild: git is never asked for them.
      if (e instanceof PackFormatError && e.unreadable.length > 0) {
        cycle = { message: e.message, oids: e.unreadable };
      }
    }
  }
  const unreadable: string[] = [...(cycle?.oids ?? [])];
  let objs: Awaited<ReturnType<Git['listObjects']>>;
  try {
    objs = await git.listObjects(
      new Set<ObjectType>(['blob', 'commit', 'tag']),
      unreadable,
      new Set(cycle?.oids),
    );
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    // Neither reader can list the store: nothing was scanned, and the scan says so.
    return {
      hits: new Map(),
      missing: [],
      damaged: [
        ...((await store?.damaged) ?? []),
        `git could not list the objects (${e.message.split('\n')[0]!.slice(0, 300)})`,
      ],
      objects: 0,
      commits: 0,
      bytes: 0,
    };
  }
  progress.phase = 'reading objects';
  progress.objects = 0;
  progress.bytes = 0;
  progress.totalObjects = 0;
  progress.totalBytes = objs.reduce((a, o) => a + o.size, 0);
  const read = await prefilter(
    git,
    objs.map((o) => o.oid),
    jobs,
    onBytes,
    objs.map((o) => o.size + 64),
  );
  return {
    ...read,
    missing: [...unreadable, ...read.missing],
    ...(cycle && { damaged: [cycle.message] }),
  };
}
