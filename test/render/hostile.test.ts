/* eslint-disable no-control-regex -- the test looks for control characters */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderPrComment } from '../../src/commands/pull-request.js';
import type { TrailSummary } from '../../src/core/incident.js';
import { fingerprintSecret, redactSecret } from '../../src/core/redact.js';
import { terminal, workflowLine } from '../../src/core/render/escape.js';
import { renderIncidentBody, renderIncidentTitle } from '../../src/core/render/incident.js';
import { renderMarkdown } from '../../src/core/render/markdown.js';
import { renderOrgSummary, type OrgSummary } from '../../src/core/render/org-summary.js';
import { renderRewriteMarkdown } from '../../src/core/render/rewrite-markdown.js';
import { renderRewriteScript } from '../../src/core/render/rewrite-sh.js';
import { renderSarif } from '../../src/core/render/sarif.js';
import { renderText } from '../../src/core/render/text.js';
import { renderTrailText, renderTrailTsv } from '../../src/core/render/trail.js';
import { buildRewritePlan } from '../../src/core/rewrite-plan.js';
import type { Finding, LoneSecret, ScanReport } from '../../src/core/types.js';
import type { AttackDigest } from '../../src/core/attack-digest.js';
import { renderAttackSection } from '../../src/core/render/attack.js';
import { makeKeyId, makeSecret } from '../helpers/keys.js';

// Every renderer gets the same hostile strings in every field a repository, an author or a key holder
// chooses, and every output is checked against what its sink would do with them.

