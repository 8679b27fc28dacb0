import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmuBarrier, EmuComment, EmuIssue, EmuRepo, EmuRequest, GitHubState } from './state.js';

/**
 * A local GitHub REST API for the endpoints keyleak uses, spoken over HTTP so the real Octokit (with its
 * throttling and retry plugins) drives it exactly as it drives api.github.com.
 */
export interface GitHubEmulator {
  url: string;
  state: GitHubState;
  /** Every request, in arrival order, with the status it was answered with. */
  requests: EmuRequest[];
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Handler = (m: string[], ctx: Ctx) => Reply;

interface Ctx {
  query: Record<string, string>;
  body: Record<string, unknown>;
  login: string;
  base: string;
  state: GitHubState;
}

const ROLE_PERMISSIONS: Record<string, Record<string, boolean>> = {
  admin: { admin: true, maintain: true, push: true, triage: true, pull: true },
  maintain: { admin: false, maintain: true, push: true, triage: true, pull: true },
  write: { admin: false, maintain: false, push: true, triage: true, pull: true },
  triage: { admin: false, maintain: false, push: false, triage: true, pull: true },
  read: { admin: false, maintain: false, push: false, triage: false, pull: true },
  none: { admin: false, maintain: false, push: false, triage: false, pull: false },
};

// The legacy `permission` field folds maintain into write and triage into read, as the real API does.
const LEGACY_PERMISSION: Record<string, string> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};

function repoOf(ctx: Ctx, owner: string, name: string): EmuRepo {
  const r = ctx.state.repos[`${owner}/${name}`];
  if (!r) throw new HttpError(404, 'Not Found');
  return r;
}

function issueJson(ctx: Ctx, repo: EmuRepo, i: EmuIssue) {
  const api = `${ctx.base}/repos/${repo.owner}/${repo.name}`;
  return {
    id: i.number + 100000,
    node_id: `I_${i.number}`,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map((n) => {
      const l = repo.labels.find((x) => x.name === n);
      return { name: n, color: l?.color ?? 'ededed', description: l?.description ?? null };
    }),
    user: { login: i.user, type: i.user.endsWith('[bot]') ? 'Bot' : 'User' },
    comments: repo.comments.filter((c) => c.issueNumber === i.number).length,
    html_url: `https://github.com/${repo.owner}/${repo.name}/${i.isPullRequest ? 'pull' : 'issues'}/${i.number}`,
    url: `${api}/issues/${i.number}`,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    ...(i.isPullRequest ? { pull_request: { url: `${api}/pulls/${i.number}` } } : {}),
  };
}

function commentJson(ctx: Ctx, repo: EmuRepo, c: EmuComment) {
  return {
    id: c.id,
    body: c.body,
    user: { login: c.user },
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    html_url: `https://github.com/${repo.owner}/${repo.name}/issues/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${ctx.base}/repos/${repo.owner}/${repo.name}/issues/${c.issueNumber}`,
    reactions: { total_count: c.reactions.length },
  };
}

function repoJson(repo: EmuRepo) {
  return {
    id: Math.abs(hash(`${repo.owner}/${repo.name}`)),
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: { login: repo.owner },
    private: repo.private,
    visibility: repo.private ? 'private' : 'public',
    archived: repo.archived,
    fork: repo.fork,
    default_branch: repo.defaultBranch,
    topics: repo.topics,
    clone_url: `https://github.com/${repo.owner}/${repo.name}.git`,
    html_url: `https://github.com/${repo.owner}/${repo.name}`,
  };
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}

