import type { HistorySelection } from '../../scan/history.js';
import type { RepoRecord } from './select.js';

/**
 * The incremental state of an org scan, restored before a run and saved after it. Versioned JSON, keyed
 * on repository ids (names change, ids do not).
 */
export const STATE_VERSION = 1;

export interface RepoScanState {
  fullName: string;
  /** Object names of every branch and tag tip the last scan covered, sorted and unique. */
  tips: string[];
  /** Fingerprints of the keys already handed to the incident pipeline for this repository. */
  fingerprints: string[];
  lastScannedAt: string;
  /** The listing's `pushedAt` when the tips were last read; null when the listing had none. */
  pushedAt: string | null;
  /** When the tips were last read from the remote (a scan, or a check that found them unchanged). */
  tipsCheckedAt: string;
}

/** A repository a run selected but did not reach before its budget ran out. */
export interface PendingRepo {
  id: number;
  fullName: string;
  /** The run that left it over; a later scan of the repository clears it. */
  since: string;
}

export interface OrgState {
  version: typeof STATE_VERSION;
  owner: string;
  updatedAt: string | null;
  repositories: Record<string, RepoScanState>;
  pending: PendingRepo[];
}

export function emptyState(owner: string): OrgState {
  return { version: STATE_VERSION, owner, updatedAt: null, repositories: {}, pending: [] };
}

export interface ParsedState {
  state: OrgState;
  /** Why the file was not used, when it was not; the run then scans everything in full. */
  warning: string | null;
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function problem(data: unknown, owner: string): string | null {
  if (!isObject(data)) return 'it is not a JSON object';
  if (data.version !== STATE_VERSION)
    return `its version is ${JSON.stringify(data.version)}, this keyleak reads version ${STATE_VERSION}`;
  if (typeof data.owner !== 'string') return "'owner' is missing";
  if (data.owner.toLowerCase() !== owner.toLowerCase())
    return `it belongs to '${data.owner}', not '${owner}'`;
  if (data.updatedAt !== null && typeof data.updatedAt !== 'string') return "'updatedAt' is not a string";
  if (!isObject(data.repositories)) return "'repositories' is not an object";
  for (const [id, r] of Object.entries(data.repositories)) {
    if (!/^\d+$/.test(id)) return `repository key '${id}' is not a repository id`;
    if (
      !isObject(r) ||
      typeof r.fullName !== 'string' ||
      !isStringArray(r.tips) ||
      !r.tips.every((t) => /^[0-9a-f]{40,64}$/.test(t)) ||
      !isStringArray(r.fingerprints) ||
      typeof r.lastScannedAt !== 'string' ||
      Number.isNaN(Date.parse(r.lastScannedAt)) ||
      (r.pushedAt !== null && typeof r.pushedAt !== 'string') ||
      typeof r.tipsCheckedAt !== 'string' ||
      Number.isNaN(Date.parse(r.tipsCheckedAt))
    )
      return `the entry of repository ${id} is malformed`;
  }
  if (
    !Array.isArray(data.pending) ||
    !data.pending.every(
      (p) =>
        isObject(p) &&
        typeof p.id === 'number' &&
        typeof p.fullName === 'string' &&
        typeof p.since === 'string',
    )
  )
    return "'pending' is not a list of repositories";
  return null;
}

/**
 * Reads a state file's text. A file that cannot be trusted is never an error and never a reason to skip
 * anything: the run warns, names the problem and scans every repository in full.
 */
export function parseState(text: string | null, source: string, owner: string): ParsedState {
  if (text === null) return { state: emptyState(owner), warning: null };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return {
      state: emptyState(owner),
      warning: `state file '${source}' is not valid JSON (${(e as Error).message}); scanning every repository in full`,
    };
  }
  const why = problem(data, owner);
  if (why !== null) {
    return {
      state: emptyState(owner),
      warning: `state file '${source}' was not used: ${why}; scanning every repository in full`,
    };
  }
  return { state: data as OrgState, warning: null };
}

/** Stable JSON: repositories in id order, so saved states diff cleanly. */
export function serializeState(state: OrgState): string {
  const repositories: Record<string, RepoScanState> = {};
  for (const id of Object.keys(state.repositories).sort((a, b) => Number(a) - Number(b)))
    repositories[id] = state.repositories[id]!;
  const pending = [...state.pending].sort((a, b) => a.id - b.id);
  return JSON.stringify({ ...state, repositories, pending }, null, 2) + '\n';
}

/** What a run does with one repository. */
export type ScanDecision =
  | { kind: 'unchanged' }
  | { kind: 'empty' }
  | { kind: 'new' }
  | { kind: 'full-rescan' }
  /** Scan what the current tips reach and the recorded ones do not. */
  | { kind: 'changed'; include: string[]; exclude: string[] };

/**
 * How long a repository's unchanged `pushedAt` is trusted before its tips are read again anyway. GitHub
 * moves `pushedAt` on every push to a branch or tag, so an unmoved one means nothing to scan and costs
 * no request at all; the weekly check bounds the cost of ever being wrong about that.
 */
export const TIP_CHECK_INTERVAL_MS = 7 * 24 * 3600 * 1000;

/** True when the listing alone shows the repository unchanged since its tips were last read. */
export function unchangedByListing(
  prior: RepoScanState | undefined,
  repo: Pick<RepoRecord, 'pushedAt'>,
  now: number,
  interval = TIP_CHECK_INTERVAL_MS,
): boolean {
  return (
    prior !== undefined &&
    prior.pushedAt !== null &&
    repo.pushedAt === prior.pushedAt &&
    now - Date.parse(prior.tipsCheckedAt) < interval
  );
}

const uniqueSorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** Decides from the recorded tips and the ones the remote has now. */
export function decideScan(
  prior: RepoScanState | undefined,
  currentTips: readonly string[],
  fullRescan: boolean,
): ScanDecision {
  const tips = uniqueSorted(currentTips);
  if (tips.length === 0) return { kind: 'empty' };
  if (fullRescan) return { kind: 'full-rescan' };
  if (!prior) return { kind: 'new' };
  const old = uniqueSorted(prior.tips);
  if (old.length === tips.length && old.every((t, i) => t === tips[i])) return { kind: 'unchanged' };
  return { kind: 'changed', include: tips, exclude: old };
}

const WHOLE_HISTORY: HistorySelection = { mode: 'all', remotes: false };

/**
 * The history to scan for a decision, once the clone tells which recorded tips still exist (a force
 * push or a deleted branch can take them away). With none left, the whole history is new.
 */
export function historySelection(d: ScanDecision, existing: ReadonlySet<string>): HistorySelection {
  if (d.kind !== 'changed') return WHOLE_HISTORY;
  const exclude = d.exclude.filter((t) => existing.has(t));
  if (exclude.length === 0) return WHOLE_HISTORY;
  return { mode: 'range', include: d.include, exclude };
}

/** Records a finished scan of `repo`; a range scan adds to the fingerprints, a full one replaces them. */
export function recordScan(
  state: OrgState,
  repo: Pick<RepoRecord, 'id' | 'fullName' | 'pushedAt'>,
  scan: { tips: readonly string[]; fingerprints: readonly string[]; mode: 'all' | 'range'; at: string },
): void {
  const prior = state.repositories[String(repo.id)];
  const fingerprints =
    scan.mode === 'range' && prior ? [...prior.fingerprints, ...scan.fingerprints] : scan.fingerprints;
  state.repositories[String(repo.id)] = {
    fullName: repo.fullName,
    tips: uniqueSorted(scan.tips),
    fingerprints: uniqueSorted(fingerprints),
    lastScannedAt: scan.at,
    pushedAt: repo.pushedAt,
    tipsCheckedAt: scan.at,
  };
  state.pending = state.pending.filter((p) => p.id !== repo.id);
}

/** Records that a repository's tips were read and found unchanged, renewing trust in its `pushedAt`. */
export function recordUnchanged(
  state: OrgState,
  repo: Pick<RepoRecord, 'id' | 'fullName' | 'pushedAt'>,
  at: string,
): void {
  const prior = state.repositories[String(repo.id)];
  if (!prior) return;
  state.repositories[String(repo.id)] = {
    ...prior,
    fullName: repo.fullName,
    pushedAt: repo.pushedAt,
    tipsCheckedAt: at,
  };
  state.pending = state.pending.filter((p) => p.id !== repo.id);
}

/** Records repositories a run's budget left over, for the next run to take first. */
export function recordPending(
  state: OrgState,
  repos: readonly Pick<RepoRecord, 'id' | 'fullName'>[],
  at: string,
): void {
  const ids = new Set(repos.map((r) => r.id));
  state.pending = [
    ...state.pending.filter((p) => !ids.has(p.id)),
    ...repos.map((r) => ({ id: r.id, fullName: r.fullName, since: at })),
  ];
}

/** Drops repositories the owner no longer has (deleted, transferred away). */
export function pruneState(state: OrgState, listedIds: ReadonlySet<number>): void {
  for (const id of Object.keys(state.repositories))
    if (!listedIds.has(Number(id))) delete state.repositories[id];
  state.pending = state.pending.filter((p) => listedIds.has(p.id));
}

/**
 * The order to take repositories in: those a budget left over first (oldest first), then those never
 * scanned, then those least recently checked. Runs cut short by a budget thus still cover everything in turn.
 */
export function scanOrder<R extends Pick<RepoRecord, 'id' | 'fullName'>>(
  repos: readonly R[],
  state: OrgState,
): R[] {
  const pendingSince = new Map(state.pending.map((p) => [p.id, p.since]));
  const rank = (r: R): [number, string] => {
    const p = pendingSince.get(r.id);
    if (p !== undefined) return [0, p];
    const s = state.repositories[String(r.id)];
    return s ? [2, s.tipsCheckedAt] : [1, ''];
  };
  return repos
    .map((r) => ({ r, k: rank(r) }))
    .sort(
      (a, b) =>
        a.k[0] - b.k[0] ||
        Date.parse(a.k[1] || '1970-01-01') - Date.parse(b.k[1] || '1970-01-01') ||
        a.r.fullName.localeCompare(b.r.fullName),
    )
    .map((x) => x.r);
}

/**
 * Merges the states the shards of one run saved. Each shard starts from the same state and updates its
 * own repositories, so per repository the most recent scan wins; a repository stays pending only if no
 * shard scanned it after it was left over.
 */
export function mergeStates(states: readonly OrgState[], owner: string): OrgState {
  const merged = emptyState(owner);
  for (const s of states) {
    if (s.updatedAt && (!merged.updatedAt || Date.parse(s.updatedAt) > Date.parse(merged.updatedAt)))
      merged.updatedAt = s.updatedAt;
    for (const [id, r] of Object.entries(s.repositories)) {
      const cur = merged.repositories[id];
      if (!cur || Date.parse(r.tipsCheckedAt) > Date.parse(cur.tipsCheckedAt)) merged.repositories[id] = r;
    }
  }
  const pending = new Map<number, PendingRepo>();
  for (const s of states)
    for (const p of s.pending) {
      const cur = pending.get(p.id);
      if (!cur || Date.parse(p.since) > Date.parse(cur.since)) pending.set(p.id, p);
    }
  merged.pending = [...pending.values()].filter((p) => {
    const r = merged.repositories[String(p.id)];
    return !r || Date.parse(r.tipsCheckedAt) < Date.parse(p.since);
  });
  return merged;
}
