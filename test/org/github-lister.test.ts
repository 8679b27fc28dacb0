import { afterEach, describe, expect, it } from 'vitest';
import { GitHub } from '../../src/adapters/github.js';
import type { RepoRecord } from '../../src/core/org/select.js';
import {
  emptyRepo,
  makeState,
  secondaryRateLimit,
  startGitHubEmulator,
  type GitHubEmulator,
} from '../emulators/github/index.js';

let emu: GitHubEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
});

async function lister(over: Parameters<typeof makeState>[1]) {
  emu = await startGitHubEmulator(makeState([], over));
  const logs: string[] = [];
  const gh = GitHub.create({
    token: 'test-token',
    baseUrl: emu.url,
    timing: { retryAfterBaseMs: 1, maxRetries: 3, writeSpacingMs: { write: 0, notify: 0 } },
    log: (m) => logs.push(m),
  });
  return { gh, logs, emu };
}

async function all(it: AsyncIterable<RepoRecord>): Promise<RepoRecord[]> {
  const out: RepoRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

function org(owner: string, n: number) {
  const names = Array.from({ length: n }, (_, i) => `svc-${i}`);
  const repos = Object.fromEntries(
    names.map((name, i) => [
      `${owner}/${name}`,
      emptyRepo(`${owner}/${name}`, {
        archived: i % 50 === 0,
        fork: i % 70 === 1,
        private: i % 2 === 0,
        topics: i % 3 ? [] : ['pci'],
      }),
    ]),
  );
  return { names, repos };
}

describe("listing an owner's repositories through the GitHub API", () => {
  it('reads every page of an organisation, 100 a page, into repository records', async () => {
    const { names, repos } = org('acme', 250);
    const { gh, emu } = await lister({ repos, orgs: { acme: names } });
    const got = await all(gh.listRepositories('acme'));
    expect(got.map((r) => r.fullName)).toEqual(names.map((n) => `acme/${n}`));
    expect(new Set(got.map((r) => r.id)).size).toBe(250);
    const listings = emu.requests.filter((r) => r.path === '/orgs/acme/repos');
    expect(listings.map((r) => [r.query.page ?? '1', r.query.per_page])).toEqual([
      ['1', '100'],
      ['2', '100'],
      ['3', '100'],
    ]);
    expect(got[0]).toMatchObject({
      archived: true,
      visibility: 'private',
      topics: ['pci'],
      defaultBranch: 'main',
      pushedAt: null,
    });
    expect(got[1]).toMatchObject({
      fork: true,
      visibility: 'public',
      cloneUrl: 'https://github.com/acme/svc-1.git',
    });
  });

  it("falls back to a user's repositories when the owner is not an organisation", async () => {
    const { names, repos } = org('ada', 3);
    const { gh } = await lister({ repos, users: { ada: names } });
    expect((await all(gh.listRepositories('ada'))).map((r) => r.fullName)).toEqual([
      'ada/svc-0',
      'ada/svc-1',
      'ada/svc-2',
    ]);
  });

  it('survives a secondary rate limit on a page, waiting as told', async () => {
    const { names, repos } = org('acme', 150);
    const { gh, emu, logs } = await lister({
      repos,
      orgs: { acme: names },
      faults: [secondaryRateLimit(/^\/orgs\/acme\/repos$/, 1)],
    });
    expect(await all(gh.listRepositories('acme'))).toHaveLength(150);
    expect(emu.requests.some((r) => r.status === 403 || r.status === 429)).toBe(true);
    expect(logs.join('\n')).toContain('secondary rate limit');
  });
});