/** One page of `items` with a Link header like GitHub's (first, prev, next, last). */
function paged<T>(ctx: Ctx, path: string, items: T[]): Reply {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.per_page ?? 30)));
  const page = Math.max(1, Number(ctx.query.page ?? 1));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams({ ...ctx.query, per_page: String(perPage), page: String(p) });
    return `<${ctx.base}${path}?${q}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  return { status: 200, body: slice, headers: links.length ? { link: links.join(', ') } : {} };
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new HttpError(422, `Invalid request: '${name}' must be a string`);
  return v;
}

const routes: [string, RegExp, Handler][] = [
  [
    'GET',
    /^\/user$/,
    (_m, ctx) => {
      // An App installation token (GITHUB_TOKEN among them) acts as a `[bot]` user and may not read /user.
      if (ctx.login.endsWith('[bot]')) throw new HttpError(403, 'Resource not accessible by integration');
      return { status: 200, body: { login: ctx.login, type: 'User' } };
    },
  ],
  [
    'GET',
    /^\/rate_limit$/,
    (_m, ctx) => ({ status: 200, body: { resources: { core: ctx.state.rateLimit } } }),
  ],
  [
    'GET',
    /^\/repos\/([^/]+)\/([^/]+)$/,
    ([o, r], ctx) => ({ status: 200, body: repoJson(repoOf(ctx, o!, r!)) }),
  ],
  [
    'GET',
    /^\/repos\/([^/]+)\/([^/]+)\/issues$/,
    ([o, r], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const want = (ctx.query.labels ?? '').split(',').filter(Boolean);
      const state = ctx.query.state ?? 'open';
      const list = repo.issues
        .filter((i) => state === 'all' || i.state === state)
        .filter((i) => want.every((l) => i.labels.includes(l)))
        .sort((a, b) => b.number - a.number)
        .map((i) => issueJson(ctx, repo, i));
      return paged(ctx, `/repos/${o}/${r}/issues`, list);
    },
  ],
  [
    'POST',
    /^\/repos\/([^/]+)\/([^/]+)\/issues$/,
    ([o, r], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const labels = ((ctx.body.labels as unknown[]) ?? []).map((l) => String(l));
      for (const l of labels) {
        // Like GitHub, labels that do not exist yet are created with a default colour.
        if (!repo.labels.some((x) => x.name === l))
          repo.labels.push({ name: l, color: 'ededed', description: null });
      }
      const t = now();
      const issue: EmuIssue = {
        number: nextNumber(repo),
        title: str(ctx.body.title, 'title'),
        body: typeof ctx.body.body === 'string' ? ctx.body.body : '',
        state: 'open',
        labels,
        user: ctx.login,
        isPullRequest: false,
        createdAt: t,
        updatedAt: t,
      };
      repo.issues.push(issue);
      return { status: 201, body: issueJson(ctx, repo, issue) };
    },
  ],
  [
    'GET',
    /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/,
    ([o, r, n], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      return { status: 200, body: issueJson(ctx, repo, issueOf(repo, Number(n))) };
    },
  ],
  [
    'PATCH',
    /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/,
    ([o, r, n], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const issue = issueOf(repo, Number(n));
      if (ctx.body.title !== undefined) issue.title = str(ctx.body.title, 'title');
      if (ctx.body.body !== undefined) issue.body = str(ctx.body.body, 'body');
      if (ctx.body.state !== undefined) {
        if (ctx.body.state !== 'open' && ctx.body.state !== 'closed')
          throw new HttpError(422, `Invalid request: state must be open or closed`);
        issue.state = ctx.body.state;
      }
      if (Array.isArray(ctx.body.labels)) issue.labels = ctx.body.labels.map(String);
      issue.updatedAt = now();
      return { status: 200, body: issueJson(ctx, repo, issue) };
    },
  ],
  [
    'GET',
    /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
    ([o, r, n], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      issueOf(repo, Number(n));
      const list = repo.comments
        .filter((c) => c.issueNumber === Number(n))
        .map((c) => commentJson(ctx, repo, c));
      return paged(ctx, `/repos/${o}/${r}/issues/${n}/comments`, list);
    },
  ],
  [
    'POST',
    /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
    ([o, r, n], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      issueOf(repo, Number(n));
      const t = now();
      const c: EmuComment = {
        id: ctx.state.nextId++,
        issueNumber: Number(n),
        body: str(ctx.body.body, 'body'),
        user: ctx.login,
        createdAt: t,
        updatedAt: t,
        reactions: [],
      };
      repo.comments.push(c);
      return { status: 201, body: commentJson(ctx, repo, c) };
    },
  ],
  [
    'GET',
    /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/,
    ([o, r, id], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      return { status: 200, body: commentJson(ctx, repo, commentOf(repo, Number(id))) };
    },
  ],
  [
    'PATCH',
    /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/,
    ([o, r, id], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const c = commentOf(repo, Number(id));
      c.body = str(ctx.body.body, 'body');
      c.updatedAt = now();
      return { status: 200, body: commentJson(ctx, repo, c) };
    },
  ],
  [
    'POST',
    /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/,
    ([o, r, id], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const c = commentOf(repo, Number(id));
      const content = str(ctx.body.content, 'content');
      if (!['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'].includes(content))
        throw new HttpError(422, `Invalid request: unknown reaction '${content}'`);
      const existing = c.reactions.find((x) => x.content === content && x.user === ctx.login);
      if (existing) return { status: 200, body: { id: existing.id, content, user: { login: ctx.login } } };
      const reaction = { id: ctx.state.nextId++, content, user: ctx.login };
      c.reactions.push(reaction);
      return { status: 201, body: { id: reaction.id, content, user: { login: ctx.login } } };
    },
  ],
  [
    'GET',
    /^\/repos\/([^/]+)\/([^/]+)\/labels\/([^/]+)$/,
    ([o, r, name], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const l = repo.labels.find((x) => x.name.toLowerCase() === decodeURIComponent(name!).toLowerCase());
      if (!l) throw new HttpError(404, 'Not Found');
      return { status: 200, body: l };
    },
  ],
  [
    'POST',
    /^\/repos\/([^/]+)\/([^/]+)\/labels$/,
    ([o, r], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const name = str(ctx.body.name, 'name');
      if (repo.labels.some((x) => x.name.toLowerCase() === name.toLowerCase()))
        throw new HttpError(422, 'Validation Failed: label already_exists');
      const l = {
        name,
        color: typeof ctx.body.color === 'string' ? ctx.body.color : 'ededed',
        description: typeof ctx.body.description === 'string' ? ctx.body.description : null,
      };
      repo.labels.push(l);
      return { status: 201, body: l };
    },
  ],
  [
    'GET',
    /^\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)\/permission$/,
    ([o, r, user], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const role = repo.collaborators[user!] ?? (repo.private ? 'none' : 'read');
      if (role === 'none' && repo.private) throw new HttpError(404, `${user} is not a user`);
      return {
        status: 200,
        body: {
          permission: LEGACY_PERMISSION[role],
          role_name: role,
          user: { login: user, permissions: ROLE_PERMISSIONS[role], role_name: role },
        },
      };
    },
  ],
  [
    'GET',
    /^\/repos\/([^/]+)\/([^/]+)\/commits\/([0-9a-f]{7,40})\/pulls$/,
    ([o, r, sha], ctx) => {
      const repo = repoOf(ctx, o!, r!);
      const nums = Object.entries(repo.commitPulls)
        .filter(([k]) => k.startsWith(sha!))
        .flatMap(([, v]) => v);
      return {
        status: 200,
        body: nums.map((n) => ({
          number: n,
          state: 'open',
          html_url: `https://github.com/${o}/${r}/pull/${n}`,
        })),
      };
    },
  ],
  [
    'GET',
    /^\/(orgs|users)\/([^/]+)\/repos$/,
    ([kind, owner], ctx) => {
      const names = (kind === 'orgs' ? ctx.state.orgs : ctx.state.users)[owner!];
      if (!names) throw new HttpError(404, 'Not Found');
      const list = names.map((n) => ctx.state.repos[`${owner}/${n}`]).filter((x): x is EmuRepo => !!x);
      return paged(ctx, `/${kind}/${owner}/repos`, list.map(repoJson));
    },
  ],
  [
    'GET',
    /^\/search\/issues$/,
    (_m, ctx) => {
      // The subset of the search syntax keyleak needs: repo:o/r, label:x, is:issue, and quoted phrases.
      const q = ctx.query.q ?? '';
      const repoQ = /repo:(\S+)/.exec(q)?.[1];
      const labels = [...q.matchAll(/label:(\S+)/g)].map((m) => m[1]!);
      const phrases = [...q.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
      const items = [];
      for (const [full, repo] of Object.entries(ctx.state.repos)) {
        if (repoQ && repoQ !== full) continue;
        for (const i of repo.issues) {
          if (/is:issue/.test(q) && i.isPullRequest) continue;
          if (!labels.every((l) => i.labels.includes(l))) continue;
          if (!phrases.every((p) => i.title.includes(p) || i.body.includes(p))) continue;
          items.push(issueJson(ctx, repo, i));
        }
      }
      const r = paged(ctx, '/search/issues', items);
      return { ...r, body: { total_count: items.length, incomplete_results: false, items: r.body } };
    },
  ],
];

