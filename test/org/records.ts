import type { RepoRecord } from '../../src/core/org/select.js';

/** A repository record with sensible defaults, for tests. */
export function record(fullName: string, over: Partial<RepoRecord> = {}): RepoRecord {
  return {
    fullName,
    id: over.id ?? hashId(fullName),
    archived: false,
    fork: false,
    visibility: 'private',
    topics: [],
    defaultBranch: 'main',
    cloneUrl: `/nonexistent/${fullName}.git`,
    sizeKb: 10,
    pushedAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

function hashId(s: string): number {
  let h = 7;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) % 2_000_000_011;
  return h;
}