const CORPUS: string[] = readFileSync(join(import.meta.dirname, 'testdata/hostile-strings.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as string);

const C = (i: number) => i.toString(16).padStart(40, 'c');
const T = (i: number) => i.toString(16).padStart(40, 'd');
const KEY = makeKeyId('AKIA');
const SECRET = makeSecret();

const finding: Finding = {
  keyId: KEY,
  keyKind: 'long-term',
  accountId: '123456789012',
  canary: false,
  secretFound: true,
  secretRedacted: redactSecret(SECRET),
  sessionTokenFound: false,
  fingerprint: 'keyleak:v1:0',
  locations: [
    { commit: T(99), path: null, line: 3, author: null, date: null, tag: 'refs/tags/v1.0' },
    ...CORPUS.map((h, i) => ({
      commit: C(i),
      path: `dir/${h}.env`,
      line: 1,
      author: `${h} <evil@example.com>`,
      date: '2024-01-01T00:00:00Z',
    })),
    // Annotated tags' messages: the tag's name is the repository's too.
    ...CORPUS.map((h, i) => ({
      commit: T(i),
      path: null,
      line: 3,
      author: `${h} <evil@example.com>`,
      date: '2024-01-01T00:00:00Z',
      tag: `refs/tags/v1-${h}`,
    })),
  ],
  verification: {
    status: 'invalid',
    reason: CORPUS.join(' '),
    accountId: null,
    arn: CORPUS[0]!,
    userName: null,
  },
  response: { action: 'failed', detail: CORPUS.join(' '), at: '2024-01-02T00:00:00Z', errors: CORPUS },
};

const report: ScanReport = {
  findings: [finding],
  suppressed: [],
  stats: { mode: 'range', objectsScanned: 1, bytesScanned: 1, commitsScanned: 1, durationMs: 1 },
  incomplete: false,
  warnings: CORPUS,
};

const trail: TrailSummary = {
  keyId: KEY,
  window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' },
  regions: ['us-east-1'],
  totalEvents: CORPUS.length,
  ownEvents: 0,
  byIp: CORPUS.map((h) => ({ ip: h, count: 1, first: '2024-01-01T00:00:00Z', last: '2024-01-01T00:00:00Z' })),
  byUserAgent: CORPUS.map((h) => ({ userAgent: h, count: 1 })),
  byEvent: CORPUS.map((h) => ({ eventSource: h, eventName: h, count: 1, errors: 0 })),
  incompleteRegions: CORPUS.map((h) => ({ region: h, reason: h })),
};

// What the attacker did, every field the key's holder chose hostile: names, errors, regions, agents.
const activity: AttackDigest = {
  window: trail.window,
  actions: CORPUS.map((h, i) => ({
    eventId: String(i),
    eventTime: '2024-01-01T00:00:00Z',
    eventName: h,
    eventSource: 'iam.amazonaws.com',
    region: h,
    sourceIPAddress: h,
    userAgent: h,
    category: i % 2 ? ('access' as const) : ('resources' as const),
    severity: 4 as const,
    what: 'created an IAM user',
    cite: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html',
    failed: i % 3 ? null : h,
    via: i % 4 ? null : h,
    items: [{ kind: 'IAM user', id: h, detail: h }],
    undo: [
      ['aws', 'iam', 'delete-user', '--user-name', h],
      ['aws', 'iam', 'delete-login-profile', '--user-name', `${h}\n$(touch keyleak-injected)`],
    ],
    review: 'check who else uses it',
  })),
  minted: CORPUS.map((h) => ({
    keyId: h,
    kind: 'session' as const,
    roleArn: h,
    sessionName: h,
    userName: h,
    expiry: h,
    mintedBy: h,
    eventTime: '2024-01-01T00:00:00Z',
    region: h,
    via: h,
  })),
  reconnaissance: {
    total: CORPUS.length,
    calls: CORPUS.map((h) => ({ eventSource: h, eventName: h, count: 1 })),
  },
  denied: { total: CORPUS.length, calls: CORPUS.map((h) => ({ eventSource: h, eventName: h, count: 1 })) },
  noise: { total: 0, calls: [] },
  followed: CORPUS.map((h) => ({ keyId: h, via: h, events: 1, incomplete: h })),
  follow: { maxDepth: 3, maxKeys: 20, notFollowed: [] },
};
const trailWithActivity: TrailSummary = { ...trail, activity };

const plan = buildRewritePlan([finding], {
  source: 'https://x-access-token:ghs_secret@github.com/octo/app.git',
  defaultBranch: 'refs/heads/main',
  refsByCommit: Object.fromEntries(CORPUS.map((h, i) => [C(i), [`refs/heads/${h}`]])),
  head: C(0),
  headBranch: 'refs/heads/main',
  sharedCommits: CORPUS.map((_, i) => C(i)),
  pullRequestsByCommit: {},
  spans: CORPUS.map((h, i) => ({
    keyId: KEY,
    kind: 'secret' as const,
    commit: C(i),
    path: `dir/${h}.env`,
    line: 2,
    start: 1,
    end: 40,
  })),
  credentialFiles: CORPUS.map((h) => `dir/${h}.env`),
  sensitiveDataRemoval: null,
  incidentUrl: null,
});

// A secret found without its key id, in the same hostile places, with the plan that removes it.
const lone: LoneSecret = {
  secretRedacted: redactSecret(SECRET),
  fingerprint: fingerprintSecret(SECRET),
  locations: finding.locations,
};
const lonePlan = buildRewritePlan(
  [],
  {
    source: 'https://github.com/octo/app.git',
    defaultBranch: 'refs/heads/main',
    refsByCommit: Object.fromEntries(CORPUS.map((h, i) => [C(i), [`refs/heads/${h}`]])),
    head: C(0),
    headBranch: 'refs/heads/main',
    sharedCommits: CORPUS.map((_, i) => C(i)),
    pullRequestsByCommit: {},
    spans: CORPUS.map((h, i) => ({
      keyId: lone.fingerprint,
      kind: 'secret' as const,
      commit: C(i),
      path: `dir/${h}.env`,
      line: 2,
      start: 1,
      end: 40,
    })),
    credentialFiles: [],
    sensitiveDataRemoval: null,
    incidentUrl: null,
  },
  [lone],
);

const org: OrgSummary = {
  owner: 'octo',
  shards: ['1/1'],
  startedAt: '2024-01-01T00:00:00Z',
  durationMs: 1,
  listed: CORPUS.length,
  excluded: [],
  outcomes: CORPUS.map((h) => ({
    repo: `octo/${h}`,
    status: 'failed' as const,
    reason: h,
    scan: null,
    findings: 0,
    objects: 0,
    bytes: 0,
    commits: 0,
    durationMs: 0,
    incomplete: false,
  })),
  keys: [{ keyId: KEY, fingerprint: 'keyleak:v1:0', repos: CORPUS, locations: 1, status: 'live' }],
  loneSecrets: [
    {
      fingerprint: fingerprintSecret(SECRET),
      secretRedacted: redactSecret(SECRET),
      repos: CORPUS,
      locations: 1,
    },
  ],
  budgetExhausted: false,
  warnings: CORPUS,
};

const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Unescaped pipes in a table row: the cells GitHub would see. */
function cells(row: string): number {
  let n = 0;
  for (let i = 0; i < row.length; i++) if (row[i] === '|' && row[i - 1] !== '\\') n++;
  return n;
}

/** A line without its code spans, where mentions, links and HTML are inert. */
function outsideCode(l: string): string {
  return l.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
}

function checkMarkdown(md: string): void {
  const lines = md.split('\n');
  // keyleak's own markers carry raw values inside a comment that `--` cannot end.
  const rendered = lines.filter((l) => !/^<!-- keyleak:\w+ \{[\s\S]*\} -->$/.test(l));
  let fence: string | null = null;
  for (const line of rendered) {
    expect(line).not.toMatch(CONTROL);
    // Inside a fence nothing renders; the fences themselves are checked below.
    const f = /^\s*(`{3,})/.exec(line)?.[1];
    if (fence !== null) {
      if (f !== undefined && f.length >= fence.length && /^\s*`+$/.test(line)) fence = null;
      continue;
    }
    if (f !== undefined) {
      fence = f;
      continue;
    }
    expect(line.trimStart()).not.toMatch(/^::/);
    const l = outsideCode(line);
    expect(l).not.toMatch(/@octocat/);
    expect(l).not.toMatch(/\]\(https:\/\/evil|\]\(javascript:/);
    expect(l).not.toMatch(/<img|<script|<details open|<!-- keyleak:incident \{"keyId":"x"\}/);
    expect(l).not.toMatch(/(^|[^\u200b])https:\/\/evil/);
    expect(l).not.toMatch(/^\s*(run this|# heading|> quote|1\. list|\$\(touch)/);
  }
  // Every fence is one keyleak opened, and closes.
  const fences = rendered.filter((l) => /^\s*(`{3,}|~{3,})/.test(l));
  for (const f of fences) expect(f).toMatch(/^\s*`{3,}(sh|sql|mermaid|yaml)?$/);
  expect(fences.length % 2).toBe(0);
  // Every row of a table has as many cells as its header.
  let header: number | null = null;
  for (const l of rendered) {
    if (!l.startsWith('|')) header = null;
    else if (header === null) header = cells(l);
    else expect(cells(l), l).toBe(header);
  }
}

function checkTerminal(text: string): void {
  // Tabs separate TSV fields; nothing else below a space reaches the terminal.
  for (const l of text.split('\n')) expect(l.replace(/\t/g, ' ')).not.toMatch(CONTROL);
}

const tmp = mkdtempSync(join(tmpdir(), 'keyleak-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hostile strings through every renderer', () => {
  it('the job summary markdown', () => checkMarkdown(renderMarkdown(report)));

  it('the pull request comment', () =>
    checkMarkdown(renderPrComment(report, { number: 1, base: C(0), head: C(1), fork: false }, [])));

  it('the incident issue, CloudTrail section included', () => {
    const body = renderIncidentBody(finding, {
      repo: { owner: 'octo', repo: 'app' },
      serverUrl: 'https://github.com',
      runUrl: 'https://github.com/octo/app/actions/runs/1',
      trailArtifactUrl: null,
      refs: Object.fromEntries(CORPUS.map((h, i) => [C(i), [`refs/heads/${h}`]])),
      pulls: {},
      forcePush: null,
      trail,
      trailUnavailable: null,
      verificationNote: null,
      historyPlan: renderRewriteMarkdown(plan),
      contacts: 'contacts',
      checkedAt: '2024-01-02T00:00:00Z',
      quarantine: CORPUS,
    });
    checkMarkdown(body);
    expect(body).toContain("git clone --mirror 'https://github.com/octo/app.git'");
    expect(renderIncidentTitle(finding)).not.toMatch(CONTROL);
  });

  it("a lone secret's incident, its tailored plan included", () => {
    const ctx = {
      repo: { owner: 'octo', repo: 'app' },
      serverUrl: 'https://github.com',
      runUrl: null,
      trailArtifactUrl: null,
      refs: Object.fromEntries(CORPUS.map((h, i) => [C(i), [`refs/heads/${h}`]])),
      pulls: {},
      forcePush: null,
      trail: null,
      trailUnavailable: null,
      verificationNote: null,
      historyPlan: renderRewriteMarkdown(lonePlan),
      contacts: 'contacts',
      checkedAt: '2024-01-02T00:00:00Z',
    };
    const body = renderIncidentBody(lone, ctx);
    checkMarkdown(body);
    checkMarkdown(renderIncidentBody(lone, { ...ctx, historyPlan: null }));
    expect(renderIncidentTitle(lone)).not.toMatch(CONTROL);
    expect(body).not.toContain(SECRET);
  });

  it('the incident issue with what the attacker did', () => {
    const body = renderIncidentBody(finding, {
      repo: { owner: 'octo', repo: 'app' },
      serverUrl: 'https://github.com',
      runUrl: null,
      trailArtifactUrl: null,
      refs: {},
      pulls: {},
      forcePush: null,
      trail: trailWithActivity,
      trailUnavailable: null,
      verificationNote: null,
      historyPlan: null,
      contacts: 'contacts',
      checkedAt: '2024-01-02T00:00:00Z',
    });
    checkMarkdown(body);
    expect(body).toContain('## What the attacker did');
  });

  it('the attack section: every value a code span, no command that hides a line', () => {
    const md = renderAttackSection(activity, {
      maxRows: CORPUS.length,
      keyId: KEY,
      persistence: CORPUS.map((h) => ({
        kind: 'revoke-role-sessions' as const,
        what: 'denied older sessions of role',
        target: h,
        outcome: 'failed' as const,
        detail: h,
        undo: ['aws', 'iam', 'delete-role-policy', '--role-name', h],
        at: '2024-01-02T00:00:00Z',
      })),
      cost: null,
    }).join('\n');
    checkMarkdown(md);
    expect(md).not.toContain('keyleak-injected');
    expect(md).toMatch(/commands? left out: a value holds control characters/);
  });

  it('tag messages are named as tags in every markdown output', () => {
    const outputs = [
      renderMarkdown(report),
      renderPrComment(report, { number: 1, base: C(0), head: C(1), fork: false }, []),
      renderIncidentBody(finding, {
        repo: { owner: 'octo', repo: 'app' },
        serverUrl: 'https://github.com',
        runUrl: null,
        trailArtifactUrl: null,
        refs: {},
        pulls: {},
        forcePush: null,
        trail: null,
        trailUnavailable: null,
        verificationNote: null,
        historyPlan: renderRewriteMarkdown(plan),
        contacts: 'contacts',
        checkedAt: '2024-01-02T00:00:00Z',
      }),
    ];
    for (const md of outputs) {
      expect(md).toContain('message of tag `v1.0`');
      expect(md).not.toContain('commit message');
    }
    expect(renderText(report)).toContain('(message of tag v1.0)');
    const sarif = JSON.parse(renderSarif(report)) as { runs: { results: { message: { text: string } }[] }[] };
    const texts = sarif.runs[0]!.results.map((r) => r.message.text);
    expect(texts.some((t) => t.includes(`in the message of tag v1.0 (tag object ${T(99)})`))).toBe(true);
    expect(texts.join('\n')).not.toContain('message of commit');
  });

  it('the incident issue without CloudTrail, with the reason it was not read', () => {
    checkMarkdown(
      renderIncidentBody(finding, {
        repo: { owner: 'octo', repo: 'app' },
        serverUrl: 'https://github.com',
        runUrl: null,
        trailArtifactUrl: null,
        refs: {},
        pulls: {},
        forcePush: null,
        trail: null,
        trailUnavailable: CORPUS.join(' '),
        verificationNote: null,
        historyPlan: null,
        contacts: 'contacts',
        checkedAt: '2024-01-02T00:00:00Z',
      }),
    );
  });

  it('the rewrite plan markdown', () => {
    const md = renderRewriteMarkdown(plan);
    checkMarkdown(md);
    // The remote's token is gone; a file name that looks like a URL is a file name, kept as it is.
    expect(md).toContain("git clone --mirror 'https://github.com/octo/app.git'");
    expect(md).toContain("git push --force --mirror 'https://github.com/octo/app.git'");
  });

  it('the org summary', () => checkMarkdown(renderOrgSummary(org)));

  it('text output and CloudTrail tables reach the terminal with no control character', () => {
    checkTerminal(renderText(report));
    checkTerminal(renderTrailText(trail));
    checkTerminal(renderTrailText(trailWithActivity));
    expect(renderTrailText(trailWithActivity)).not.toContain('keyleak-injected');
    checkTerminal(
      renderTrailTsv(
        CORPUS.map((h) => ({
          region: 'us-east-1',
          event: {
            EventId: '1',
            EventName: h,
            ReadOnly: 'false',
            AccessKeyId: KEY,
            EventTime: '2024-01-01T00:00:00+00:00',
            EventSource: h,
            Resources: [],
            CloudTrailEvent: JSON.stringify({ sourceIPAddress: h, userAgent: h }),
          },
        })),
      ),
    );
  });

  it('annotations and log lines never start a workflow command', () => {
    for (const h of CORPUS) {
      const line = workflowLine(`could not read '${h}'`);
      expect(line).not.toMatch(/[\r\n\u2028\u2029\u0085]/);
      expect(workflowLine(h).trimStart()).not.toMatch(/^::/);
      expect(workflowLine(h)).not.toContain('##[');
      expect(terminal(h)).not.toMatch(CONTROL);
    }
  });

  it('SARIF: valid under GitHub ingestion rules, every URI well formed', () => {
    const sarif = renderSarif(report);
    const uris = (
      JSON.parse(sarif) as {
        runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
      }
    ).runs[0]!.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri);
    for (const u of uris) expect(u).toMatch(/^[A-Za-z0-9%._~/!$&'()*+,;=:@-]+$/);
    const file = join(tmp, 'hostile.sarif');
    writeFileSync(file, sarif);
    const bin = createRequire(import.meta.url)('@microsoft/sarif-multitool') as string;
    const out = join(tmp, 'validation.sarif');
    const v = spawnSync(bin, ['validate', '--rule-kind', 'Gh;Sarif', '--output', out, file], {
      encoding: 'utf8',
    });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')).runs[0].results as unknown[];
    expect(results).toEqual([]);
  }, 60_000);

  it('the plan script: one line per span, no added command, and shellcheck passes', () => {
    const sh = renderRewriteScript(plan);
    const lines = sh.split('\n');
    expect(lines.filter((l) => l.startsWith('add_span ')).length).toBe(CORPUS.length);
    for (const l of lines) expect(l).not.toMatch(/^\s*(run this|touch|::|\$\(touch)/);
    expect(lines.find((l) => l.startsWith('DEFAULT_SOURCE='))).toBe(
      "DEFAULT_SOURCE='https://github.com/octo/app.git'",
    );
    const file = join(tmp, 'plan.sh');
    writeFileSync(file, sh);
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).status).toBe(0);
    const sc = spawnSync('shellcheck', ['--severity=style', file], { encoding: 'utf8' });
    if (sc.error) throw new Error('shellcheck is not installed');
    expect(sc.status, sc.stdout).toBe(0);
  });

  it("a lone secret's plan script: one line per span, no key id line, and shellcheck passes", () => {
    const sh = renderRewriteScript(lonePlan);
    const lines = sh.split('\n');
    expect(lines.filter((l) => l.startsWith('add_span ')).length).toBe(CORPUS.length);
    expect(lines.filter((l) => l.startsWith('add_key '))).toEqual([]);
    for (const l of lines) expect(l).not.toMatch(/^\s*(run this|touch|::|\$\(touch)/);
    const file = join(tmp, 'lone-plan.sh');
    writeFileSync(file, sh);
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).status).toBe(0);
    const sc = spawnSync('shellcheck', ['--severity=style', file], { encoding: 'utf8' });
    if (sc.error) throw new Error('shellcheck is not installed');
    expect(sc.status, sc.stdout).toBe(0);
    checkMarkdown(renderRewriteMarkdown(lonePlan));
  });
});
