import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { addToBaseline } from '../core/baseline.js';
import { UsageError } from '../core/errors.js';
import { matchGitleaks, parseGitleaksFile, type GitleaksEntry } from '../core/gitleaks.js';
import type { Finding, LoneSecret, ScanReport } from '../core/types.js';
import type { Progress } from '../scan/passes.js';
import type { BaselineSettings } from '../settings.js';
import { scanRepository } from './scan.js';

export interface BaselineResult {
  report: ScanReport;
  /** The findings and the secrets found without a key id whose fingerprints were added. */
  added: (Finding | LoneSecret)[];
  /** The config file written (or left as it was when nothing was added). */
  file: string;
  /** `--from-gitleaks` entries that name nothing the scan found: not recorded, said. */
  unmatched: GitleaksEntry[];
}

/** Words beside a fingerprint in the config, made only from what keyleak itself decided. */
function noteFor(f: Finding | LoneSecret, today: string): string {
  const n = f.locations.length;
  const what = 'keyId' in f ? `${f.keyKind} key` : 'secret without a key id';
  return `${what}, ${n} location${n === 1 ? '' : 's'}, baselined ${today}`;
}

/** "2 keys and 1 secret without a key id", for what a baseline recorded or already held. */
export function countWords(keys: number, secrets: number): string {
  const parts = [
    keys > 0 || secrets === 0 ? `${keys} key${keys === 1 ? '' : 's'}` : '',
    secrets > 0 ? `${secrets} secret${secrets === 1 ? '' : 's'} without a key id` : '',
  ];
  return parts.filter(Boolean).join(' and ');
}

/**
 * `keyleak baseline`: scans as `keyleak scan` would and records the fingerprint of every finding and of
 * every secret found without its key id in the
 * config's `baseline:` list, so that adopting keyleak on a repository with old leaks starts clean and
 * reports only new ones. The keys stay leaked: the baseline only stops reporting them.
 */
export async function runBaseline(
  s: BaselineSettings,
  now: Date,
  onProgress?: (p: Progress) => void,
): Promise<BaselineResult> {
  // The config is read before the long scan so that a broken file fails at once.
  const before = await readFile(s.configFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new UsageError(`cannot read config file '${s.configFile}': ${e.code ?? e.message}`);
  });
  addToBaseline(before, s.configFile, []);
  const gitleaks = await readGitleaks(s.fromGitleaks);
  const { report } = await scanRepository(
    { ...s.scan, config: before === null ? null : s.configFile },
    onProgress,
  );
  const today = now.toISOString().slice(0, 10);
  const matched = gitleaks && matchGitleaks(gitleaks, report.findings, report.suppressed);
  // What gitleaks had accepted, when importing; else everything found, secrets without a key id too.
  const recorded: (Finding | LoneSecret)[] = matched
    ? matched.accepted
    : [...report.findings, ...(report.loneSecrets ?? [])];
  const { text, added } = addToBaseline(
    before,
    s.configFile,
    recorded.map((f) => ({
      fingerprint: f.fingerprint,
      note: noteFor(f, today) + (matched ? ', accepted in gitleaks' : ''),
    })),
  );
  if (added.length > 0) {
    try {
      await mkdir(dirname(s.configFile), { recursive: true });
      await writeFile(s.configFile, text);
    } catch (e) {
      throw new UsageError(
        `cannot write config file '${s.configFile}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  const fresh = new Set(added);
  return {
    report,
    added: recorded.filter((f) => fresh.has(f.fingerprint)),
    file: s.configFile,
    unmatched: matched?.unmatched ?? [],
  };
}

/** The AWS entries of the `--from-gitleaks` files, read before the scan so a bad file fails at once. */
async function readGitleaks(files: readonly string[]): Promise<GitleaksEntry[] | null> {
  if (files.length === 0) return null;
  const entries: GitleaksEntry[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read --from-gitleaks file '${file}': ${e.code ?? e.message}`);
    });
    entries.push(...parseGitleaksFile(text, file));
  }
  return entries;
}
