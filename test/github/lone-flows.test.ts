import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GitHub } from '../../src/adapters/github.js';
import { Git } from '../../src/adapters/git.js';
import type { FlowDeps, RespondOptions, Responded, Responder } from '../../src/commands/ports.js';
import { runPullRequest } from '../../src/commands/pull-request.js';
import { runPush } from '../../src/commands/push.js';
import { runRescan } from '../../src/commands/rescan.js';
import { EMPTY_CONFIG } from '../../src/core/config.js';
import { incidentId } from '../../src/core/incident-wire.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from '../../src/core/render/incident.js';
import { fingerprintSecret, redactSecret } from '../../src/core/redact.js';
import type { ScanResult } from '../../src/scan/result.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { makePair, makeSecret } from '../helpers/keys.js';
import { git, pushPayload, World } from '../action/harness.js';

/** Records the key ids it is asked about and calls them live; a lone secret must never reach it. */
class RecordingResponder implements Responder {
  calls: { keyIds: string[]; opts: RespondOptions }[] = [];
  async respond(result: ScanResult, opts: RespondOptions): Promise<Responded> {
    this.calls.push({ keyIds: result.report.findings.map((f) => f.keyId), opts });
    const findings = result.report.findings.map((f) => ({
      ...f,
      verification: {
        status: 'live' as const,
        reason: null,
        accountId: f.accountId,
        arn: null,
        userName: null,
      },
      response: { action: 'dry-run' as const, detail: 'would deactivate', at: '2024-01-02T00:00:00Z' },
    }));
    return { report: { ...result.report, findings }, trails: new Map(), notes: new Map() };
  }
}

const worlds: World[] = [];
let emu: GitHubEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
});
afterAll(() => worlds.forEach((w) => w.cleanup()));

/**
 * A repository where one secret (`a`) is labelled in two files of two commits, another (`b`) in one, and
 * a key with its secret sits in a third commit: two lone secrets and one key.
 */
async function setup() {
  const w = new World();
  worlds.push(w);
  const a = makeSecret();
  const b = makeSecret();
  const k = makePair();
  const base = w.commit('init', { 'README.md': 'x\n' });
  w.commit('ci', { 'ci/deploy.yml': `env:\n  AWS_REGION: eu-west-1\n  AWS_SECRET_ACCESS_KEY: ${a}\n` });
  w.commit('settings', {
    '.env': `AWS_SECRET_ACCESS_KEY=${a}\n`,
    'config/b.ini': `aws_secret_access_key = ${b}\n`,
  });
  const head = w.commit('key', {
    'app.env': `aws_access_key_id = ${k.keyId}\naws_secret_access_key = ${k.secret}\n`,
  });
  w.push('main');
  emu = await startGitHubEmulator(makeState(['octo/app']));
  emu.state.repos['octo/app']!.collaborators = { mia: 'write' };
  const responder = new RecordingResponder();
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
    uploadTrails: async () => null,
  };
  const state = emu.state.repos['octo/app']!;
  const issueOf = (secret: string) =>
    state.issues.find((i) => incidentId(i.body) === fingerprintSecret(secret))!;
  return { w, a, b, k, base, head, emu, deps, responder, state, issueOf };
}

function commentOn(e: GitHubEmulator, issueNumber: number, user: string, body: string) {
  const id = e.state.nextId++;
  e.state.repos['octo/app']!.comments.push({
    id,
    issueNumber,
    body,
    user,
    createdAt: 'x',
    updatedAt: 'x',
    reactions: [],
  });
  return { action: 'created', issue: { number: issueNumber }, comment: { id, body, user: { login: user } } };
}

