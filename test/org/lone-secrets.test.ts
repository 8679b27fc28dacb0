import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitHub } from '../../src/adapters/github.js';
import { runOrgScan } from '../../src/commands/org.js';
import { OrgIncidents } from '../../src/commands/org-incidents.js';
import type { RespondOptions, Responded, Responder } from '../../src/commands/ports.js';
import type {
  IncidentSink,
  KeyIncident,
  OrgKeyFinding,
  OrgSecretFinding,
} from '../../src/commands/ports-org.js';
import { DEFAULT_REPO_FILTER } from '../../src/core/org/select.js';
import type { OrgScanSettings } from '../../src/core/org/settings.js';
import { serializeState } from '../../src/core/org/state.js';
import { fingerprintSecret, redactSecret } from '../../src/core/redact.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from '../../src/core/render/incident.js';
import {
  mergeSummaries,
  renderOrgSummary,
  serializeOrgSummary,
  type OrgSummary,
} from '../../src/core/render/org-summary.js';
import type { ScanResult } from '../../src/scan/result.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { makePair, makeSecret } from '../helpers/keys.js';
import { Fleet, PagedLister } from './fleet.js';

/** Records what reached the incident pipeline. */
class RecordingSink implements IncidentSink {
  calls: { keys: OrgKeyFinding[]; secrets: OrgSecretFinding[] }[] = [];
  async report(
    keys: readonly OrgKeyFinding[],
    secrets: readonly OrgSecretFinding[] = [],
  ): Promise<KeyIncident[]> {
    this.calls.push({ keys: [...keys], secrets: [...secrets] });
    return [
      ...keys.map((k) => ({ keyId: k.keyId, status: 'invalid' as const, issue: null })),
      ...secrets.map((s) => ({ keyId: s.fingerprint, status: 'not verified' as const, issue: null })),
    ];
  }
}

/** Answers nothing, and records the key ids it was asked about: a lone secret must never be one. */
class AskedResponder implements Responder {
  asked: string[][] = [];
  secretsSeen: string[] = [];
  async respond(result: ScanResult, _opts: RespondOptions): Promise<Responded> {
    this.asked.push(result.report.findings.map((f) => f.keyId));
    this.secretsSeen.push(...[...result.secrets.values()].flatMap((m) => m.secrets));
    return { report: result.report, trails: new Map(), notes: new Map() };
  }
}

function settings(fleet: Fleet, over: Partial<OrgScanSettings> = {}): OrgScanSettings {
  return {
    owner: 'acme',
    shard: { index: 1, count: 1 },
    filter: DEFAULT_REPO_FILTER,
    fullRescan: false,
    maxDurationMs: null,
    concurrency: 2,
    jobs: 1,
    token: null,
    stateFile: join(fleet.root, 'state.json'),
    config: null,
    workDir: join(fleet.root, 'work'),
    ...over,
  };
}

describe('an org scan counts, lists and hands over secrets found without their key id', () => {
  let fleet: Fleet;
  const secret = makeSecret();
  const key = makePair();
  beforeAll(() => {
    fleet = Fleet.create();
  });
  afterAll(() => fleet.cleanup());

  it('one secret in two repositories is one entry with both, beside the keys, and is not handed over twice', async () => {
    const api = fleet.add('acme/api');
    const web = fleet.add('acme/web');
    fleet.add('acme/docs');
    fleet.push(api, 'ci', { 'ci/deploy.yml': `env:\n  AWS_SECRET_ACCESS_KEY: ${secret}\n` });
    fleet.push(web, 'settings', { 'config/aws.ini': `aws_secret_access_key = ${secret}\n` });
    fleet.push(web, 'key', {
      'app.env': `AWS_ACCESS_KEY_ID=${key.keyId}\nAWS_SECRET_ACCESS_KEY=${key.secret}\n`,
    });
    const lister = new PagedLister(() => fleet.records);
    const sink = new RecordingSink();
    const r = await runOrgScan(settings(fleet), { lister, sink });

    expect(sink.calls).toHaveLength(1);
    expect(sink.calls[0]!.keys.map((k) => k.keyId)).toEqual([key.keyId]);
    const [handed] = sink.calls[0]!.secrets;
    expect(handed!.fingerprint).toBe(fingerprintSecret(secret));
    expect(handed!.occurrences.map((o) => [o.repo.fullName, o.alreadyReported])).toEqual([
      ['acme/api', false],
      ['acme/web', false],
    ]);
    expect(r.summary.loneSecrets).toEqual([
      {
        fingerprint: fingerprintSecret(secret),
        secretRedacted: redactSecret(secret),
        repos: ['acme/api', 'acme/web'],
        locations: 2,
      },
    ]);
    expect(r.summary.outcomes.find((o) => o.repo === 'acme/api')!.findings).toBe(1);
    expect(r.summary.outcomes.find((o) => o.repo === 'acme/web')!.findings).toBe(2);

    const md = renderOrgSummary(r.summary);
    expect(md).toContain('| Secrets without a key id | 1 |');
    expect(md).toContain('### Secrets found without their key id');
    expect(md).toContain(
      `| \`${redactSecret(secret)}\` | \`${fingerprintSecret(secret)}\` | acme/api, acme/web | 2 |`,
    );
    const everything = [md, serializeState(r.state), serializeOrgSummary(r.summary)].join('\n');
    expect(everything).not.toContain(secret);

    // The next night, nothing moved: nothing is handed over again.
    fleet.push(api, 'more', { 'src/more.js': 'more();\n' });
    const next = new RecordingSink();
    await runOrgScan(settings(fleet), { lister, sink: next });
    expect(next.calls).toEqual([]);
  });
});

