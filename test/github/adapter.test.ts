import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { incidentMarker } from '../../src/core/incident-wire.js';
import { GitHub, permissionFromResponse } from '../../src/adapters/github.js';
import { mayRespond, type Permission } from '../../src/core/permissions.js';
import { makeKeyId } from '../helpers/keys.js';
import {
  makeState,
  secondaryRateLimit,
  startGitHubEmulator,
  type GitHubEmulator,
} from '../emulators/github/index.js';

const repo = { owner: 'octo', repo: 'app' };
let emu: GitHubEmulator | null = null;

afterEach(async () => {
  await emu?.close();
  emu = null;
});

async function setup(state = makeState()) {
  emu = await startGitHubEmulator(state);
  const logs: string[] = [];
  const gh = GitHub.create({
    token: 'test-token',
    baseUrl: emu.url,
    timing: { retryAfterBaseMs: 1, maxRetries: 3, writeSpacingMs: { write: 0, notify: 0 } },
    log: (m) => logs.push(m),
  });
  return { emu, gh, logs };
}

describe('permission answers', () => {
  const cases: [string, Parameters<typeof permissionFromResponse>[0], Permission, boolean][] = [
    [
      'maintain is read from role_name though the legacy field says write',
      { permission: 'write', role_name: 'maintain' },
      'maintain',
      true,
    ],
    [
      'triage is not enough even though it is above read',
      { permission: 'read', role_name: 'triage' },
      'triage',
      false,
    ],
    [
      'a custom role falls back to user.permissions',
      {
        permission: 'write',
        role_name: 'security-reviewer',
        user: { permissions: { push: true, pull: true } },
      },
      'write',
      true,
    ],
    [
      'a custom read-only role is refused',
      { permission: 'read', role_name: 'auditor', user: { permissions: { pull: true } } },
      'read',
      false,
    ],
    ['admin passes', { permission: 'admin', role_name: 'admin' }, 'admin', true],
    ['none is refused', { permission: 'none', role_name: 'none' }, 'none', false],
  ];
  it.each(cases)('%s', (_name, data, want, allowed) => {
    expect(permissionFromResponse(data)).toBe(want);
    expect(mayRespond(permissionFromResponse(data))).toBe(allowed);
  });
});

