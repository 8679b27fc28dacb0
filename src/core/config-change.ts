import type { KeyleakConfig } from './config.js';

/**
 * What `after` suppresses that `before` did not: allowed key ids, paths and commits, baseline entries and
 * canary accounts (which are never verified). Each entry is a phrase for a warning; empty when the change
 * widens nothing. Pure.
 */
export function widenings(before: KeyleakConfig, after: KeyleakConfig): string[] {
  const added = <T>(a: Iterable<T>, b: Iterable<T>) => {
    const had = new Set(b);
    return [...new Set(a)].filter((x) => !had.has(x));
  };
  const out: string[] = [];
  const list = (what: string, xs: string[]) => {
    if (xs.length > 0) out.push(`${what} ${xs.map((x) => `'${x}'`).join(', ')}`);
  };
  list('key ids', added(after.allowKeyIds, before.allowKeyIds));
  list('paths', added(after.allowPaths, before.allowPaths));
  list('commits', added(after.allowCommits, before.allowCommits));
  list('baseline entries', added(after.baseline, before.baseline));
  list('canary accounts', added(after.canaryAccounts, before.canaryAccounts));
  return out;
}
