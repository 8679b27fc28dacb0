import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError } from './core/errors.js';

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
}

export const SCAN_USAGE = `usage: keyleak scan [--repo DIR] [--all | --range A..B | --staged | --no-git]
                   [--format text|json|sarif|markdown] [--output FILE] [--config FILE]
                   [--jobs N] [--no-progress]`;

const FORMATS: readonly ScanFormat[] = ['text', 'json', 'sarif', 'markdown'];

/** Parses `keyleak scan` arguments. Pure: errors are UsageErrors naming the bad value. */
export function parseScanArgs(argv: string[], defaults: { cwd: string; isTTY: boolean }): ScanSettings {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        repo: { type: 'string' },
        all: { type: 'boolean' },
        range: { type: 'string' },
        staged: { type: 'boolean' },
        'no-git': { type: 'boolean' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        config: { type: 'string' },
        jobs: { type: 'string', short: 'j' },
        'no-progress': { type: 'boolean' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${SCAN_USAGE}`);
  }
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

  let jobs = availableParallelism();
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
      throw new UsageError(`invalid --jobs '${values.jobs}'. Expected a whole number from 1 to 256`);
    }
  }
  return {
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
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        repo: { type: 'string' },
        all: { type: 'boolean' },
        range: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        config: { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${REWRITE_PLAN_USAGE}`);
  }
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
