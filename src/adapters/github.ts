import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { incidentId } from '../core/incident-wire.js';
import type { RepoRecord } from '../core/org/select.js';
import { PERMISSIONS, type Permission } from '../core/permissions.js';

/**
 * The GitHub side of keyleak: incident issues, PR comments, permissions and reactions, behind verbs
 * named after what keyleak does with them. Only entry points construct it.
 */

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface IncidentIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  url: string;
  /** Who opened the issue (a login; Apps end in `[bot]`). */
  author: string;
  labels: string[];
}

export interface LabelSpec {
  name: string;
  color: string;
  description: string;
}

export type Reaction = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

/** How patient the client is. Production uses the defaults; tests shrink the waits. */
export interface GitHubTiming {
  /** Milliseconds per second of `retry-after` (and per unit of the retry plugin's backoff). */
  retryAfterBaseMs: number;
  /** Retries after a rate-limit answer or a server error before giving up. */
  maxRetries: number;
  /** Longest `retry-after` (seconds) worth waiting for; a longer one fails the request instead. */
  maxRetryAfterSeconds: number;
  /**
   * Least time between two writes, and between two writes that notify people (issues, comments).
   * Null keeps the throttling plugin's own spacing (1 s and 3 s), which GitHub's guidance asks for.
   */
  writeSpacingMs: { write: number; notify: number } | null;
  /**
   * Longest wait for one answer, headers and body, before the request is abandoned. A read that times
   * out is retried (within `maxRetries`); a write is not, since it may have been done.
   */
  requestTimeoutMs: number;
}

export const DEFAULT_TIMING: GitHubTiming = {
  retryAfterBaseMs: 1000,
  maxRetries: 3,
  maxRetryAfterSeconds: 120,
  writeSpacingMs: null,
  requestTimeoutMs: 30_000,
};

/**
 * fetch with a deadline on every request, so that a GitHub call that never answers ends in an error
 * naming it instead of hanging the run. The deadline covers the body too: the signal stays attached
 * while Octokit reads it.
 */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await fetch(input, { ...init, signal });
    } catch (e) {
      // Not an AbortError: Octokit turns other errors into a request error its retry plugin can see.
      if (timeout.aborted) {
        const call = `${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`;
        throw new Error(`GitHub did not answer ${call} within ${timeoutMs / 1000} s`);
      }
      throw e;
    }
  };
}

/**
 * A stand-in for the plugin's Bottleneck groups that only spaces jobs apart. The plugin calls
 * `group.key(id).schedule(options, fn, ...args)` and nothing else.
 */
function spacing(ms: number) {
  let next = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const limiter = {
    schedule<T>(_opts: unknown, fn: (...a: unknown[]) => Promise<T>, ...args: unknown[]): Promise<T> {
      const run = chain.then(async () => {
        const wait = next - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        next = Date.now() + ms;
      });
      chain = run;
      return run.then(() => fn(...args));
    },
  };
  return { key: () => limiter };
}

export interface GitHubOptions {
  token: string;
  /** API root, e.g. https://api.github.com or GITHUB_API_URL on GHES and in tests. */
  baseUrl: string;
  timing?: Partial<GitHubTiming>;
  /** Where rate-limit waits are reported. */
  log?: (message: string) => void;
}

export const INCIDENT_LABEL = 'keyleak';

export function parseRepo(full: string): RepoRef {
  const m = /^([A-Za-z0-9][A-Za-z0-9-]*)\/([A-Za-z0-9._-]+)$/.exec(full);
  if (!m) throw new Error(`Invalid repository '${full}'. Expected format {owner}/{repo}.`);
  return { owner: m[1]!, repo: m[2]! };
}

type Octokit = ReturnType<typeof getOctokit>;

interface IssueData {
  number: number;
  title: string;
  body?: string | null;
  state: string;
  html_url: string;
  pull_request?: unknown;
  user?: { login?: string } | null;
  labels?: (string | { name?: string })[];
}

