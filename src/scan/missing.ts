import { GitError, type Git, type HistorySelection } from '../adapters/git.js';
import type { MissingObject } from '../core/types.js';

/** Objects looked for in the one walk: each is an argument of it. The rest are listed, not located. */
const LOCATE_AT_MOST = 100;
/** Commits named per object: enough to find the file, not a history of it. */
const PER_OBJECT = 3;
/** Objects the warning names; the JSON report's `missing` lists them all. */
const SAID = 5;

/**
 * Where the objects a scan could not read are referenced: the commits and paths that name them, so a
 * reader knows which files went unscanned. One walk of the history's trees, reading no blob; when it
 * fails, the objects are still reported, said to be unlocated, and the scan goes on.
 */
export async function locateMissing(
  git: Git,
  sel: HistorySelection,
  oids: readonly string[],
): Promise<{ missing: MissingObject[]; warning: string }> {
  const looked = oids.slice(0, LOCATE_AT_MOST);
  let found: Map<string, { commit: string; path: string }[]> | null = null;
  let failure = '';
  try {
    found = await git.objectReferences(sel, looked, PER_OBJECT);
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    failure = e.message.split('\n')[0]!.slice(0, 300);
  }
  const missing = oids.map((oid) => ({ oid, referencedBy: found?.get(oid) ?? null }));
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