describe('GitHub adapter against the emulator', () => {
  it('finds an incident by its hidden marker across pages, ignoring issues of other keys', async () => {
    const state = makeState();
    const key = makeKeyId();
    const r = state.repos['octo/app']!;
    for (let n = 1; n <= 130; n++) {
      r.issues.push({
        number: n,
        title: `other ${n}`,
        body: n === 7 ? `x\n${incidentMarker(key)}\n` : incidentMarker(makeKeyId()),
        state: n === 7 ? 'closed' : 'open',
        labels: ['keyleak'],
        user: 'keyleak-bot',
        isPullRequest: false,
        createdAt: '2024-01-01T00:00:00Z',
        updatedAt: '2024-01-01T00:00:00Z',
      });
    }
    const { gh, emu } = await setup(state);
    const found = await gh.findIncident(repo, key);
    expect(found).toMatchObject({ number: 7, state: 'closed' });
    const lists = emu.requests.filter((q) => q.path === '/repos/octo/app/issues');
    expect(lists.map((q) => q.query)).toEqual([
      { labels: 'keyleak', state: 'all', per_page: '100' },
      { labels: 'keyleak', state: 'all', per_page: '100', page: '2' },
    ]);
    expect(await gh.findIncident(repo, makeKeyId())).toBeNull();
  });

  it('creates missing labels only', async () => {
    const state = makeState();
    state.repos['octo/app']!.labels.push({ name: 'keyleak', color: 'b60205', description: null });
    const { gh, emu } = await setup(state);
    await gh.ensureLabels(repo, [
      { name: 'keyleak', color: 'b60205', description: 'x' },
      { name: 'keyleak:live', color: 'd93f0b', description: 'Live key' },
    ]);
    expect(emu.requests.map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual([
      'GET /repos/octo/app/labels/keyleak 200',
      'GET /repos/octo/app/labels/keyleak%3Alive 404',
      'POST /repos/octo/app/labels 201',
    ]);
  });

  it('keeps one PR comment, updated rather than repeated', async () => {
    const state = makeState();
    state.repos['octo/app']!.issues.push({
      number: 5,
      title: 'PR',
      body: '',
      state: 'open',
      labels: [],
      user: 'dev',
      isPullRequest: true,
      createdAt: '2024-01-01T00:00:00Z',
      updatedAt: '2024-01-01T00:00:00Z',
    });
    const { gh, emu } = await setup(state);
    await gh.upsertPrComment(repo, 5, '<!-- keyleak:pr -->', 'first');
    await gh.upsertPrComment(repo, 5, '<!-- keyleak:pr -->', 'second');
    const same = await gh.upsertPrComment(repo, 5, '<!-- keyleak:pr -->', 'second');
    expect(same.written).toBe(false);
    const comments = emu.state.repos['octo/app']!.comments;
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toBe('<!-- keyleak:pr -->\nsecond');
  });

  it('waits out a secondary rate limit for as long as retry-after says, then succeeds', async () => {
    const state = makeState();
    state.faults.push(secondaryRateLimit(/\/issues$/, 2, 2, 'POST'));
    const { gh, emu, logs } = await setup(state);
    const issue = await gh.createIncident(repo, { title: 't', body: 'b', labels: ['keyleak'] });
    expect(issue.number).toBe(1);
    expect(emu.requests.map((q) => q.status)).toEqual([403, 403, 201]);
    expect(logs).toEqual([
      expect.stringContaining('secondary rate limit on POST /repos/{owner}/{repo}/issues: retrying in 2 s'),
      expect.stringContaining('retrying in 2 s'),
    ]);
  });

  it('gives up after the retry cap and surfaces the error', async () => {
    const state = makeState();
    state.faults.push(secondaryRateLimit(/\/issues$/, 1, Infinity, 'POST'));
    const { gh, emu } = await setup(state);
    await expect(gh.createIncident(repo, { title: 't', body: 'b', labels: [] })).rejects.toThrow(
      /secondary rate limit/,
    );
    expect(emu.requests).toHaveLength(4);
  });

  it('retries server errors and 429s', async () => {
    const state = makeState();
    state.faults.push({ path: /\/commits\/.*\/pulls$/, status: 502, times: 1 });
    state.faults.push({ path: /\/commits\/.*\/pulls$/, status: 429, times: 1 });
    state.repos['octo/app']!.commitPulls['a'.repeat(40)] = [3, 4];
    const { gh, emu } = await setup(state);
    expect(await gh.pullsForCommit(repo, 'a'.repeat(40))).toEqual([3, 4]);
    expect(emu.requests.map((q) => q.status)).toEqual([502, 429, 200]);
  });

  it('gives up on a read that never answers after its bounded retries, naming the wait', async () => {
    const state = makeState();
    state.faults.push({ path: /\/commits\/.*\/pulls$/, status: 0, hang: true, times: Infinity });
    emu = await startGitHubEmulator(state);
    const gh = GitHub.create({
      token: 'test-token',
      baseUrl: emu.url,
      timing: { retryAfterBaseMs: 1, maxRetries: 2, requestTimeoutMs: 200 },
    });
    await expect(gh.pullsForCommit(repo, 'a'.repeat(40))).rejects.toThrow(
      /GitHub did not answer GET \/repos\/octo\/app\/commits\/a{40}\/pulls within 0.2 s/,
    );
    expect(emu.requests).toHaveLength(3);
  });

  it('never retries a write that may have been done: a POST answered 502 is sent once', async () => {
    const state = makeState();
    state.faults.push({ method: 'POST', path: /\/issues$/, status: 502, times: 1 });
    const { gh, emu } = await setup(state);
    await expect(gh.createIncident(repo, { title: 't', body: 'b', labels: [] })).rejects.toThrow();
    expect(emu.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
  });

  it('never retries a write that got no answer', async () => {
    const state = makeState();
    state.faults.push({ method: 'POST', path: /\/issues$/, status: 0, hang: true, times: 1 });
    emu = await startGitHubEmulator(state);
    const gh = GitHub.create({
      token: 'test-token',
      baseUrl: emu.url,
      timing: { retryAfterBaseMs: 1, maxRetries: 3, requestTimeoutMs: 200 },
    });
    await expect(gh.createIncident(repo, { title: 't', body: 'b', labels: [] })).rejects.toThrow(
      /did not answer/,
    );
    expect(emu.requests).toHaveLength(1);
  });

  it("lists an organisation's repositories page by page through Link headers", async () => {
    const names = Array.from({ length: 250 }, (_, i) => `r${i}`);
    const state = makeState(names.map((n) => `big/${n}`));
    state.orgs.big = names;
    emu = await startGitHubEmulator(state);
    const octokit = getOctokit('test-token', { baseUrl: emu.url });
    const all = await octokit.paginate(octokit.rest.repos.listForOrg, { org: 'big', per_page: 100 });
    expect(all.map((r) => r.name)).toEqual(names);
    expect(emu.requests.map((q) => q.query.page ?? '1')).toEqual(['1', '2', '3']);
    const res = await octokit.rest.repos.get({ owner: 'big', repo: 'r7' });
    expect(res.headers['x-ratelimit-remaining']).toBe(String(state.rateLimit.remaining));
  });

  it('accepts Bearer tokens and answers issue searches', async () => {
    const state = makeState();
    const key = makeKeyId();
    state.repos['octo/app']!.issues.push({
      number: 1,
      title: `Leaked AWS key ${key}`,
      body: incidentMarker(key),
      state: 'open',
      labels: ['keyleak'],
      user: 'keyleak-bot',
      isPullRequest: false,
      createdAt: '2024-01-01T00:00:00Z',
      updatedAt: '2024-01-01T00:00:00Z',
    });
    emu = await startGitHubEmulator(state);
    const q = encodeURIComponent(`repo:octo/app is:issue label:keyleak "${key}"`);
    const res = await fetch(`${emu.url}/search/issues?q=${q}`, {
      headers: { authorization: 'Bearer test-token' },
    });
    expect(res.status).toBe(200);
    const data = (await res.json()) as { total_count: number; items: { number: number }[] };
    expect(data.total_count).toBe(1);
    expect(data.items.map((i) => i.number)).toEqual([1]);
  });

  it('rejects a bad token', async () => {
    emu = await startGitHubEmulator(makeState());
    const gh = GitHub.create({
      token: 'wrong',
      baseUrl: emu.url,
      timing: { retryAfterBaseMs: 1, writeSpacingMs: { write: 0, notify: 0 } },
    });
    await expect(gh.findIncident(repo, makeKeyId())).rejects.toThrow(/Bad credentials/);
  });

  it('reads permissions from the API, not from the legacy field', async () => {
    const state = makeState();
    state.repos['octo/app']!.collaborators = { mia: 'maintain', tom: 'triage' };
    const { gh } = await setup(state);
    expect(await gh.permissionOf(repo, 'mia')).toBe('maintain');
    expect(await gh.permissionOf(repo, 'tom')).toBe('triage');
    expect(await gh.permissionOf(repo, 'stranger')).toBe('read');
  });
});