function toIncident(d: IssueData): IncidentIssue {
  return {
    number: d.number,
    title: d.title,
    body: d.body ?? '',
    state: d.state === 'closed' ? 'closed' : 'open',
    url: d.html_url,
    author: d.user?.login ?? '',
    labels: (d.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
  };
}

/**
 * Reads a permission answer. `role_name` is the truth (admin, maintain, write, triage, read, or a custom
 * role's name); `user.permissions` backs it up. The legacy `permission` field folds maintain into write
 * and triage into read, so it is only a last resort and never reads higher than what it says.
 */
export function permissionFromResponse(data: {
  permission?: string | null;
  role_name?: string | null;
  user?: { permissions?: Record<string, boolean | undefined> | null } | null;
}): Permission {
  const role = data.role_name ?? '';
  if ((PERMISSIONS as readonly string[]).includes(role)) return role as Permission;
  const p = data.user?.permissions;
  if (p) {
    if (p.admin) return 'admin';
    if (p.maintain) return 'maintain';
    if (p.push) return 'write';
    if (p.triage) return 'triage';
    if (p.pull) return 'read';
    return 'none';
  }
  const legacy = data.permission ?? 'none';
  return (PERMISSIONS as readonly string[]).includes(legacy) ? (legacy as Permission) : 'none';
}

export class GitHub {
  private constructor(private readonly octokit: Octokit) {}

  static create(opts: GitHubOptions): GitHub {
    const timing = { ...DEFAULT_TIMING, ...opts.timing };
    const log = opts.log ?? (() => {});
    const wait =
      (kind: string) => (retryAfter: number, o: { method: string; url: string }, _k: unknown, n: number) => {
        if (n >= timing.maxRetries || retryAfter > timing.maxRetryAfterSeconds) {
          log(
            `GitHub ${kind} on ${o.method} ${o.url}: giving up after ${n} retries (retry-after ${retryAfter} s)`,
          );
          return false;
        }
        log(`GitHub ${kind} on ${o.method} ${o.url}: retrying in ${retryAfter} s`);
        return true;
      };
    const octokit = getOctokit(
      opts.token,
      {
        baseUrl: opts.baseUrl,
        throttle: {
          onRateLimit: wait('rate limit'),
          onSecondaryRateLimit: wait('secondary rate limit'),
          retryAfterBaseValue: timing.retryAfterBaseMs,
          fallbackSecondaryRateRetryAfter: 60,
          ...(timing.writeSpacingMs
            ? ({
                write: spacing(timing.writeSpacingMs.write),
                notifications: spacing(timing.writeSpacingMs.notify),
              } as unknown as object)
            : {}),
        },
        retry: { retries: timing.maxRetries, retryAfterBaseValue: timing.retryAfterBaseMs },
        request: { fetch: fetchWithTimeout(timing.requestTimeoutMs) },
      },
      throttling,
      retry,
    );
    // A POST that failed with a server error or no answer may have been done upstream (an issue opened, a
    // comment posted): retrying it blindly would do it twice. Rate-limit refusals (never done) still wait
    // and retry through the throttling plugin.
    octokit.hook.before('request', (o) => {
      if (o.method === 'POST') o.request = { ...o.request, retries: 0 };
    });
    return new GitHub(octokit);
  }

  /** Whether anyone can read `repo` (its issues included): public, as opposed to private or internal. */
  async isPublic(repo: RepoRef): Promise<boolean> {
    const r = await this.octokit.rest.repos.get({ ...repo });
    return r.data.visibility === 'public' || (r.data.visibility === undefined && !r.data.private);
  }

  /**
   * The open or closed incident for `id` (a key id, or a lone secret's fingerprint): an issue labelled
   * keyleak whose marker names it.
   */
  async findIncident(repo: RepoRef, id: string): Promise<IncidentIssue | null> {
    // Oldest wins when two issues carry the marker (one opened by hand, say): keep updating that one.
    return (await this.findIncidents(repo, id))[0] ?? null;
  }

  /** Every issue labelled keyleak whose marker names `id`, oldest first. */
  async findIncidents(repo: RepoRef, id: string): Promise<IncidentIssue[]> {
    const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, {
      ...repo,
      labels: INCIDENT_LABEL,
      state: 'all',
      per_page: 100,
    });
    const found: IncidentIssue[] = [];
    for await (const page of pages) {
      for (const d of page.data) {
        if (d.pull_request) continue;
        if (incidentId(d.body) === id) found.push(toIncident(d as IssueData));
      }
    }
    return found.sort((a, b) => a.number - b.number);
  }

  /**
   * The login the token acts as, or null for a GitHub App installation token (GITHUB_TOKEN included),
   * which may not read `GET /user`: its issues are opened by the App's `[bot]` user.
   */
  async ownLogin(): Promise<string | null> {
    try {
      const r = await this.octokit.rest.users.getAuthenticated();
      return r.data.login;
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 403 || status === 401) return null;
      throw e;
    }
  }

  /** Closes a duplicate incident, saying which one it duplicates. */
  async closeDuplicate(repo: RepoRef, number: number, of: IncidentIssue): Promise<void> {
    await this.commentIncident(
      repo,
      number,
      `Duplicate of #${of.number}: another keyleak run opened the incident for this key at the same time. Follow ${of.url}.`,
    );
    await this.octokit.rest.issues.update({
      ...repo,
      issue_number: number,
      state: 'closed',
      state_reason: 'not_planned',
    });
  }

  /** The comments on an issue, each with its author's login. */
  async comments(repo: RepoRef, number: number): Promise<{ author: string; body: string }[]> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      ...repo,
      issue_number: number,
      per_page: 100,
    });
    return comments.map((c) => ({ author: c.user?.login ?? '', body: c.body ?? '' }));
  }

  async createIncident(repo: RepoRef, issue: { title: string; body: string; labels: string[] }) {
    const r = await this.octokit.rest.issues.create({ ...repo, ...issue, request: { retries: 0 } });
    return toIncident(r.data as IssueData);
  }

  async updateIncident(repo: RepoRef, number: number, change: { title?: string; body?: string }) {
    const r = await this.octokit.rest.issues.update({ ...repo, issue_number: number, ...change });
    return toIncident(r.data as IssueData);
  }

  async reopenIncident(repo: RepoRef, number: number): Promise<IncidentIssue> {
    const r = await this.octokit.rest.issues.update({ ...repo, issue_number: number, state: 'open' });
    return toIncident(r.data as IssueData);
  }

  async commentIncident(repo: RepoRef, number: number, body: string): Promise<number> {
    // Not retried on a server error either: a second try could post the comment twice.
    const r = await this.octokit.rest.issues.createComment({
      ...repo,
      issue_number: number,
      body,
      request: { retries: 0 },
    });
    return r.data.id;
  }

  async getIncident(repo: RepoRef, number: number): Promise<IncidentIssue & { isPullRequest: boolean }> {
    const r = await this.octokit.rest.issues.get({ ...repo, issue_number: number });
    return { ...toIncident(r.data as IssueData), isPullRequest: Boolean(r.data.pull_request) };
  }

  /** Creates the labels that do not exist yet. */
  async ensureLabels(repo: RepoRef, labels: LabelSpec[]): Promise<void> {
    for (const l of labels) {
      try {
        await this.octokit.rest.issues.getLabel({ ...repo, name: l.name });
      } catch (e) {
        if ((e as { status?: number }).status !== 404) throw e;
        try {
          await this.octokit.rest.issues.createLabel({ ...repo, ...l });
        } catch (e2) {
          // Another run created it in between: that is what we wanted.
          if ((e2 as { status?: number }).status !== 422) throw e2;
        }
      }
    }
  }

  /** The commenter's permission, asked of the API: `author_association` hides private org members. */
  async permissionOf(repo: RepoRef, user: string): Promise<Permission> {
    try {
      const r = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: user });
      return permissionFromResponse(r.data as Parameters<typeof permissionFromResponse>[0]);
    } catch (e) {
      if ((e as { status?: number }).status === 404) return 'none';
      throw e;
    }
  }

  async reactTo(repo: RepoRef, commentId: number, content: Reaction): Promise<void> {
    await this.octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: commentId, content });
  }

  /**
   * Keeps one comment on a pull request: the first comment of ours carrying `marker` is updated, never
   * repeated. Returns the comment id, and whether anything was written.
   */
  async upsertPrComment(
    repo: RepoRef,
    pr: number,
    marker: string,
    body: string,
    opts: { createIfMissing?: boolean } = {},
  ): Promise<{ id: number | null; written: boolean }> {
    const full = body.includes(marker) ? body : `${marker}\n${body}`;
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      ...repo,
      issue_number: pr,
      per_page: 100,
    });
    const mine = comments.find((c) => (c.body ?? '').includes(marker));
    if (mine) {
      if (mine.body === full) return { id: mine.id, written: false };
      await this.octokit.rest.issues.updateComment({ ...repo, comment_id: mine.id, body: full });
      return { id: mine.id, written: true };
    }
    if (opts.createIfMissing === false) return { id: null, written: false };
    const r = await this.octokit.rest.issues.createComment({
      ...repo,
      issue_number: pr,
      body: full,
      request: { retries: 0 },
    });
    return { id: r.data.id, written: true };
  }

  /** Numbers of the pull requests containing `sha` (their refs survive a force push). */
  async pullsForCommit(repo: RepoRef, sha: string): Promise<number[]> {
    const r = await this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      ...repo,
      commit_sha: sha,
    });
    return r.data.map((p) => p.number);
  }

  /**
   * Every repository of an organisation, or of a user when `owner` is not one, all pages of them (the
   * RepoLister an org scan needs). A listing without `pushed_at` or `size` yields null and 0.
   */
  async *listRepositories(owner: string): AsyncIterable<RepoRecord> {
    let pagesRead = 0;
    try {
      const org = this.octokit.paginate.iterator(this.octokit.rest.repos.listForOrg, {
        org: owner,
        type: 'all',
        per_page: 100,
      });
      for await (const page of org) {
        pagesRead++;
        for (const r of page.data as ListedRepo[]) yield repoRecord(r);
      }
      return;
    } catch (e) {
      // Not an organisation: a user. Any other failure, or one after the first page, is the run's.
      if (pagesRead > 0 || (e as { status?: number }).status !== 404) throw e;
    }
    const user = this.octokit.paginate.iterator(this.octokit.rest.repos.listForUser, {
      username: owner,
      type: 'all',
      per_page: 100,
    });
    for await (const page of user) for (const r of page.data as ListedRepo[]) yield repoRecord(r);
  }
}

/** The fields of a listed repository an org scan reads. */
interface ListedRepo {
  id: number;
  full_name: string;
  private: boolean;
  fork: boolean;
  archived?: boolean;
  visibility?: string;
  topics?: string[];
  default_branch?: string;
  clone_url?: string;
  size?: number;
  pushed_at?: string | null;
}

function repoRecord(r: ListedRepo): RepoRecord {
  return {
    fullName: r.full_name,
    id: r.id,
    archived: r.archived ?? false,
    fork: r.fork,
    visibility: (r.visibility as RepoRecord['visibility'] | undefined) ?? (r.private ? 'private' : 'public'),
    topics: r.topics ?? [],
    defaultBranch: r.default_branch ?? 'main',
    cloneUrl: r.clone_url ?? `https://github.com/${r.full_name}.git`,
    sizeKb: r.size ?? 0,
    pushedAt: r.pushed_at ?? null,
  };
}