describe('merged shard summaries', () => {
  const part = (repos: string[], locations: number): OrgSummary => ({
    owner: 'acme',
    shards: ['1/2'],
    startedAt: '2026-01-01T00:00:00Z',
    durationMs: 1,
    listed: 2,
    excluded: [],
    outcomes: [],
    keys: [],
    loneSecrets: [
      { fingerprint: 'keyleak:v1:secret:' + 'a'.repeat(32), secretRedacted: 'abcd', repos, locations },
    ],
    budgetExhausted: false,
    warnings: [],
  });
  const cases: [string, OrgSummary[], { repos: string[]; locations: number }[]][] = [
    [
      'a secret two shards found is one row with every repository',
      [part(['acme/a'], 1), part(['acme/b'], 2)],
      [{ repos: ['acme/a', 'acme/b'], locations: 3 }],
    ],
    [
      'a summary written before secrets were counted merges as none',
      [{ ...part([], 0), loneSecrets: undefined }],
      [],
    ],
  ];
  it.each(cases)('%s', (_name, parts, want) => {
    expect(mergeSummaries(parts).loneSecrets).toEqual(want.map((w) => expect.objectContaining(w)));
  });
});

describe('org incidents of secrets found without their key id, through the GitHub emulator', () => {
  let emu: GitHubEmulator | null = null;
  afterEach(async () => {
    await emu?.close();
    emu = null;
  });

  it('one incident per fingerprint in the incident repository, listing every repository, never asked of AWS', async () => {
    emu = await startGitHubEmulator(makeState(['acme/security']));
    const secret = makeSecret();
    const responder = new AskedResponder();
    const masked: string[] = [];
    const sink = new OrgIncidents({
      github: GitHub.create({
        token: 'test-token',
        baseUrl: emu.url,
        timing: { retryAfterBaseMs: 1, writeSpacingMs: { write: 0, notify: 0 } },
      }),
      responder,
      issueRepo: { owner: 'acme', repo: 'security' },
      serverUrl: 'https://github.com',
      runUrl: null,
      contacts: DEFAULT_RUNBOOK_TEMPLATE,
      now: () => new Date('2024-01-02T00:00:00Z'),
      log: () => {},
      mask: (s) => masked.push(...[...s.values()].flatMap((m) => m.secrets)),
      uploadTrails: async () => null,
    });
    const record = (fullName: string, id: number) => ({
      fullName,
      id,
      archived: false,
      fork: false,
      visibility: 'private' as const,
      topics: [],
      defaultBranch: 'main',
      cloneUrl: `https://github.com/${fullName}.git`,
      sizeKb: 1,
      pushedAt: null,
    });
    const at = (commit: string, path: string) => ({
      secretRedacted: redactSecret(secret),
      fingerprint: fingerprintSecret(secret),
      locations: [{ commit, path, line: 2, author: 'A <a@x>', date: '2024-01-01T00:00:00Z' }],
    });
    const lone: OrgSecretFinding = {
      fingerprint: fingerprintSecret(secret),
      secretRedacted: redactSecret(secret),
      material: { secrets: [secret], strong: [secret], labelled: [secret], sessionTokens: [] },
      occurrences: [
        { repo: record('acme/api', 1), secret: at('a'.repeat(40), 'ci/deploy.yml'), alreadyReported: false },
        { repo: record('acme/web', 2), secret: at('b'.repeat(40), 'config/aws.ini'), alreadyReported: false },
      ],
    };
    const verdicts = await sink.report([], [lone]);
    expect(verdicts).toEqual([{ keyId: fingerprintSecret(secret), status: 'not verified', issue: 1 }]);
    expect(responder.asked).toEqual([[]]);
    expect(responder.secretsSeen).toEqual([]);
    expect(masked).toEqual([secret]);
    expect(sink.responded?.loneSecrets?.map((s) => s.fingerprint)).toEqual([fingerprintSecret(secret)]);
    const issues = emu.state.repos['acme/security']!.issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.title).toBe(
      `Leaked AWS secret access key ${secret.slice(0, 4)}… without its key id (not verified)`,
    );
    expect(issues[0]!.body).toContain('In [acme/api](https://github.com/acme/api):');
    expect(issues[0]!.body).toContain('In [acme/web](https://github.com/acme/web):');
    expect(JSON.stringify(emu.state)).not.toContain(secret);
  });
});
