import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Git } from '../adapters/git.js';
import { markersToNote, type KeyleakConfig } from '../core/config.js';
import { LineAnalyzer } from '../core/detect.js';
import { UsageError } from '../core/errors.js';
import { buildFindings, type ScanUnit } from '../core/findings.js';
import { analyseObjects } from './passes.js';
import type { ScanResult } from './result.js';

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
  const built = buildFindings(units, config);
  return {
    report: {
      findings: built.findings,
      suppressed: built.suppressed,
      stats: {
        mode: 'staged',
        objectsScanned: analyses.size,
        bytesScanned: 0,
        commitsScanned: 0,
        durationMs: Date.now() - started,
      },
      incomplete: missing.length > 0,
      warnings: missing.length > 0 ? [`${missing.length} staged object(s) could not be read`] : [],
    },
    secrets: built.secrets,
  };
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
        const analyzer = new LineAnalyzer(false, markersToNote(config));
        try {
          for await (const chunk of createReadStream(full)) {
            const b = chunk as Buffer;
            bytes += b.length;
            analyzer.push(b.toString('latin1'));
          }
        } catch (err) {
          warnings.push(`could not read ${relative(dir, full)}: ${(err as Error).message}`);
          continue;
        }
        files++;
        const analysis = analyzer.end();
        if (analysis.keyIds.length > 0 || analysis.secrets.length > 0) {
          units.push({ commit: null, path: relative(dir, full).split(sep).join('/'), analysis });
        }
      }
    }
  };
  await walk(dir);
  const built = buildFindings(units, config);
  return {
    report: {
      findings: built.findings,
      suppressed: built.suppressed,
      stats: {
        mode: 'no-git',
        objectsScanned: files,
        bytesScanned: bytes,
        commitsScanned: 0,
        durationMs: Date.now() - started,
      },
      incomplete: warnings.length > 0,
      warnings,
    },
    secrets: built.secrets,
  };
}
