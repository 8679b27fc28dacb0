import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { TrailFilter } from './core/cloudtrail.js';
import { UsageError } from './core/errors.js';
import {
  invalid,
  named,
  parseAccountIds,
  parseKeyId,
  parseLogin,
  parseRoleTemplate,
  parseWholeNumber,
  type Validator,
} from './core/validate.js';
import { DEFAULT_STATE_FILE } from './core/org/settings.js';

/**
 * Parses a command's flags, and its operands (`FILE…`) when it takes them; node's own complaint is
 * followed by the usage.
 */
function parseCommandLine<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  usage: string,
  takesOperands = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: takesOperands, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage}`);
  }
}

/** Parses a command's flags (it takes no operands). */
function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  usage: string,
) {
  return parseCommandLine(argv, options, usage).values;
}

/** The flags naming the repository, the history to read and the config: scan, rewrite-plan, baseline. */
const SELECTION_FLAGS = {
  repo: { type: 'string' },
  all: { type: 'boolean' },
  range: { type: 'string' },
  config: { type: 'string' },
} as const;

/** A flag's value through a shared validator; the error names the flag, the value and what was expected. */
function flag<T>(name: string, raw: string, validate: Validator<T>): T {
  return named(raw, validate, invalid(`--${name}`));
}

/**
 * Threads that read a full history's packs when not told: one per core. Each rebuilds and searches its
 * own share of the delta chains, so the work divides without being repeated.
 */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export type ScanMode = 'all' | 'range' | 'staged' | 'no-git';
export type ScanFormat = 'text' | 'json' | 'sarif' | 'markdown';

/** Everything `keyleak scan` was asked to do, validated. */
export interface ScanSettings {
  /** Repository (or, with no-git, directory) to scan. */
  repo: string;
  mode: ScanMode;
  /** For mode `range`: the commit the push started from (exclusive) and the one it ended at. */
  range: { from: string; to: string } | null;
  format: ScanFormat;
  /** Where to write the report; null for stdout. */
  output: string | null;
  /** Config file; null means `.github/keyleak.yml` in the repository when it exists. */
  config: string | null;
  /** Parallel object readers for full-history scans. */
  jobs: number;
  /** Whether to draw a progress bar on stderr (only ever when stderr is a terminal). */
  progress: boolean;
  /** Verify findings with STS and respond (`--verify`); without it nothing touches the network. */
  verify: boolean;
  /** Deactivate live keys in managed accounts (`--deactivate`). */
  deactivate: boolean;
  /** Say what containment would do, change nothing (`--dry-run`). */
  dryRun: boolean;
  /** Also end STS sessions minted from a deactivated key (`--revoke-sessions`). */
  revokeSessions: boolean;
  /** Role to assume in a key's account, `{accountId}` standing for it (`--role-template`). */
  roleTemplate: string | null;
  /** Accounts keyleak may change (`--managed-accounts`); null: the responder credentials' own account. */
  managedAccounts: string[] | null;
  /**
   * Exit non-zero when containment or investigation could not be done, findings or not (true unless
   * `--no-fail-on-errors`).
   */
  failOnErrors: boolean;
}

export const SCAN_USAGE = `usage: keyleak scan [--repo DIR] [--all | --range A..B | --staged | --no-git]
                   [--format text|json|sarif|markdown] [--output FILE] [--config FILE]
                   [--jobs N] [--no-progress]
                   [--verify [--deactivate] [--dry-run] [--revoke-sessions]
                             [--role-template ARN] [--managed-accounts ID,ID…]
                             [--no-fail-on-errors]]`;

const FORMATS: readonly ScanFormat[] = ['text', 'json', 'sarif', 'markdown'];

/** Parses `keyleak scan` arguments. Pure: errors are UsageErrors naming the bad value. */
export function parseScanArgs(argv: string[], defaults: { cwd: string; isTTY: boolean }): ScanSettings {
  const values = parseFlags(
    argv,
    {
      ...SELECTION_FLAGS,
      staged: { type: 'boolean' },
      'no-git': { type: 'boolean' },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      jobs: { type: 'string', short: 'j' },
      'no-progress': { type: 'boolean' },
      verify: { type: 'boolean' },
      deactivate: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'revoke-sessions': { type: 'boolean' },
      'role-template': { type: 'string' },
      'managed-accounts': { type: 'string' },
      'no-fail-on-errors': { type: 'boolean' },
    },
    SCAN_USAGE,
  );
  const modes = (['all', 'range', 'staged', 'no-git'] as const).filter((m) => values[m] !== undefined);
  if (modes.length > 1)
    throw new UsageError(
      `choose one of --all, --range, --staged, --no-git (got ${modes.map((m) => `--${m}`).join(', ')})`,
    );
  const mode: ScanMode = modes[0] ?? 'all';

  let range: ScanSettings['range'] = null;
  if (mode === 'range') {
    const m = /^([^.\s]+|[^\s]*[^.\s])\.\.([^.\s][^\s]*)$/.exec(values.range!);
    if (!m || values.range!.includes('...')) {
      throw new UsageError(
        `invalid --range '${values.range}'. Expected A..B (two revisions separated by '..')`,
      );
    }
    range = { from: m[1]!, to: m[2]! };
  }

  const format = (values.format ?? 'text') as ScanFormat;
  if (!FORMATS.includes(format))
    throw new UsageError(`invalid --format '${values.format}'. Expected one of ${FORMATS.join(', ')}`);

  const jobs =
    values.jobs === undefined ? defaultJobs() : flag('jobs', values.jobs, parseWholeNumber(1, 256));
  const response = parseResponseFlags(values);
  return {
    ...response,
    repo: values.repo ?? defaults.cwd,
    mode,
    range,
    format,
    output: values.output ?? null,
    config: values.config ?? null,
    jobs,
    progress: !values['no-progress'] && defaults.isTTY,
  };
}

/** Validates the flags that make a scan verify and respond; each needs `--verify`. */
function parseResponseFlags(values: {
  verify?: boolean;
  deactivate?: boolean;
  'dry-run'?: boolean;
  'revoke-sessions'?: boolean;
  'role-template'?: string;
  'managed-accounts'?: string;
  'no-fail-on-errors'?: boolean;
}): Pick<
  ScanSettings,
  'verify' | 'deactivate' | 'dryRun' | 'revokeSessions' | 'roleTemplate' | 'managedAccounts' | 'failOnErrors'
> {
  const verify = values.verify === true;
  for (const flag of [
    'deactivate',
    'dry-run',
    'revoke-sessions',
    'role-template',
    'managed-accounts',
    'no-fail-on-errors',
  ] as const) {
    if (values[flag] !== undefined && !verify) throw new UsageError(`--${flag} needs --verify`);
  }
  if (values['revoke-sessions'] && !values.deactivate && !values['dry-run']) {
    throw new UsageError('--revoke-sessions needs --deactivate (or --dry-run)');
  }
  return {
    verify,
    deactivate: values.deactivate === true,
    dryRun: values['dry-run'] === true,
    failOnErrors: values['no-fail-on-errors'] !== true,
    revokeSessions: values['revoke-sessions'] === true,
    roleTemplate:
      values['role-template'] === undefined
        ? null
        : flag('role-template', values['role-template'], parseRoleTemplate),
    managedAccounts:
      values['managed-accounts'] === undefined
        ? null
        : flag('managed-accounts', values['managed-accounts'], parseAccountIds),
  };
}

export type TrailFormat = 'text' | 'json' | 'tsv';

/** Everything `keyleak trail` was asked to do, validated. */
export interface TrailSettings {
  /** The access key id whose CloudTrail events are read. */
  keyId: string;
  /** Window start (ISO); null: a day before the first exposure or 90 days back, whichever is later. */
  since: string | null;
  /** Window end (ISO); null: now. */
  until: string | null;
  /** Regions to read besides us-east-1, or every enabled region. */
  regions: string[] | 'all';
  format: TrailFormat;
  /** Where to write the raw events as `aws cloudtrail lookup-events --output json` would; null: nowhere. */
  eventsOut: string | null;
  roleTemplate: string | null;
  /** When the key was first exposed (the introducing commit's date), if known; narrows the default window. */
  firstExposure: string | null;
  /** Also read the events of sessions and access keys the key minted (`--follow`). */
  follow: boolean;
  /** Only events matching every given field (`--ip`, `--event-name`, `--user-agent`); null: all events. */
  filter: TrailFilter | null;
}

export const TRAIL_USAGE = `usage: keyleak trail --key KEYID [--since ISO] [--until ISO] [--regions LIST|all]
                    [--format text|json|tsv] [--events-out FILE] [--role-template ARN]
                    [--follow] [--ip IP]… [--event-name NAME]… [--user-agent TEXT]`;

const TRAIL_FORMATS: readonly TrailFormat[] = ['text', 'json', 'tsv'];

function parseTime(flag: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new UsageError(
      `invalid --${flag} '${value}'. Expected an ISO 8601 date or time, e.g. 2024-05-01T12:00:00Z`,
    );
  }
  return new Date(ms).toISOString();
}

/** Parses `keyleak trail` arguments. Pure: errors are UsageErrors naming the bad value. */
export function parseTrailArgs(argv: string[]): TrailSettings {
  const values = parseFlags(
    argv,
    {
      key: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      regions: { type: 'string' },
      format: { type: 'string' },
      'events-out': { type: 'string' },
      'role-template': { type: 'string' },
      follow: { type: 'boolean' },
      ip: { type: 'string', multiple: true },
      'event-name': { type: 'string', multiple: true },
      'user-agent': { type: 'string' },
    },
    TRAIL_USAGE,
  );
  if (values.key === undefined) throw new UsageError(`--key is required\n${TRAIL_USAGE}`);
  const keyId = flag('key', values.key, parseKeyId);
  const since = parseTime('since', values.since);
  const until = parseTime('until', values.until);
  if (since && until && since > until) throw new UsageError(`--since ${since} is after --until ${until}`);
  let regions: TrailSettings['regions'] = 'all';
  if (values.regions !== undefined && values.regions !== 'all') {
    regions = values.regions.split(/[\s,]+/).filter(Boolean);
    const bad = regions.filter((r) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r));
    if (regions.length === 0 || bad.length > 0) {
      throw new UsageError(
        `invalid --regions '${values.regions}'. Expected 'all' or region names such as us-east-1,eu-west-1`,
      );
    }
  }
  const format = (values.format ?? 'text') as TrailFormat;
  if (!TRAIL_FORMATS.includes(format)) {
    throw new UsageError(`invalid --format '${values.format}'. Expected one of ${TRAIL_FORMATS.join(', ')}`);
  }
  return {
    keyId,
    since,
    until,
    regions,
    format,
    eventsOut: values['events-out'] ?? null,
    roleTemplate:
      values['role-template'] === undefined
        ? null
        : flag('role-template', values['role-template'], parseRoleTemplate),
    firstExposure: null,
    follow: values.follow === true,
    filter: parseTrailFilter(values.ip, values['event-name'], values['user-agent']),
  };
}

function parseTrailFilter(
  ips: string[] | undefined,
  names: string[] | undefined,
  userAgent: string | undefined,
): TrailFilter | null {
  const split = (xs: string[] | undefined) => (xs ?? []).flatMap((x) => x.split(',')).map((x) => x.trim());
  const ip = split(ips);
  const eventName = split(names);
  for (const i of ip) {
    if (!/^[0-9a-fA-F.:]+$|^[a-z0-9.-]+\.amazonaws\.com$/.test(i))
      throw new UsageError(
        `invalid --ip '${i}'. Expected an IP address or an AWS service name such as ec2.amazonaws.com`,
      );
  }
  for (const n of eventName) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(n))
      throw new UsageError(
        `invalid --event-name '${n}'. Expected a CloudTrail event name such as ListBuckets`,
      );
  }
  if (userAgent !== undefined && userAgent.trim() === '')
    throw new UsageError("invalid --user-agent ''. Expected text the user agent contains");
  if (ip.length === 0 && eventName.length === 0 && userAgent === undefined) return null;
  return { ip, eventName, userAgent: userAgent ?? null };
}

export type RewritePlanFormat = 'markdown' | 'sh';

/** Everything `keyleak rewrite-plan` was asked to do, validated. */
export interface RewritePlanSettings {
  /** The repository whose history the plan rewrites. */
  repo: string;
  /** Which history to scan for the keys to remove: all of it, or what a range introduced. */
  mode: 'all' | 'range';
  range: { from: string; to: string } | null;
  /** `markdown` for the incident issue's section, `sh` for a script that performs the rewrite. */
  format: RewritePlanFormat;
  /** Where to write the plan; null for stdout. */
  output: string | null;
  config: string | null;
  jobs: number;
}

export const REWRITE_PLAN_USAGE = `usage: keyleak rewrite-plan [--repo DIR] [--all | --range A..B]
                           [--format markdown|sh] [--output FILE] [--config FILE]`;

/** Parses `keyleak rewrite-plan` arguments. Pure: errors are UsageErrors naming the bad value. */
export function parseRewritePlanArgs(argv: string[], defaults: { cwd: string }): RewritePlanSettings {
  const values = parseFlags(
    argv,
    { ...SELECTION_FLAGS, format: { type: 'string' }, output: { type: 'string', short: 'o' } },
    REWRITE_PLAN_USAGE,
  );
  if (values.all && values.range !== undefined) throw new UsageError('choose one of --all, --range');
  // The range grammar and its errors are the scan's own.
  const scan = parseScanArgs(values.range !== undefined ? ['--range', values.range] : [], {
    cwd: defaults.cwd,
    isTTY: false,
  });
  const format = (values.format ?? 'markdown') as RewritePlanFormat;
  if (format !== 'markdown' && format !== 'sh')
    throw new UsageError(`invalid --format '${values.format}'. Expected one of markdown, sh`);
  return {
    repo: values.repo ?? defaults.cwd,
    mode: scan.mode === 'range' ? 'range' : 'all',
    range: scan.range,
    format,
    output: values.output ?? null,
    config: values.config ?? null,
    jobs: scan.jobs,
  };
}

/** Everything `keyleak baseline` was asked to do, validated. */
export interface BaselineSettings {
  /** The scan whose findings are recorded (whole history by default). */
  scan: ScanSettings;
  /** The config file the fingerprints are written to. */
  configFile: string;
  /** gitleaks reports and `.gitleaksignore` files: when given, only the keys they accepted are recorded. */
  fromGitleaks: string[];
}

export const BASELINE_USAGE = `usage: keyleak baseline [--repo DIR] [--all | --range A..B] [--config FILE] [--jobs N] [--no-progress]
                        [--from-gitleaks FILE]…
       records the fingerprints of every key found today in the config file's baseline list
       (default DIR/.github/keyleak.yml, created if absent; comments and other fields are kept),
       so that only keys leaked from now on are reported; with --from-gitleaks (a gitleaks JSON report
       or .gitleaksignore, repeatable), only the keys of the AWS findings gitleaks had accepted`;

/** Parses `keyleak baseline` arguments. Pure: errors are UsageErrors naming the bad value. */
export function parseBaselineArgs(
  argv: string[],
  defaults: { cwd: string; isTTY: boolean },
): BaselineSettings {
  const values = parseFlags(
    argv,
    {
      ...SELECTION_FLAGS,
      jobs: { type: 'string', short: 'j' },
      'no-progress': { type: 'boolean' },
      'from-gitleaks': { type: 'string', multiple: true },
    },
    BASELINE_USAGE,
  );
  const { 'from-gitleaks': fromGitleaks = [], ...scanFlags } = values;
  // The selection, jobs and progress flags and their errors are the scan's own.
  const forwarded: string[] = [];
  for (const [flag, value] of Object.entries(scanFlags)) {
    if (value === true) forwarded.push(`--${flag}`);
    else if (typeof value === 'string') forwarded.push(`--${flag}`, value);
  }
  const scan = parseScanArgs(forwarded, defaults);
  return {
    scan,
    configFile: scan.config ?? join(scan.repo, '.github', 'keyleak.yml'),
    fromGitleaks,
  };
}

/** What `keyleak hook` scans, decided from how it was called. */
export type HookTarget =
  /** pre-commit's `--from-ref/--to-ref`, or its pre-push stage: what the range brought in. */
  | { kind: 'range'; from: string; to: string }
  /** A plain git pre-push hook: the ranges git writes on stdin. */
  | { kind: 'push-stdin' }
  /** The files pre-commit passes: the staged ones, or every tracked file with `--all-files`. */
  | { kind: 'files'; files: string[] }
  /** A plain git pre-commit hook: what is staged. */
  | { kind: 'staged' };

/** Everything `keyleak hook` was asked to do, validated. */
export interface HookSettings {
  repo: string;
  /** Which git hook runs it, for the advice printed when it blocks. */
  stage: 'commit' | 'push';
  target: HookTarget;
  config: string | null;
}

export const HOOK_USAGE = `usage: keyleak hook [--pre-push] [--config FILE] [FILE…]
       for git hooks and pre-commit: blocks a commit or a push that adds AWS keys.
       Scans PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF when pre-commit sets them (--from-ref/--to-ref, the
       pre-push stage), else the FILEs pre-commit passes (--all-files passes every tracked file), else, in
       a plain git hook, what is staged (pre-commit) or the pushed ranges git writes on stdin (--pre-push)`;

/** Parses `keyleak hook` arguments and pre-commit's environment. Pure. */
export function parseHookArgs(
  argv: string[],
  env: Record<string, string | undefined>,
  defaults: { cwd: string },
): HookSettings {
  const { values, positionals } = parseCommandLine(
    argv,
    { 'pre-push': { type: 'boolean' }, config: { type: 'string' } },
    HOOK_USAGE,
    true,
  );
  const from = env.PRE_COMMIT_FROM_REF;
  const to = env.PRE_COMMIT_TO_REF;
  // pre-commit names the remote only in its pre-push stage.
  const prePush = values['pre-push'] === true || Boolean(env.PRE_COMMIT_REMOTE_NAME);
  let target: HookTarget;
  if (from && to) target = { kind: 'range', from, to };
  else if (positionals.length > 0) target = { kind: 'files', files: positionals };
  else if (values['pre-push']) target = { kind: 'push-stdin' };
  else target = { kind: 'staged' };
  return {
    repo: defaults.cwd,
    stage: prePush || target.kind === 'push-stdin' ? 'push' : 'commit',
    target,
    config: values.config ?? null,
  };
}

const ZERO_OID = /^0+$/;

/**
 * The ranges of a git pre-push hook's stdin (`<local ref> <local sha> <remote ref> <remote sha>` per
 * line) as `remote..local`; a deleted ref (local zero) brings nothing in.
 */
export function parsePrePushLines(text: string): { from: string; to: string }[] {
  const ranges: { from: string; to: string }[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.trim().split(/\s+/);
    const [, local, , remote] = parts;
    if (parts.length !== 4 || !/^[0-9a-f]{40,64}$/.test(local!) || !/^[0-9a-f]{40,64}$/.test(remote!)) {
      throw new UsageError(`unexpected pre-push input line: expected '<local ref> <sha> <remote ref> <sha>'`);
    }
    if (ZERO_OID.test(local!)) continue;
    ranges.push({ from: remote!, to: local! });
  }
  return ranges;
}

/** What `keyleak org-merge` was asked to do. */
export interface OrgMergeSettings {
  owner: string;
  /** Directory holding the shards' results (their artifacts, downloaded). */
  dir: string;
  /** The state the shards started from; the merged state is written back to it. */
  stateFile: string;
}

export const ORG_MERGE_USAGE = `usage: keyleak org-merge --owner NAME --dir DIR [--state FILE]
       merges the org-state.json and org-summary.json files of every shard under DIR into FILE
       (default ${DEFAULT_STATE_FILE}) and prints the merged summary as markdown`;

/** Parses `keyleak org-merge` arguments. Pure: errors are UsageErrors naming the bad value. */
export function parseOrgMergeArgs(argv: string[]): OrgMergeSettings {
  const values = parseFlags(
    argv,
    { owner: { type: 'string' }, dir: { type: 'string' }, state: { type: 'string' } },
    ORG_MERGE_USAGE,
  );
  if (!values.owner) throw new UsageError(`--owner is required\n${ORG_MERGE_USAGE}`);
  const owner = flag('owner', values.owner, parseLogin);
  if (!values.dir) throw new UsageError(`--dir is required\n${ORG_MERGE_USAGE}`);
  return { owner, dir: values.dir, stateFile: values.state ?? DEFAULT_STATE_FILE };
}
