import { UsageError } from '../errors.js';
import { invalid, named, parseBoolean } from '../validate.js';

export type Visibility = 'public' | 'private' | 'internal';

/** A repository as the org listing describes it: what filtering, sharding and cloning need. */
export interface RepoRecord {
  /** `owner/name`. */
  fullName: string;
  /** GitHub's numeric id: stable across renames and transfers, so shards and state are keyed on it. */
  id: number;
  archived: boolean;
  fork: boolean;
  visibility: Visibility;
  topics: string[];
  defaultBranch: string;
  cloneUrl: string;
  sizeKb: number;
  /** When anything was last pushed; null for a repository never pushed to. */
  pushedAt: string | null;
}

/** Which repositories of the owner an org scan covers. */
export interface RepoFilter {
  /** Archived repositories are read-only but their history is as public as ever; off by default. */
  includeArchived: boolean;
  /** Forks mostly repeat their parent's history; off by default. */
  includeForks: boolean;
  /** Visibilities to scan; empty means all. */
  visibility: Visibility[];
  /** Name globs a repository must match (one of); empty means every name. */
  include: string[];
  /** Name globs that exclude a repository; they win over `include`. */
  exclude: string[];
  /** Topics a repository must carry (one of); empty means any. */
  topics: string[];
  /** Topics that exclude a repository. */
  excludeTopics: string[];
}

export const DEFAULT_REPO_FILTER: RepoFilter = {
  includeArchived: false,
  includeForks: false,
  visibility: [],
  include: [],
  exclude: [],
  topics: [],
  excludeTopics: [],
};

export type ExclusionReason =
  | 'archived'
  | 'fork'
  | 'visibility'
  | 'name-not-included'
  | 'name-excluded'
  | 'topic-missing'
  | 'topic-excluded';

export interface Exclusion {
  repo: string;
  reason: ExclusionReason;
  /** The rule that decided, in words for the summary ("matches exclude glob 'sandbox-*'"). */
  detail: string;
}

export interface Selection {
  selected: RepoRecord[];
  excluded: Exclusion[];
}

/**
 * A name glob: `*` any run of characters but `/`, `?` one. A glob without `/` matches the repository
 * name, one with `/` the full `owner/name`. GitHub names are case-insensitive, and so is the match.
 */
export function repoGlobMatch(glob: string, fullName: string): boolean {
  let re = '';
  for (const c of glob.toLowerCase()) {
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const name = fullName.toLowerCase();
  const subject = glob.includes('/') ? name : name.slice(name.indexOf('/') + 1);
  return new RegExp(`^${re}$`).test(subject);
}

function exclusion(r: RepoRecord, f: RepoFilter): Exclusion | null {
  const out = (reason: ExclusionReason, detail: string): Exclusion => ({ repo: r.fullName, reason, detail });
  if (r.archived && !f.includeArchived) return out('archived', 'archived (set include-archived to scan it)');
  if (r.fork && !f.includeForks) return out('fork', 'a fork (set include-forks to scan it)');
  if (f.visibility.length > 0 && !f.visibility.includes(r.visibility))
    return out('visibility', `${r.visibility}, not one of ${f.visibility.join(', ')}`);
  const excludedBy = f.exclude.find((g) => repoGlobMatch(g, r.fullName));
  if (excludedBy !== undefined) return out('name-excluded', `matches exclude glob '${excludedBy}'`);
  if (f.include.length > 0 && !f.include.some((g) => repoGlobMatch(g, r.fullName)))
    return out('name-not-included', `matches none of ${f.include.map((g) => `'${g}'`).join(', ')}`);
  const topics = new Set(r.topics.map((t) => t.toLowerCase()));
  const badTopic = f.excludeTopics.find((t) => topics.has(t.toLowerCase()));
  if (badTopic !== undefined) return out('topic-excluded', `has topic '${badTopic}'`);
  if (f.topics.length > 0 && !f.topics.some((t) => topics.has(t.toLowerCase())))
    return out('topic-missing', `has none of the topics ${f.topics.join(', ')}`);
  return null;
}

/** Splits the listed repositories into those to scan and those left out, each with its reason. */
export function selectRepositories(repos: Iterable<RepoRecord>, filter: RepoFilter): Selection {
  const selected: RepoRecord[] = [];
  const excluded: Exclusion[] = [];
  for (const r of repos) {
    const why = exclusion(r, filter);
    if (why) excluded.push(why);
    else selected.push(r);
  }
  return { selected, excluded };
}

/** Raw filter inputs as the action or CLI receives them: comma- or newline-separated lists. */
export interface RawRepoFilter {
  includeArchived?: string;
  includeForks?: string;
  visibility?: string;
  include?: string;
  exclude?: string;
  topics?: string;
  excludeTopics?: string;
}

const VISIBILITIES: readonly Visibility[] = ['public', 'private', 'internal'];

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function bool(name: string, text: string | undefined): boolean {
  return named(text ?? '', parseBoolean(false), invalid(name));
}

/** Validates filter inputs into a RepoFilter; errors name the input and the bad value. */
export function parseRepoFilter(raw: RawRepoFilter): RepoFilter {
  const visibility = list(raw.visibility).map((v) => v.toLowerCase());
  const bad = visibility.find((v) => !VISIBILITIES.includes(v as Visibility));
  if (bad !== undefined)
    throw new UsageError(`invalid visibility '${bad}'. Expected one of ${VISIBILITIES.join(', ')}`);
  return {
    includeArchived: bool('include-archived', raw.includeArchived),
    includeForks: bool('include-forks', raw.includeForks),
    visibility: visibility as Visibility[],
    include: list(raw.include),
    exclude: list(raw.exclude),
    topics: list(raw.topics),
    excludeTopics: list(raw.excludeTopics),
  };
}