describe('incidents of secrets found without their key id, through the GitHub emulator', () => {
  it('a push opens one incident per secret fingerprint beside the key’s, and asks AWS about the key alone', async () => {
    const { a, b, k, base, head, emu, deps, responder, state, issueOf } = await setup();
    const out = await runPush(deps, pushPayload('refs/heads/main', base, head));
    expect(responder.calls.map((c) => c.keyIds)).toEqual([[k.keyId]]);
    expect(out.issues).toHaveLength(3);
    expect(state.issues.map((i) => i.title).sort()).toEqual(
      [
        `Leaked AWS key ${k.keyId} (live, dry run)`,
        `Leaked AWS secret access key ${a.slice(0, 4)}… without its key id (not verified)`,
        `Leaked AWS secret access key ${b.slice(0, 4)}… without its key id (not verified)`,
      ].sort(),
    );
    const ia = issueOf(a).body;
    expect(ia).toContain(`\`${redactSecret(a)}\``);
    expect(ia).toContain('ci/deploy.yml:3');
    expect(ia).toContain('.env:1');
    expect(ia).not.toMatch(/- \[x\]/);
    // The tailored plan reads the secret back from its commits and removes it from both files.
    expect(ia).toContain('<!-- keyleak:plan tailored -->');
    expect(ia).toMatch(/git cat-file blob '[0-9a-f]{40}:ci\/deploy\.yml' \| sed -n '3p' \| cut -b /);
    expect(ia).toContain('| unknown (secret found without it) |');
    for (const s of [a, b, k.secret]) expect(JSON.stringify(emu.state)).not.toContain(s);
  });

  it('a second run over the same history changes nothing', async () => {
    const { base, head, emu, deps } = await setup();
    const event = pushPayload('refs/heads/main', base, head);
    await runPush(deps, event);
    const writes = () => emu.requests.filter((q) => q.method !== 'GET').length;
    const before = writes();
    const again = await runPush(deps, event);
    expect(again.notes.filter((n) => n.endsWith(': unchanged.'))).toHaveLength(3);
    expect(writes()).toBe(before);
  });

  it('the secret leaking in a new place updates its incident with one comment saying where', async () => {
    const { w, a, base, head, deps, state, issueOf } = await setup();
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const next = w.commit('prod', { 'deploy/prod.env': `# production\nAWS_SECRET_ACCESS_KEY=${a}\n` });
    w.push('main');
    deps.git = await Git.open(w.checkout('main', next));
    const out = await runPush(deps, pushPayload('refs/heads/main', head, next));
    expect(out.notes).toEqual([
      expect.stringMatching(/^Incident #\d+ for keyleak:v1:secret:[0-9a-f]{32}: updated\.$/),
    ]);
    const issue = issueOf(a);
    const comments = state.comments.filter((c) => c.issueNumber === issue.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toMatch(/Found in 1 new location: `deploy\/prod\.env`:2 in `[0-9a-f]{12}`\./);
    expect(issue.body).toContain('ci/deploy.yml:3');
    expect(issue.body).toContain('deploy/prod.env:2');
  });

  it('/rescan scans the history again, says the secret is still there, and makes no AWS call', async () => {
    const { a, base, head, emu, deps, responder, state, issueOf } = await setup();
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const n = issueOf(a).number;
    const out = await runRescan(deps, commentOn(emu, n, 'mia', '/rescan'));
    expect(out.issues).toEqual([n]);
    expect(responder.calls).toHaveLength(1);
    const reply = state.comments.filter((c) => c.issueNumber === n && c.user === 'keyleak-bot').at(-1)!;
    expect(reply.body).toContain('keyleak scanned the history again; the secret is still in it (2 places)');
    expect(state.issues).toHaveLength(3);
  });

  it('/rescan once the secret is gone from the branch says so and keeps where it leaked', async () => {
    const { w, a, base, head, emu, deps, state, issueOf } = await setup();
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const n = issueOf(a).number;
    // The history is rewritten without the secret and force-pushed; the runner's checkout is fresh.
    git(w.dev, 'reset', '-q', '--hard', base);
    const clean = w.commit('ci', { 'ci/deploy.yml': 'env:\n  AWS_REGION: eu-west-1\n' });
    w.push('--force', 'main');
    deps.git = await Git.open(w.checkout('main', clean));
    const out = await runRescan(deps, commentOn(emu, n, 'mia', '/rescan'));
    expect(out.notes.join(' ')).toContain('the secret is no longer in the history');
    const reply = state.comments.filter((c) => c.issueNumber === n && c.user === 'keyleak-bot').at(-1)!;
    expect(reply.body).toContain("the secret is no longer in this repository's branches and tags");
    const body = issueOf(a).body;
    expect(body).toContain('ci/deploy.yml:3');
    expect(body).toContain(`\`${redactSecret(a)}\``);
  });

  it('/deactivate on a secret without its key id does nothing and says how to act', async () => {
    const { a, base, head, emu, deps, responder, state, issueOf } = await setup();
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const n = issueOf(a).number;
    await runRescan(deps, commentOn(emu, n, 'mia', '/deactivate'));
    expect(responder.calls).toHaveLength(1);
    const reply = state.comments.filter((c) => c.issueNumber === n && c.user === 'keyleak-bot').at(-1)!;
    expect(reply.body).toContain('`/deactivate` needs a key id');
    expect(reply.body).toContain('Nothing was done');
  });

  it('/rescan of the key refreshes its incident alone, not the secrets of the same history', async () => {
    const { k, base, head, emu, deps, state } = await setup();
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const keyIssue = state.issues.find((i) => incidentId(i.body) === k.keyId)!;
    const patched = () =>
      emu.requests.filter((q) => q.method === 'PATCH' && /\/issues\/\d+$/.test(q.path)).map((q) => q.path);
    const before = patched().length;
    await runRescan(deps, commentOn(emu, keyIssue.number, 'mia', '/rescan'));
    expect(state.issues).toHaveLength(3);
    expect(patched().slice(before)).toEqual([`/repos/octo/app/issues/${keyIssue.number}`]);
  });

  it('a push that brings a lone secret and a runbook template of its own gets the template from before it', async () => {
    const { w, head, deps, state } = await setup();
    const hostile = 'Rotate it now: [sign in here](https://evil.example/login)';
    const next = w.commit('more', {
      '.github/keyleak-runbook.md': hostile,
      'deploy/prod.yml': `AWS_SECRET_ACCESS_KEY: ${makeSecret()}\n`,
    });
    w.push('main');
    deps.git = await Git.open(w.checkout('main', next));
    deps.contacts = hostile;
    deps.contactsPath = '.github/keyleak-runbook.md';
    const out = await runPush(deps, pushPayload('refs/heads/main', head, next));
    expect(state.issues).toHaveLength(1);
    expect(state.issues[0]!.body).toContain(DEFAULT_RUNBOOK_TEMPLATE);
    expect(state.issues[0]!.body).not.toContain('evil.example');
    expect(out.report.warnings.join('\n')).toMatch(/runbook-template\) is changed in this push/);
  });

  it('a pull request that brings only a lone secret gets a comment naming its fingerprint and incident, never its value', async () => {
    const { w, head, emu, deps, state } = await setup();
    w.push('main');
    git(w.dev, 'checkout', '-q', '-b', 'feature');
    const s = makeSecret();
    const pr = w.commit('deploy', { 'deploy/prod.yml': `AWS_SECRET_ACCESS_KEY: ${s}\n` });
    w.push('feature');
    deps.git = await Git.open(w.checkout('feature', pr));
    state.issues.push({
      number: 7,
      title: 'Deploy',
      body: '',
      state: 'open',
      labels: [],
      user: 'dev',
      isPullRequest: true,
      createdAt: '2024-01-01T00:00:00Z',
      updatedAt: '2024-01-01T00:00:00Z',
    });
    const out = await runPullRequest(deps, {
      pull_request: {
        number: 7,
        base: { sha: head, repo: { full_name: 'octo/app' } },
        head: { sha: pr, repo: { full_name: 'octo/app' } },
      },
    });
    expect(out.report.loneSecrets).toHaveLength(1);
    expect(out.problems).toEqual([]);
    const comment = emu.state.repos['octo/app']!.comments.find((c) => c.issueNumber === 7)!;
    expect(comment.body).toContain('1 AWS secret access key without a key id');
    expect(comment.body).not.toContain('No leaked AWS keys');
    expect(comment.body).toContain(fingerprintSecret(s));
    expect(comment.body).toContain('deploy/prod.yml');
    expect(comment.body).toContain(`Incidents: #${out.issues[0]}.`);
    expect(comment.body).not.toContain(s);
    expect(comment.body).not.toContain(redactSecret(s));
  });

  it('an outsider’s issue carrying a copied secret marker gets one reply, and nothing is scanned', async () => {
    const { a, base, head, emu, deps, state, issueOf } = await setup();
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const copy = issueOf(a).body;
    const n = state.issues.length + 1;
    state.issues.push({
      number: n,
      title: 'Leaked AWS secret',
      body: copy,
      state: 'open',
      labels: ['keyleak'],
      user: 'eve',
      isPullRequest: false,
      createdAt: 'x',
      updatedAt: 'x',
    });
    const fetched = emu.requests.length;
    const out = await runRescan(deps, commentOn(emu, n, 'mia', '/rescan'));
    expect(out.notes.join(' ')).toMatch(/keyleak did not open it/);
    const replies = state.comments.filter((c) => c.issueNumber === n && c.user === 'keyleak-bot');
    expect(replies).toHaveLength(1);
    expect(emu.requests.slice(fetched).filter((q) => q.method === 'PATCH')).toEqual([]);
  });

  const markers: [string, boolean, boolean][] = [
    ['an allow marker the push adds beside a lone secret does not silence it', false, true],
    ['a marker that was there before the push keeps the secret silenced', true, false],
  ];
  it.each(markers)('%s', async (_name, markedBefore, reported) => {
    const { w, head, deps, state } = await setup();
    const secret = makeSecret();
    const line = `AWS_SECRET_ACCESS_KEY: ${secret} # keyleak:allow\n`;
    let from = head;
    if (markedBefore) {
      from = w.commit('accepted', { 'ci/test.yml': line });
      w.push('main');
    }
    const next = w.commit('change', {
      'ci/test.yml': `${markedBefore ? line : ''}# more\n${markedBefore ? '' : line}`,
    });
    w.push('main');
    deps.git = await Git.open(w.checkout('main', next));
    const out = await runPush(deps, pushPayload('refs/heads/main', from, next));
    const fp = fingerprintSecret(secret);
    expect(state.issues.some((i) => incidentId(i.body) === fp)).toBe(reported);
    if (reported) {
      expect(out.report.warnings.join('\n')).toContain(
        `allow marker (keyleak:allow) added in this push for the secret ${fp} (no key id)`,
      );
    } else {
      expect(out.report.suppressed.map((x) => [x.fingerprint, x.reason])).toEqual([[fp, 'inline-allow']]);
    }
    expect(JSON.stringify(out.report.warnings)).not.toContain(secret);
  });

  it('on a public repository the incident leaves the redacted form out of the title, the body and the plan', async () => {
    const { a, base, head, emu, deps, issueOf } = await setup();
    deps.withholdDetails = true;
    await runPush(deps, pushPayload('refs/heads/main', base, head));
    const issue = issueOf(a);
    expect(issue.title).toBe(`Leaked AWS secret access key found (${fingerprintSecret(a).slice(-8)})`);
    expect(issue.body).not.toContain(redactSecret(a));
    expect(issue.body).toContain('<!-- keyleak:plan tailored -->');
    expect(JSON.stringify(emu.state)).not.toContain(a);
  });
});
