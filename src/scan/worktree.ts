import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Git } from '../adapters/git.js';
import { markersToNote, type KeyleakConfig } from '../core/config.js';
import { LineAnalyzer } from '../core/detect.js';
import { UsageError } from '../core/errors.js';
import type { ScanUnit } from '../core/findings.js';
import { analyseObjects } from './passes.js';
import { scanResult, type ScanResult } from './result.js';

/** Scans what is staged for the next commit: the pre-commit hook's view. */
export async function scanStaged(git: Git, config: KeyleakConfig): Promise<ScanResult> {
  const started = Date.now();
  const changes = await git.stagedChanges();
  const { analyses, missing } = await analyseObjects(
    git,
    changes.map((c) => c.oid),
    { markers: markersToNote(config) },
  );
  const units: ScanUnit[] = changes
    .filter((c) => analyses.has(c.oid))
    .map((c) => ({ commit: null, path: c.path, analysis: analyses.get(c.oid)! }));
  return scanResult(
    units,
    config,
    {
      mode: 'staged',
      objectsScanned: analyses.size,
      bytesScanned: 0,
      commitsScanned: 0,
      durationMs: Date.now() - started,
    },
    missing.length > 0 ? [`${missing.length} staged object(s) could not be read`] : [],
  );
}

/** Reads one file through the detector; null (with a warning) when it could not be read. */
async function analyseFile(
  full: string,
  path: string,
  warnings: string[],
  config: KeyleakConfig,
): Promise<{ bytes: number; unit: ScanUnit | null } | null> {
  const analyzer = new LineAnalyzer(false, markersToNote(config));
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(full)) {
      const b = chunk as Buffer;
      bytes += b.length;
      analyzer.push(b.toString('latin1'));
    }
  } catch (err) {
    warnings.push(`could not read ${path}: ${(err as Error).message}`);
    return null;
  }
  const analysis = analyzer.end();
  const found = analysis.keyIds.length > 0 || analysis.secrets.length > 0;
  return { bytes, unit: found ? { commit: null, path, analysis } : null };
}

/**
 * Scans the named files of a work tree as they are on disk: what pre-commit hands a hook (the staged
 * files, or every tracked file with `--all-files`). Files that no longer exist (a deletion being
 * committed) have nothing to leak and are skipped.
 */
export async function scanFiles(
  dir: string,
  paths: readonly string[],
  config: KeyleakConfig,
): Promise<ScanResult> {
  const started = Date.now();
  const units: ScanUnit[] = [];
  const warnings: string[] = [];
  let files = 0;
  let bytes = 0;
  for (const path of [...new Set(paths)]) {
    const full = join(dir, path);
    const st = await lstat(full).catch(() => null);
    if (!st?.isFile()) continue;
    const a = await analyseFile(full, path.split(sep).join('/'), warnings, config);
    if (a === null) continue;
    files++;
    bytes += a.bytes;
    if (a.unit) units.push(a.unit);
  }
  return directoryResult(units, config, { files, bytes, started, warnings });
}

/** The result of reading files from disk: a file that could not be read makes the scan incomplete. */
function directoryResult(
  units: ScanUnit[],
  config: KeyleakConfig,
  read: { files: number; bytes: number; started: number; warnings: string[] },
): ScanResult {
  return scanResult(
    units,
    config,
    {
      mode: 'no-git',
      objectsScanned: read.files,
      bytesScanned: read.bytes,
      commitsScanned: 0,
      durationMs: Date.now() - read.started,
    },
    read.warnings,
  );
}

/** Scans a plain directory (no git): every regular file, streamed so size does not matter. */
export async function scanDirectory(dir: string, config: KeyleakConfig): Promise<ScanResult> {
  const started = Date.now();
  const st = await lstat(dir).catch(() => null);
  if (!st || !st.isDirectory()) throw new UsageError(`'${dir}' is not a directory`);
  const units: ScanUnit[] = [];
  const warnings: string[] = [];
  let files = 0;
  let bytes = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      warnings.push(`could not read directory ${relative(dir, d) || '.'}: ${(e as Error).message}`);
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git') await walk(full);
      } else if (e.isFile()) {
        const rel = relative(dir, full).split(sep).join('/');
        const a = await analyseFile(full, rel, warnings, config);
        if (a === null) continue;
        files++;
        bytes += a.bytes;
        if (a.unit) units.push(a.unit);
      }
    }
  };
  await walk(dir);
  return directoryResult(units, config, { files, bytes, started, warnings });
}
