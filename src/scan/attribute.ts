import {
  GitError,
  type Change,
  type CommitChanges,
  type Git,
  type HistorySelection,
  type KeptWalk,
  type ObjectType,
} from '../adapters/git.js';
import { markersToNote, type KeyleakConfig } from '../core/config.js';
import type { TextAnalysis } from '../core/detect.js';
import { suppressionOf, type CommitMeta, type ScanUnit } from '../core/findings.js';
import { MissingReferences } from './missing.js';
import { analyseObjects, type ParsedCommit } from './passes.js';

/**
 * Attribution: from the objects the first pass flagged, to the commits and paths that introduced each
 * key id. Its cost follows the hits: the flagged objects are searched for key ids (most of them by the
 * pack reader already), git walks the history only for the file versions that hold one and prints only
 * the commits that changed a path to or from them, and secrets are looked for (in the files with key ids
 * and, to pair one with a key id, in the other files of the commit) only where a commit reports a key.
 */

/** Other files of a commit larger than this are not read just to look for a paired secret. */
const PAIRING_READ_LIMIT = 16 << 20;
/** Commits named on one command line. */
const LIST_CHUNK = 1000;
/**
 * File versions with a key named to git's walk at most (on its command line); past this many, the walk
 * lists every commit's changes and this process keeps those that introduced one.
 */
const FIND_OBJECTS_LIMIT = 10_000;

/** How attribution walks the history. */
export interface WalkOptions {
  /** Objects missing from the store, located by the same walk when there is one (missing.ts). */
  locate?: readonly string[];
  /** A partial clone: git is never asked to limit its walk to objects, which fetches them there. */
  partial?: boolean;
  /** The whole walk, run while the packs were read (Git.keepChanges): replayed instead of walking. */
  kept?: KeptWalk | null;
  /** git processes a walk limited to the versions with keys is shared between. */
  jobs?: number;
  /**
   * The walk read from the packs' trees (tree-changes.ts changesFromPacks): each commit with its changes
   * to these objects, in git's order; false when the packs cannot answer, and git walks instead.
   */
  fromPacks?: (objects: ReadonlySet<string>, onCommit: (c: CommitChanges) => void) => Promise<boolean>;
}

/**
 * Maps objects that may hold key ids back to where they were introduced, and analyses them (and, for
 * pairing, the other files of the commits that report a key) in full.
 */
