import { UsageError } from '../errors.js';
import { invalid, named, parseBoolean, parseLogin, parseWholeNumber, type Validator } from '../validate.js';
import { parseRepoFilter, type RawRepoFilter, type RepoFilter } from './select.js';
import { parseShard, type Shard } from './shard.js';

/** Everything an org scan was asked to do, validated. */
export interface OrgScanSettings {
  /** The organisation or user whose repositories are scanned. */
  owner: string;
  /** The share of the repositories this run takes (1/1: all of them). */
  shard: Shard;
  filter: RepoFilter;
  /** Ignore the state and scan every selected repository's whole history. */
  fullRescan: boolean;
  /** Run budget: no repository is started after it; null for none. */
  maxDurationMs: number | null;
  /** Repositories cloned and scanned at once. */
  concurrency: number;
  /** Parallel object readers within one repository's scan. */
  jobs: number;
  /** Token for cloning (an App installation token or a PAT); null for public repositories only. */
  token: string | null;
  /** Where the incremental state is read from and written back to. */
  stateFile: string;
  /** A config file applied to every repository; null means each repository's own `.github/keyleak.yml`. */
  config: string | null;
  /** Where clones are made (each removed once scanned). */
  workDir: string;
}

export interface RawOrgInputs extends RawRepoFilter {
  org?: string;
  shard?: string;
  fullRescan?: string;
  maxDuration?: string;
  concurrency?: string;
  stateFile?: string;
  config?: string;
  token?: string;
}

export const DEFAULT_STATE_FILE = '.keyleak/org-state.json';
export const DEFAULT_CONCURRENCY = 4;

/** Parses `30m`, `1h30m`, `90s`, `2h` (or a bare number of minutes) into milliseconds; empty is null. */
export function parseDuration(text: string, name = 'max-duration'): number | null {
  const t = text.trim().toLowerCase();
  if (t === '' || t === '0') return null;
  const bare = /^\d+$/.test(t) ? `${t}m` : t;
  const m = /^(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$/.exec(bare);
  if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
    throw new UsageError(`invalid ${name} '${text}'. Expected a duration like 30m, 1h30m or 90s`);
  }
  return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** An org input through a shared validator; the error names the input, the value and what was expected. */
function orgInput<T>(name: string, raw: string, validate: Validator<T>): T {
  return named(raw, validate, invalid(name));
}

/** Validates org-scan inputs; each error names the input, the bad value and what was expected. */
export function parseOrgSettings(
  raw: RawOrgInputs,
  defaults: { workDir: string; cpus: number },
): OrgScanSettings {
  const org = (raw.org ?? '').trim();
  if (org === '') throw new UsageError('org mode needs `org`: the organisation or user to scan');
  const owner = orgInput('org', org, parseLogin);
  const concurrency =
    raw.concurrency === undefined || raw.concurrency.trim() === ''
      ? DEFAULT_CONCURRENCY
      : orgInput('concurrency', raw.concurrency, parseWholeNumber(1, 64));
  return {
    owner,
    shard: parseShard(raw.shard ?? ''),
    filter: parseRepoFilter(raw),
    fullRescan: orgInput('full-rescan', raw.fullRescan ?? '', parseBoolean(false)),
    maxDurationMs: parseDuration(raw.maxDuration ?? ''),
    concurrency,
    jobs: Math.max(1, Math.floor(defaults.cpus / concurrency)),
    token: raw.token?.trim() || null,
    stateFile: raw.stateFile?.trim() || DEFAULT_STATE_FILE,
    config: raw.config?.trim() || null,
    workDir: defaults.workDir,
  };
}
