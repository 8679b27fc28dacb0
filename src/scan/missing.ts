import {
  GitError,
  type CommitChanges,
  type Git,
  type HistorySelection,
  type KeptWalk,
} from '../adapters/git.js';
import type { MissingObject } from '../core/types.js';

/** Objects looked for in the one walk: each is an argument of it. The rest are listed, not located. */
const LOCATE_AT_MOST = 100;
/** Commits named per object: enough to find the file, not a history of it. */
const PER_OBJECT = 3;
/** Objects the warning names; the JSON report's `missing` lists them all. */
const SAID = 5;

type References = Map<string, { commit: string; path: string }[]>;

/**
 * Where objects are referenced, gathered from a walk of the history's changes (git log lists newest
 * first): up to PER_OBJECT commits that put each at a path. Attribution feeds its own walk to one, so a
 * scan with hits and missing objects walks the history once.
 */
export class MissingReferences {
  readonly refs: References;

  constructor(oids: readonly string[]) {
    this.refs = new Map(oids.slice(0, LOCATE_AT_MOST).map((o) => [o, []]));
  }

  /** The objects to name to a walk limited to some (git's `--find-object`). */
  get oids(): string[] {
    return [...this.refs.keys()];
  }

  see(c: CommitChanges): void {
    for (const ch of c.changes) {
      const list = this.refs.get(ch.oid);
      if (list && list.length < PER_OBJECT) list.push({ commit: c.sha, path: ch.path });
    }
  }
}

/**
 * Where the objects a scan could not read are referenced: the commits and paths that name them, so a
 * reader knows which files went unscanned. `walked` holds what a walk of this scan already found (the
 * attribution's); the others are looked for in one walk of the history's trees, reading no blob (git's
 * `--find-object` fetches blobs in a partial clone), so objects absent from the store are found by the
 * trees that name them. When that walk fails, the objects are still reported, said to be unlocated, and
 * the scan goes on.
 */
export async function locateMissing(
  git: Git,
  sel: HistorySelection,
  oids: readonly string[],
  walked: MissingReferences | null = null,
  /** The whole walk, run while the packs were read: replayed instead of walking again. */
  kept: KeptWalk | null = null,
): Promise<{ missing: MissingObject[]; warning: string }> {
  const found: References = new Map(walked?.refs);
  const rest = new MissingReferences(oids.filter((o) => !found.has(o)).slice(0, LOCATE_AT_MOST - found.size));
  let failure = '';
  if (rest.refs.size > 0) {
    try {
      const see = (c: CommitChanges): void => rest.see(c);
      await (kept ? kept.replay(see) : git.logChanges(sel, see));
      for (const [oid, list] of rest.refs) found.set(oid, list);
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      failure = e.message.split('\n')[0]!.slice(0, 300);
    }
  }
  const missing = oids.map((oid) => ({ oid, referencedBy: found.get(oid) ?? null }));
  return { missing, warning: describeMissing(missing, failure) };
}

/** The warning for objects that were not scanned, naming where the first few are referenced. */
export function describeMissing(missing: readonly MissingObject[], failure = ''): string {
  const named = missing.slice(0, SAID).map((m) => `${m.oid}${where(m)}`);
  const more = missing.length > SAID ? `, and ${missing.length - SAID} more` : '';
  const why = failure
    ? `; where they are referenced could not be found (${failure})`
    : missing.some((m) => m.referencedBy === null)
      ? `; only the first ${LOCATE_AT_MOST} were looked for in the history`
      : '';
  return `${missing.length} object(s) are missing from the repository or could not be read, and were not scanned: ${named.join(', ')}${more}${why} (the JSON report lists them all under \`missing\`; fetch them again, or re-clone or restore the repository)`;
}

function where(m: MissingObject): string {
  if (m.referencedBy === null) return '';
  if (m.referencedBy.length === 0) return ' (no commit puts it at a path)';
  // Paths are the repository's to choose: quoted, so a comma or a line break in one reads as part of it.
  return ` (${m.referencedBy.map((r) => `${JSON.stringify(r.path)} in ${r.commit.slice(0, 12)}`).join(', ')})`;
}
