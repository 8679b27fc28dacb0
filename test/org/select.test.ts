import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REPO_FILTER,
  parseRepoFilter,
  repoGlobMatch,
  selectRepositories,
  type RepoFilter,
} from '../../src/core/org/select.js';
import { record } from './records.js';

const repos = [
  record('acme/api'),
  record('acme/api-legacy', { archived: true }),
  record('acme/web', { fork: true }),
  record('acme/site', { visibility: 'public', topics: ['docs'] }),
  record('acme/sandbox-1', { topics: ['experimental'] }),
  record('acme/payments', { visibility: 'internal', topics: ['PCI', 'backend'] }),
];

const cases: {
  name: string;
  filter: Partial<RepoFilter>;
  selected: string[];
  excluded?: Record<string, string>;
}[] = [
  {
    name: 'by default archived repositories and forks are left out, with their reasons',
    filter: {},
    selected: ['acme/api', 'acme/site', 'acme/sandbox-1', 'acme/payments'],
    excluded: { 'acme/api-legacy': 'archived', 'acme/web': 'fork' },
  },
  {
    name: 'archived repositories and forks can be included',
    filter: { includeArchived: true, includeForks: true },
    selected: repos.map((r) => r.fullName),
  },
  {
    name: 'visibility keeps only the listed ones',
    filter: { visibility: ['public', 'internal'] },
    selected: ['acme/site', 'acme/payments'],
    excluded: { 'acme/api': 'visibility', 'acme/sandbox-1': 'visibility' },
  },
  {
    name: 'include globs match the name, case-insensitively',
    filter: { include: ['API*', 'pay?ents'] },
    selected: ['acme/api', 'acme/payments'],
    excluded: { 'acme/site': 'name-not-included' },
  },
  {
    name: 'exclude globs win over include globs',
    filter: { include: ['*'], exclude: ['sandbox-*'] },
    selected: ['acme/api', 'acme/site', 'acme/payments'],
    excluded: { 'acme/sandbox-1': 'name-excluded' },
  },
  {
    name: 'a glob with a slash matches the full name',
    filter: { include: ['acme/s*'] },
    selected: ['acme/site', 'acme/sandbox-1'],
  },
  {
    name: 'topics keep repositories carrying one of them',
    filter: { topics: ['pci', 'docs'] },
    selected: ['acme/site', 'acme/payments'],
    excluded: { 'acme/api': 'topic-missing' },
  },
  {
    name: 'excluded topics leave repositories out',
    filter: { excludeTopics: ['experimental'] },
    selected: ['acme/api', 'acme/site', 'acme/payments'],
    excluded: { 'acme/sandbox-1': 'topic-excluded' },
  },
];

describe('selectRepositories', () => {
  it.each(cases)('$name', ({ filter, selected, excluded }) => {
    const sel = selectRepositories(repos, { ...DEFAULT_REPO_FILTER, ...filter });
    expect(sel.selected.map((r) => r.fullName)).toEqual(selected);
    expect(sel.selected.length + sel.excluded.length).toBe(repos.length);
    for (const [repo, reason] of Object.entries(excluded ?? {}))
      expect(sel.excluded.find((e) => e.repo === repo)).toMatchObject({ reason });
    for (const e of sel.excluded) expect(e.detail).not.toBe('');
  });

  it('explains each exclusion in words for the summary', () => {
    const sel = selectRepositories(repos, { ...DEFAULT_REPO_FILTER, exclude: ['sandbox-*'] });
    expect(sel.excluded.find((e) => e.repo === 'acme/sandbox-1')!.detail).toBe(
      "matches exclude glob 'sandbox-*'",
    );
  });
});

describe('repoGlobMatch', () => {
  it.each([
    ['*', 'o/anything', true],
    ['svc-?', 'o/svc-a', true],
    ['svc-?', 'o/svc-ab', false],
    ['o/*', 'o/x', true],
    ['other/*', 'o/x', false],
    ['a.b', 'o/aXb', false],
  ])('%s against %s is %s', (glob, name, want) => {
    expect(repoGlobMatch(glob, name)).toBe(want);
  });
});

describe('parseRepoFilter', () => {
  it('reads comma- and newline-separated lists and booleans', () => {
    expect(
      parseRepoFilter({
        includeArchived: 'true',
        visibility: 'public, Private',
        include: 'api-*\nweb-*',
        exclude: '',
        topics: 'pci',
      }),
    ).toEqual({
      ...DEFAULT_REPO_FILTER,
      includeArchived: true,
      visibility: ['public', 'private'],
      include: ['api-*', 'web-*'],
      topics: ['pci'],
    });
  });

  it.each([
    [{ visibility: 'secret' }, "invalid visibility 'secret'. Expected one of public, private, internal"],
    [{ includeForks: 'yes' }, "invalid include-forks 'yes'. Expected true or false"],
  ])('rejects %o', (raw, message) => {
    expect(() => parseRepoFilter(raw)).toThrow(message);
  });
});