export async function attribute(
  git: Git,
  sel: HistorySelection,
  hits: Map<string, ObjectType>,
  /** Flagged file versions the first pass analysed already (analyseFlagged): not read again. */
  known: ReadonlyMap<string, TextAnalysis>,
  config: KeyleakConfig,
  units: ScanUnit[],
  onAnalysed: ((bytes: number) => void) | undefined,
  lost: string[],
  problems: string[],
  how: WalkOptions = {},
): Promise<MissingReferences | null> {
  const { locate = [], partial = false, kept = null, jobs = 1, fromPacks } = how;
  // A walk git cannot finish (a damaged commit or tree) is said, and what it reached is kept.
  const walked = (what: string, p: Promise<void>): Promise<void> =>
    p.catch((e: unknown) => {
      if (!(e instanceof GitError)) throw e;
      problems.push(
        `git could not walk ${what} (${firstLine(e.message)}): keys in commits past that point were not reported (run \`git fsck\`)`,
      );
    });
  const hitOids = [...hits.keys()];

  // Blobs are searched for key ids only at first: where each key id is, which is all a suppressed key's
  // report needs. The few blobs of commits that report a key are analysed again in full below. Those the
  // first pass analysed as it read them are not read again.
  const toRead = hitOids.filter((o) => hits.get(o) !== 'blob' || !known.has(o));
  const {
    analyses,
    commits: parsedCommits,
    tags: parsedTags,
    missing,
  } = await analyseObjects(git, toRead, {
    onObject: onAnalysed,
    keyIdsOnly: true,
    markers: markersToNote(config),
  });
  // What the first pass read but git cannot: reported, never dropped (a damaged index git refuses).
  lost.push(...missing);

  // Flagged objects without a key id were flagged for a secret label: analysed in full (they are few),
  // and kept when they hold a lone secret's candidate, so a labelled secret with no key id is located.
  const labelOnly = toRead.filter((o) => hits.get(o) === 'blob' && analyses.get(o)?.keyIds.length === 0);
  const lone = new Set<string>();
  const keepFull = (oid: string, a: TextAnalysis): void => {
    analyses.set(oid, a);
    if (mayStandAlone(a)) lone.add(oid);
  };
  if (labelOnly.length > 0) {
    const full = await analyseObjects(git, labelOnly, { markers: markersToNote(config) });
    lost.push(...full.missing);
    for (const [oid, a] of full.analyses) keepFull(oid, a);
  }
  // The first pass's analyses are in full already where they hold no key id (analyseFlagged).
  for (const [oid, a] of known) if (hits.get(oid) === 'blob') keepFull(oid, a);
  // Commit and tag messages are analysed in full already.
  for (const o of hitOids) if (hits.get(o) !== 'blob' && mayStandAlone(analyses.get(o))) lone.add(o);
  const withKeys = new Set(hitOids.filter((o) => (analyses.get(o)?.keyIds.length ?? 0) > 0 || lone.has(o)));
  if (withKeys.size === 0) return null;
  const hitBlobs = new Set([...withKeys].filter((o) => hits.get(o) === 'blob'));
  const hitCommits = new Set([...withKeys].filter((o) => hits.get(o) === 'commit'));

  // Only now is git asked where they are, and only about them: the commits that changed a path to or
  // from a file version holding a key (of each, only those changes), and which commits with a key in their
  // message the history holds (a walk of the commits alone). What git prints and what is kept here grow
  // with the hits, not with the history; a history whose flagged objects hold no key is not walked.
  // A walk kept while the packs were read is replayed, unless it outgrew its bound.
  const replay = kept !== null && hitBlobs.size > 0 && (await kept.whole()) ? kept : null;
  const introducing: { commit: CommitChanges; order: number }[] = [];
  let seq = 0;
  // Objects missing from the store are located by the same walk: a scan walks the history once.
  let located: MissingReferences | null = null;
  const walkChanges = async (objects: string[]): Promise<void> => {
    introducing.length = 0;
    seq = 0;
    const refs = new MissingReferences(locate);
    const onCommit = (c: CommitChanges): void => {
      seq++; // git log lists newest first
      refs.see(c);
      const changes = c.changes.filter((ch) => hitBlobs.has(ch.oid));
      if (changes.length > 0) introducing.push({ commit: { ...c, changes }, order: -seq });
    };
    const named = objects.length > 0 ? [...objects, ...refs.oids] : [];
    if (replay) await replay.replay(onCommit);
    // The packs' trees answer for a walk limited to the objects, where they can (tree-changes.ts).
    else if (!(named.length > 0 && fromPacks && (await fromPacks(new Set(named), onCommit))))
      await git.logChanges(sel, onCommit, [], named, jobs);
    located = refs;
  };
  const limited = !replay && !partial && hitBlobs.size <= FIND_OBJECTS_LIMIT ? [...hitBlobs] : [];
  const walk =
    hitBlobs.size === 0
      ? Promise.resolve()
      : walked(
          'the history to attribute what was found',
          limited.length === 0
            ? walkChanges([])
            : walkChanges(limited).catch(async (e: unknown) => {
                // Limiting the walk makes git read file versions it may not have (a damaged store): the
                // whole walk reads trees alone, and what it keeps is the same.
                if (!(e instanceof GitError)) throw e;
                await walkChanges([]);
              }),
        );
  walk.catch(() => {}); // awaited below; not left unhandled if the other walk fails first
  const inHistory =
    hitCommits.size === 0
      ? Promise.resolve(new Set<string>())
      : git.commitsAmong(sel, hitCommits).catch((e: unknown) => {
          if (!(e instanceof GitError)) throw e;
          problems.push(
            `git could not walk the history to place commit messages (${firstLine(e.message)}): keys in them were not reported (run \`git fsck\`)`,
          );
          return new Set<string>();
        });
  const [, reachable] = await Promise.all([walk, inHistory]);
  await tagUnits(
    git,
    sel,
    [...withKeys].filter((o) => hits.get(o) === 'tag'),
    parsedTags,
    analyses,
    units,
  );
  const keyed = introducing.filter((e) => e.commit.changes.some((ch) => hitBlobs.has(ch.oid)));

  // A merge diffed against its first parent lists what its other parents brought in; the merge only
  // introduced a version that none of its other parents had at that path (a conflict resolution).
  const mergeSpecs: { idx: number; path: string; oid: string; specs: string[] }[] = [];
  keyed.forEach((entry, idx) => {
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
    const answers = await git.blobsAt(mergeSpecs.flatMap((m) => m.specs)).catch((e: unknown) => {
      if (!(e instanceof GitError)) throw e;
      // Not knowing which parent brought a version in reports it at the merge too: more, never less.
      problems.push(`git could not read the files of merges (${firstLine(e.message)})`);
      return mergeSpecs.flatMap((m) => m.specs).map(() => null);
    });
    let i = 0;
    for (const m of mergeSpecs) {
      const got = answers.slice(i, i + m.specs.length);
      i += m.specs.length;
      if (got.includes(m.oid)) fromOtherParent.add(`${m.idx}\0${m.path}`);
    }
  }

  const orderOf = new Map(keyed.map((e) => [e.commit.sha, e.order]));
  const meta = (c: CommitChanges): CommitMeta => ({
    sha: c.sha,
    author: c.author,
    date: c.date,
    order: orderOf.get(c.sha),
  });
  let keyUnits: { commit: CommitChanges; path: string; oid: string }[] = [];
  keyed.forEach((entry, idx) => {
    for (const ch of entry.commit.changes) {
      if (!hitBlobs.has(ch.oid) || fromOtherParent.has(`${idx}\0${ch.path}`)) continue;
      keyUnits.push({ commit: entry.commit, path: ch.path, oid: ch.oid });
    }
  });

  // Content already reachable from the start of a range was reported when it arrived there.
  if (sel.mode === 'range' && sel.exclude.length > 0 && keyUnits.length > 0) {
    const paths = [...new Set(keyUnits.map((k) => k.path))];
    const seenBefore = new Set<string>();
    await walked(
      'the history before the range',
      git.logChanges(
        { mode: 'range', include: sel.exclude, exclude: [] },
        (c) => {
          for (const ch of c.changes) {
            if (hitBlobs.has(ch.oid)) seenBefore.add(ch.oid);
            if (ch.srcOid && hitBlobs.has(ch.srcOid)) seenBefore.add(ch.srcOid);
          }
        },
        paths,
      ),
    );
    keyUnits = keyUnits.filter((k) => !seenBefore.has(k.oid));
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

  // Secrets are looked for only in commits that report a key (a suppressed key's report names its places,
  // never a secret): in full in their files with key ids, and in their other files, for pairing.
  const reports = (unit: ScanUnit): boolean =>
    unit.analysis.keyIds.some((h) => suppressionOf(h.keyId, unit, h.marker, config) === null);
  const reporting = new Set<string>();
  for (const u of units) if (u.commit && reports(u)) reporting.add(u.commit.sha);
  for (const ku of keyUnits) {
    if (reporting.has(ku.commit.sha)) continue;
    if (reports({ commit: meta(ku.commit), path: ku.path, analysis: analyses.get(ku.oid)! }))
      reporting.add(ku.commit.sha);
  }
  const fullOids = new Set<string>();
  for (const ku of keyUnits) if (reporting.has(ku.commit.sha) && !lone.has(ku.oid)) fullOids.add(ku.oid);
  // The other files of the reporting commits: their changes listed again, for those commits alone.
  const others = new Map<string, Change[]>();
  const shas = keyed.map((e) => e.commit.sha).filter((sha) => reporting.has(sha));
  for (let i = 0; i < shas.length; i += LIST_CHUNK) {
    await walked(
      'the commits that report a key',
      git.changesOf(shas.slice(i, i + LIST_CHUNK), (c) =>
        others.set(
          c.sha,
          c.changes.filter((ch) => !hitBlobs.has(ch.oid)),
        ),
      ),
    );
  }
  const pairingOids = new Set<string>();
  for (const changes of others.values()) for (const ch of changes) pairingOids.add(ch.oid);
  const sizes = pairingOids.size > 0 ? await pairingCandidates(git, [...pairingOids]) : [];
  if (fullOids.size + sizes.length > 0) {
    const full = await analyseObjects(git, [...fullOids, ...sizes], { markers: markersToNote(config) });
    for (const [oid, a] of full.analyses) analyses.set(oid, a);
  }

  const seenCommitUnits = new Set<string>();
  for (const ku of keyUnits) {
    units.push({ commit: meta(ku.commit), path: ku.path, analysis: analyses.get(ku.oid)! });
    if (seenCommitUnits.has(ku.commit.sha) || !reporting.has(ku.commit.sha)) continue;
    seenCommitUnits.add(ku.commit.sha);
    for (const ch of others.get(ku.commit.sha) ?? []) {
      const a: TextAnalysis | undefined = analyses.get(ch.oid);
      if (a && (a.secrets.length > 0 || a.tokens.length > 0))
        units.push({ commit: meta(ku.commit), path: ch.path, analysis: a });
    }
  }
  return located;
}

/**
 * Annotated tag messages, located at the tag. A range lists the tags it brings; in a whole history a
 * tag object counts when a tag ref names it (an unreferenced one is not part of the history).
 */
async function tagUnits(
  git: Git,
  sel: HistorySelection,
  oids: string[],
  parsed: Map<string, ParsedCommit & { name: string }>,
  analyses: Map<string, TextAnalysis>,
  units: ScanUnit[],
): Promise<void> {
  if (oids.length === 0) return;
  const refs = await git.tagRefs();
  for (const oid of oids) {
    const tag = parsed.get(oid);
    const ref = refs.get(oid);
    if (!tag || (sel.mode === 'all' && !ref)) continue;
    units.push({
      commit: { sha: oid, author: tag.author, date: tag.date, tag: ref ?? `refs/tags/${tag.name}` },
      path: null,
      analysis: analyses.get(oid)!,
    });
  }
}

/** Whether an analysis holds a secret labelled as an AWS one, which is reported even with no key id. */
function mayStandAlone(a: TextAnalysis | undefined): boolean {
  return a !== undefined && a.keyIds.length === 0 && a.secrets.some((s) => s.awsLabelled && !s.documented);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}

async function pairingCandidates(git: Git, oids: string[]): Promise<string[]> {
  const sizes = await git
    .objectSizes(oids)
    // The sizes are only a limit on what is read for pairing: without them, every file is a candidate.
    .catch((e: unknown) => {
      if (!(e instanceof GitError)) throw e;
      return new Map(oids.map((o) => [o, 0]));
    });
  return [...sizes].filter(([, size]) => size <= PAIRING_READ_LIMIT).map(([oid]) => oid);
}