function nextNumber(repo: EmuRepo): number {
  return repo.issues.reduce((a, i) => Math.max(a, i.number), 0) + 1;
}

function issueOf(repo: EmuRepo, n: number): EmuIssue {
  const i = repo.issues.find((x) => x.number === n);
  if (!i) throw new HttpError(404, 'Not Found');
  return i;
}

function commentOf(repo: EmuRepo, id: number): EmuComment {
  const c = repo.comments.find((x) => x.id === id);
  if (!c) throw new HttpError(404, 'Not Found');
  return c;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Starts the emulator on a free local port. */
export function startGitHubEmulator(state: GitHubState): Promise<GitHubEmulator> {
  const requests: EmuRequest[] = [];
  let base = '';
  const waiting = new Map<EmuBarrier, (() => void)[]>();
  async function passBarriers(method: string, path: string): Promise<void> {
    const b = (state.barriers ?? []).find(
      (x) => x.count > 0 && (!x.method || x.method === method) && x.path.test(path),
    );
    if (!b) return;
    const queue = waiting.get(b) ?? [];
    waiting.set(b, queue);
    if (queue.length + 1 >= b.count) {
      b.count = 0;
      for (const release of queue.splice(0)) release();
      return;
    }
    await new Promise<void>((resolve) => queue.push(resolve));
  }
  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    await passBarriers(method, url.pathname);
    let body: unknown = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = raw;
    }
    const record: EmuRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      status: 0,
    };
    requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const rl = state.rateLimit;
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-ratelimit-limit': String(rl.limit),
        'x-ratelimit-remaining': String(rl.remaining),
        'x-ratelimit-reset': String(rl.reset),
        'x-ratelimit-used': String(rl.limit - rl.remaining),
        'x-ratelimit-resource': 'core',
        'x-github-request-id': `EMU:${requests.length}`,
        ...headers,
      });
      res.end(status === 204 ? undefined : JSON.stringify(payload));
    };
    try {
      const auth = req.headers.authorization ?? '';
      const token = /^(?:token|bearer)\s+(\S+)$/i.exec(auth)?.[1];
      const login = token ? state.tokens[token] : undefined;
      if (!login) throw new HttpError(401, 'Bad credentials');
      const fault = state.faults.find(
        (f) => f.times > 0 && (!f.method || f.method === method) && f.path.test(url.pathname),
      );
      if (fault && !fault.afterHandling) {
        fault.times--;
        if (fault.hang) return;
        return send(fault.status, fault.body ?? { message: `injected fault ${fault.status}` }, fault.headers);
      }
      if (state.rateLimit.remaining > 0) state.rateLimit.remaining--;
      for (const [m, re, handler] of routes) {
        if (m !== method) continue;
        const match = re.exec(url.pathname);
        if (!match) continue;
        const reply = handler(match.slice(1), {
          query: record.query,
          body: (body && typeof body === 'object' ? body : {}) as Record<string, unknown>,
          login,
          base,
          state,
        });
        if (fault) {
          // The request took effect, but the answer is lost on the way back (a 502 from a proxy, say).
          fault.times--;
          return send(
            fault.status,
            fault.body ?? { message: `injected fault ${fault.status}` },
            fault.headers,
          );
        }
        return send(reply.status, reply.body, reply.headers);
      }
      throw new HttpError(404, 'Not Found');
    } catch (e) {
      if (e instanceof HttpError)
        return send(
          e.status,
          { message: e.message, documentation_url: 'https://docs.github.com/rest' },
          e.headers,
        );
      return send(500, { message: (e as Error).message });
    }
  }

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({
        url: base,
        state,
        requests,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** The answer GitHub gives when a secondary rate limit is hit. */
export function secondaryRateLimit(path: RegExp, retryAfterSeconds: number, times = 1, method?: string) {
  return {
    method,
    path,
    status: 403,
    times,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
    },
  };
}
