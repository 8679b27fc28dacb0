import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Git } from '../adapters/git.js';
import { EMPTY_CONFIG, parseConfig, type KeyleakConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { renderJson } from '../core/render/json.js';
import { renderMarkdown } from '../core/render/markdown.js';
import { renderSarif } from '../core/render/sarif.js';
import { renderText } from '../core/render/text.js';
import type { ScanReport } from '../core/types.js';
import { scanHistory } from '../scan/history.js';
import type { Progress } from '../scan/passes.js';
import type { ScanResult } from '../scan/result.js';
import { scanDirectory, scanStaged } from '../scan/worktree.js';
import type { ScanFormat, ScanSettings } from '../settings.js';

export const DEFAULT_CONFIG_PATH = '.github/keyleak.yml';

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
    return git.run(['show', `HEAD:${DEFAULT_CONFIG_PATH}`]).catch(() => null);
  });
  return text === null ? EMPTY_CONFIG : parseConfig(text, DEFAULT_CONFIG_PATH);
}

/** What to scan: the part of `keyleak scan`'s settings a scan needs, and all other callers give. */
export type ScanTarget = Pick<ScanSettings, 'repo' | 'mode' | 'range' | 'config' | 'jobs'>;

/** Scans a repository (or, with no-git, a directory) as `target` describes. */
export async function scanRepository(s: ScanTarget, onProgress?: (p: Progress) => void): Promise<ScanResult> {
  if (s.mode === 'no-git') {
    return scanDirectory(s.repo, await loadConfig(s.config, s.repo, null));
  }
  const git = await Git.open(s.repo);
  const config = await loadConfig(s.config, s.repo, git);
  if (s.mode === 'staged') return scanStaged(git, config);
  if (s.mode === 'range') {
    const from = await git.resolveCommit(s.range!.from);
    const to = await git.resolveCommit(s.range!.to);
    return scanHistory(
      git,
      { mode: 'range', include: [to], exclude: [from] },
      { config, jobs: s.jobs, onProgress },
    );
  }
  const head = await git.run(['rev-parse', '--verify', '--quiet', 'HEAD']).then(
    () => ['HEAD'],
    () => [],
  );
  return scanHistory(
    git,
    { mode: 'all', include: ['--branches', '--tags', ...head], exclude: [] },
    { config, jobs: s.jobs, onProgress },
  );
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

/** Exit status of a scan: 1 when keys were found, 2 when nothing was found but the scan was incomplete. */
/**
 * 0: nothing found; 1: keys found; 2: the scan was incomplete; 4: containment or investigation that was
 * asked for could not be done (unless `--no-fail-on-errors`), whatever else was found.
 */
export function exitCodeFor(report: ScanReport, opts: { failOnErrors?: boolean } = {}): number {
  if (opts.failOnErrors !== false && report.findings.some((f) => (f.response?.errors ?? []).length > 0))
    return 4;
  if (report.findings.length > 0) return 1;
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
