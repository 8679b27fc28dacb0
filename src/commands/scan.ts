import { constants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Git } from '../adapters/git.js';
import { DEFAULT_CONFIG_PATH, EMPTY_CONFIG, parseConfig, type KeyleakConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { renderJson } from '../core/render/json.js';
import { renderMarkdown } from '../core/render/markdown.js';
import { renderSarif } from '../core/render/sarif.js';
import { renderText } from '../core/render/text.js';
import type { ScanReport } from '../core/types.js';
import { scanHistory, type HistorySelection } from '../scan/history.js';
import type { Progress } from '../scan/passes.js';
import type { ScanResult } from '../scan/result.js';
import { scanDirectory, scanStaged } from '../scan/worktree.js';
import type { ScanFormat, ScanSettings } from '../settings.js';

const ZERO_ID = /^0{40}$|^0{64}$/;

/**
 * Loads the config: an explicit file must exist; the default is read from the work tree, or from HEAD
 * in a bare clone, and may be absent.
 */
export async function loadConfig(
  path: string | null,
  repoDir: string,
  git: Git | null,
): Promise<KeyleakConfig> {
  if (path !== null) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read config file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    return parseConfig(text, path);
  }
  const local = join(repoDir, DEFAULT_CONFIG_PATH);
  const text = await readFile(local, 'utf8').catch(async () => {
    if (!git) return null;
    return git.readFileAt('HEAD', DEFAULT_CONFIG_PATH).catch(() => null);
  });
  return text === null ? EMPTY_CONFIG : parseConfig(text, DEFAULT_CONFIG_PATH);
}

/**
 * Fails before any work when `--repo` names nothing scannable, saying what is wrong with the path (git
 * started in a missing directory reports only "spawn git ENOENT", which reads as if git were missing).
 */
export async function checkRepoDir(dir: string): Promise<void> {
  const st = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(
      e.code === 'ENOENT'
        ? `--repo '${dir}' does not exist`
        : `cannot read --repo '${dir}': ${e.code ?? e.message}`,
    );
  });
  if (!st.isDirectory()) throw new UsageError(`--repo '${dir}' is not a directory`);
}

/**
 * Fails before any work when a report could not be written where asked: a long scan should not end in
 * "cannot write". Checks the directory exists and is writable, and that the file is not a directory.
 */
export async function checkOutput(output: string | null, flag = '--output'): Promise<void> {
  if (output === null) return;
  const dir = dirname(resolve(output));
  const why = (reason: string) =>
    new UsageError(`cannot write ${flag} '${output}': ${reason}; nothing was scanned`);
  const d = await stat(dir).catch(() => null);
  if (d === null) throw why(`directory '${dir}' does not exist`);
  if (!d.isDirectory()) throw why(`'${dir}' is not a directory`);
  if ((await stat(output).catch(() => null))?.isDirectory()) throw why('it is a directory');
  await access(dir, constants.W_OK).catch(() => {
    throw why(`directory '${dir}' is not writable`);
  });
}

/**
 * What a set of ranges `from..to` brought in: everything reachable from the `to`s and from none of the
 * `from`s. The zero id is what git hooks pass for "the remote has no such ref yet" (pre-push on a new
 * branch): then everything the remotes do not have yet is new; with no remotes, all of it.
 */
export async function rangeSelection(
  git: Git,
  ranges: readonly { from: string; to: string }[],
): Promise<HistorySelection> {
  const include: string[] = [];
  const exclude = new Set<string>();
  for (const r of ranges) {
    include.push(await git.resolveCommit(r.to));
    if (!ZERO_ID.test(r.from)) exclude.add(await git.resolveCommit(r.from));
    else {
      for (const ref of await git.refs()) if (ref.ref.startsWith('refs/remotes/')) exclude.add(ref.sha);
    }
  }
  return { mode: 'range', include, exclude: [...exclude] };
}

/** What to scan: the part of `keyleak scan`'s settings a scan needs, and all other callers give. */
export type ScanTarget = Pick<ScanSettings, 'repo' | 'mode' | 'range' | 'config' | 'jobs'>;

/** Scans a repository (or, with no-git, a directory) as `target` describes. */
export async function scanRepository(s: ScanTarget, onProgress?: (p: Progress) => void): Promise<ScanResult> {
  await checkRepoDir(s.repo);
  if (s.mode === 'no-git') {
    return scanDirectory(s.repo, await loadConfig(s.config, s.repo, null));
  }
  const git = await Git.open(s.repo);
  const config = await loadConfig(s.config, s.repo, git);
  if (s.mode === 'staged') return scanStaged(git, config);
  if (s.mode === 'range') {
    return scanHistory(git, await rangeSelection(git, [s.range!]), { config, jobs: s.jobs, onProgress });
  }
  return scanHistory(git, { mode: 'all', remotes: false }, { config, jobs: s.jobs, onProgress });
}

export function render(report: ScanReport, format: ScanFormat): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report);
    case 'markdown':
      return renderMarkdown(report);
    default:
      return renderText(report);
  }
}

/**
 * 0: nothing found; 1: keys or lone secrets found; 2: the scan was incomplete; 4: containment or investigation that was
 * asked for could not be done (unless `--no-fail-on-errors`), whatever else was found.
 */
export function exitCodeFor(report: ScanReport, opts: { failOnErrors?: boolean } = {}): number {
  if (opts.failOnErrors !== false && report.findings.some((f) => (f.response?.errors ?? []).length > 0))
    return 4;
  if (report.findings.length > 0 || (report.loneSecrets ?? []).length > 0) return 1;
  return report.incomplete ? 2 : 0;
}

export async function writeReport(text: string, output: string | null): Promise<void> {
  if (output === null) process.stdout.write(text);
  else {
    try {
      await writeFile(output, text);
    } catch (e) {
      throw new UsageError(
        `cannot write --output '${output}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
}
