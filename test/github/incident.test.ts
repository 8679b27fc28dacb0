import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  carryForward,
  chooseTrail,
  describeChanges,
  keepTailoredPlan,
  mergeIncidentBody,
  readState,
  stateOf,
  type TrailSummary,
} from '../../src/core/incident.js';
import {
  DEFAULT_RUNBOOK_TEMPLATE,
  renderIncidentBody,
  renderIncidentTitle,
  type IncidentContext,
} from '../../src/core/render/incident.js';
import { attackRecordOf, digestAttack } from '../../src/core/attack-digest.js';
import type { Finding } from '../../src/core/types.js';
import { refreshIncident } from '../../src/commands/incidents.js';
import type { IncidentIssue } from '../../src/adapters/github.js';

const here = dirname(fileURLToPath(import.meta.url));

// Not a real-looking key id: 0 and 1 never occur in the base32 body of a real one.
const KEY = 'AKIA' + 'GOLDEN0FILE0KEY1';
const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);

function finding(over: Partial<Finding> = {}): Finding {
  return {
    keyId: KEY,
    keyKind: 'long-term',
    accountId: '123456789012',
    canary: false,
    secretFound: true,
    secretRedacted: 'wJal' + '*'.repeat(36),
    sessionTokenFound: false,
    fingerprint: 'keyleak:v1:0123456789abcdef0123456789abcdef',
    locations: [
      {
        commit: C1,
        path: 'config/prod.env',
        line: 3,
        author: 'Ada Tester <ada@example.com>',
        date: '2024-01-01T00:01:00Z',
      },
      {
        commit: C2,
        path: null,
        line: 2,
        author: 'Ada Tester <ada@example.com>',
        date: '2024-01-01T00:02:00Z',
      },
    ],
    ...over,
  };
}

const TRAIL: TrailSummary = {
  keyId: KEY,
  window: { start: '2023-12-31T00:00:00Z', end: '2024-01-03T00:00:00Z' },
  regions: ['us-east-1', 'eu-west-1'],
  totalEvents: 9,
  ownEvents: 1,
  byIp: [
    { ip: '203.0.113.9', count: 6, first: '2024-01-01T01:00:00Z', last: '2024-01-02T04:30:00Z' },
    { ip: '2001:db8::7', count: 2, first: '2024-01-02T03:00:00Z', last: '2024-01-02T03:00:00Z' },
  ],
  byUserAgent: [
    { userAgent: 'aws-cli/2.15.0 md/Botocore', count: 6 },
    { userAgent: 'python-requests/2.31|x', count: 2 },
  ],
  byEvent: [
    { eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', count: 1, errors: 0 },
    { eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', count: 5, errors: 4 },
    { eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', count: 2, errors: 0 },
  ],
  incompleteRegions: [{ region: 'ap-south-2', reason: 'ThrottlingException after 8 attempts' }],
};

function ctx(over: Partial<IncidentContext> = {}): IncidentContext {
  return {
    repo: { owner: 'octo', repo: 'app' },
    serverUrl: 'https://github.com',
    runUrl: 'https://github.com/octo/app/actions/runs/42',
    trailArtifactUrl: null,
    refs: { [C1]: ['refs/heads/main', 'refs/tags/v1.0'], [C2]: ['refs/heads/feature'] },
    pulls: { [C2]: [7] },
    forcePush: null,
    trail: null,
    trailUnavailable: null,
    verificationNote: null,
    historyPlan: null,
    contacts: DEFAULT_RUNBOOK_TEMPLATE,
    checkedAt: '2024-01-03T00:00:00Z',
    ...over,
  };
}

function golden(name: string, text: string): void {
  const file = join(here, 'testdata', name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  // A missing golden file is a failure, never a silent first write: new ones are made on purpose.
  if (!existsSync(file))
    throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to write it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const SECTIONS = [
  '## Status',
  '## Where it leaked',
  '## Runbook',
  '## CloudTrail activity',
  '## Remove it from history',
];

describe('incident rendering (golden files)', () => {
  const cases: [string, Finding, IncidentContext, string][] = [
    [
      'live, deactivated, with a CloudTrail summary, after a force push',
      finding({
        verification: {
          status: 'live',
          reason: null,
          accountId: '123456789012',
          arn: 'arn:aws:iam::123456789012:user/ci',
          userName: 'ci',
        },
        response: {
          action: 'deactivated',
          detail: 'UpdateAccessKey Status=Inactive for user ci',
          at: '2024-01-03T00:00:05Z',
        },
      }),
      ctx({
        trail: TRAIL,
        trailArtifactUrl: 'https://github.com/octo/app/actions/runs/42/artifacts/9',
        forcePush: { before: C2, after: C1 },
        quarantine: ['AWSCompromisedKeyQuarantineV3'],
      }),
      'live-deactivated.md',
    ],
    [
      'not verified, no responder credentials',
      finding(),
      ctx({
        verificationNote: 'fork pull request: no secrets are available to verify with',
        trailUnavailable: 'no responder credentials were configured',
      }),
      'not-verified.md',
    ],
    [
      'invalid, custom contacts and a history plan',
      finding({
        verification: {
          status: 'invalid',
          reason: 'InvalidClientTokenId',
          accountId: null,
          arn: null,
          userName: null,
        },
        response: { action: 'none', detail: 'invalid keys are left alone', at: '2024-01-03T00:00:05Z' },
      }),
      ctx({
        contacts: '**Who to involve:** #sec-incidents, security@example.org',
        historyPlan: '1. Run the plan.\n2. Push.',
      }),
      'invalid-custom.md',
    ],
  ];
  it.each(cases)('%s', (_name, f, c, file) => {
    const body = renderIncidentBody(f, c);
    golden(file, `# ${renderIncidentTitle(f)}\n\n${body}`);
    const at = SECTIONS.map((h) => body.split('\n').indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(body.match(/- \[[ x]\] \d\./g)).toHaveLength(7);
    expect(body).toMatch(/Verdict: \*\*(live|invalid|unknown|not verified)\*\*/);
    expect(body).not.toMatch(/ada@example\.com/);
  });

  it('titles name the key and its state', () => {
    expect(renderIncidentTitle(finding())).toBe(`Leaked AWS key ${KEY} (not verified)`);
    expect(
      renderIncidentTitle(
        finding({
          verification: { status: 'live', reason: null, accountId: null, arn: null, userName: null },
          response: { action: 'dry-run', detail: 'would deactivate', at: 'x' },
        }),
      ),
    ).toBe(`Leaked AWS key ${KEY} (live, dry run)`);
  });
});

describe('updating an incident', () => {
  it('keeps every box a person ticked, and their notes below the generated part', () => {
    const before = renderIncidentBody(finding(), ctx());
    const edited =
      before
        .replace(/- \[ \] (2\..*keyleak:step channel)/, '- [x] $1')
        .replace(/- \[ \] (5\..*keyleak:step security)/, '- [X] $1') +
      '\nOpened #sec-123, paged the owner.\n';
    const regenerated = renderIncidentBody(
      finding({ verification: { status: 'live', reason: null, accountId: null, arn: null, userName: null } }),
      ctx({ checkedAt: '2024-02-01T00:00:00Z' }),
    );
    const merged = mergeIncidentBody(edited, regenerated);
    expect(merged).toMatch(/- \[x\] 2\..*keyleak:step channel/);
    expect(merged).toMatch(/- \[x\] 5\..*keyleak:step security/);
    expect(merged).toMatch(/- \[ \] 4\..*keyleak:step resources/);
    expect(merged).toContain('Verdict: **live**');
    expect(merged.endsWith('\nOpened #sec-123, paged the owner.\n')).toBe(true);
  });

  const f0 = finding();
  const s0 = stateOf(f0, null, 't0');
  const cases: [string, Finding, TrailSummary | null, string[]][] = [
    ['nothing new says nothing', f0, null, []],
    [
      'a new location is named',
      finding({
        locations: [
          ...f0.locations,
          { commit: 'c'.repeat(40), path: 'x.env', line: 9, author: null, date: null },
        ],
      }),
      null,
      ['Found in 1 new location: `x.env`:9 in `cccccccccccc`.'],
    ],
    [
      'a status change and a first summary',
      finding({ verification: { status: 'live', reason: null, accountId: null, arn: null, userName: null } }),
      TRAIL,
      [
        'Status changed from **not verified** to **live**.',
        'CloudTrail summarised: 9 events.',
        'New source IPs: `2001:db8::7`, `203.0.113.9`.',
      ],
    ],
  ];
  it.each(cases)('%s', (_name, f, trail, want) => {
    expect(describeChanges(s0, stateOf(f, trail, 't1'))).toEqual(want);
  });

  it('a run that cannot verify keeps the verdict and containment of the last one that could', () => {
    const live = finding({
      verification: {
        status: 'live',
        reason: null,
        accountId: '123456789012',
        arn: 'arn:aws:iam::123456789012:user/ci',
        userName: 'ci',
      },
      response: { action: 'deactivated', detail: 'done', at: '2024-01-02T00:00:00Z' },
    });
    const before = stateOf(live, null, 't0');
    const carried = carryForward(finding(), before);
    expect(carried.verification?.status).toBe('live');
    expect(carried.response?.action).toBe('deactivated');
    expect(describeChanges(before, stateOf(carried, null, 't1'))).toEqual([]);
    expect(renderIncidentTitle(carried)).toBe(`Leaked AWS key ${KEY} (live, deactivated)`);
  });

  it.each([
    ['two new attacker actions are counted', 1, 3, ['2 new attacker actions (see What the attacker did).']],
    ['no new attacker action says nothing', 3, 3, []],
    ['an incident written before the digest has no count to compare with', undefined, 3, []],
  ] as const)('%s', (_name, was, now, want) => {
    const trail = { end: 't', totalEvents: 9, ips: [] };
    const before = {
      ...stateOf(finding(), null, 't0'),
      trail: { ...trail, ...(was === undefined ? {} : { actions: was }) },
    };
    const after = { ...stateOf(finding(), null, 't1'), trail: { ...trail, actions: now } };
    expect(describeChanges(before, after)).toEqual(want);
  });

  it('a first response of none after nothing is not worth a comment', () => {
    const withNone = finding({ response: { action: 'none', detail: 'unknown', at: 'x' } });
    expect(describeChanges(stateOf(finding(), null, 't0'), stateOf(withNone, null, 't1'))).toEqual([]);
  });

  it('a rerun that cannot read CloudTrail keeps the summary, its evidence and its state from the last run that could', async () => {
    const activity = digestAttack(
      [
        attackRecordOf(
          {
            eventID: 'e1',
            eventTime: '2024-01-01T01:00:00Z',
            eventSource: 'iam.amazonaws.com',
            eventName: 'CreateLoginProfile',
            awsRegion: 'us-east-1',
            requestParameters: { userName: 'backup-admin' },
          },
          {
            eventId: 'e1',
            eventTime: '',
            eventSource: '',
            eventName: '',
            region: 'us-east-1',
            resources: [],
          },
          null,
        ),
      ],
      TRAIL.window,
    );
    const first = renderIncidentBody(finding(), ctx({ trail: { ...TRAIL, activity } }));
    expect(first).toContain('aws iam delete-login-profile --user-name backup-admin');
    const issues = new Map<number, IncidentIssue>([
      [
        1,
        { number: 1, title: 't', url: 'u1', state: 'open', body: first, author: 'keyleak-bot', labels: [] },
      ],
    ]);
    const github = {
      findIncident: async () => issues.get(1)!,
      findIncidents: async () => [issues.get(1)!],
      closeDuplicate: async () => {},
      createIncident: async () => {
        throw new Error('not expected');
      },
      updateIncident: async (_r: unknown, n: number, u: { body: string }) => {
        issues.set(n, { ...issues.get(n)!, body: u.body });
        return issues.get(n)!;
      },
      commentIncident: async () => 1,
      reopenIncident: async () => issues.get(1)!,
      ensureLabels: async () => {},
    };
    const moved = finding({
      locations: [...finding().locations, { ...finding().locations[0]!, path: 'config/copy.env' }],
    });
    const env = {
      github,
      issueRepo: { owner: 'octo', repo: 'app' },
      serverUrl: 'https://github.com',
      runUrl: null,
      contacts: DEFAULT_RUNBOOK_TEMPLATE,
      now: () => new Date('2024-01-03T00:00:00Z'),
      log: () => {},
      uploadTrails: async () => null,
    };
    const out = await refreshIncident(
      env,
      moved,
      ctx({ trailUnavailable: 'no responder credentials were configured' }),
      { labelsEnsured: { done: true } },
    );
    expect(out.outcome).toBe('updated');
    const body = issues.get(1)!.body;
    const section = (b: string) =>
      b.slice(b.indexOf('## CloudTrail activity'), b.indexOf('## Remove it from history'));
    const step = (b: string) => b.split('\n').find((l) => l.includes('keyleak:step access'));
    const attack = (b: string) =>
      b.slice(b.indexOf('## What the attacker did'), b.indexOf('## Where it leaked'));
    expect(attack(body)).toBe(attack(first));
    expect(attack(body)).toContain('delete-login-profile');
    expect(body).toContain('config/copy.env');
    expect(section(body)).toBe(section(first));
    expect(body).not.toContain('CloudTrail was not read');
    expect(step(body)).toBe(step(first));
    expect(readState(body)!.trail).toEqual(readState(first)!.trail);
  });

  it("stays under GitHub's 65,536 characters whatever the trail, counting what it leaves out", () => {
    const records = Array.from({ length: 4000 }, (_, i) =>
      attackRecordOf(
        {
          eventID: `e${i}`,
          eventTime: '2024-01-01T01:00:00Z',
          eventSource: i % 2 ? 'ec2.amazonaws.com' : 'sts.amazonaws.com',
          eventName: i % 2 ? 'RunInstances' : 'AssumeRole',
          awsRegion: 'eu-west-1',
          userAgent: 'x'.repeat(5000),
          requestParameters: {
            roleArn: `arn:aws:iam::123456789012:role/${'r'.repeat(60)}${i}`,
            roleSessionName: 's',
          },
          responseElements: {
            instancesSet: {
              items: [{ instanceId: `i-${String(i).padStart(17, '0')}`, instanceType: 'p3.16xlarge' }],
            },
            credentials: {
              accessKeyId: `ASIA${String(i).padStart(16, 'Q')}`,
              expiration: 'Jan 1, 2024, 1:00:00 PM',
            },
          },
        },
        { eventId: '', eventTime: '', eventSource: '', eventName: '', region: 'eu-west-1', resources: [] },
        null,
      ),
    );
    const activity = digestAttack(records, TRAIL.window);
    const body = renderIncidentBody(finding(), ctx({ trail: { ...TRAIL, activity } }));
    expect(body.length).toBeLessThan(65_536);
    expect(body).toMatch(/… and [\d,]+ more calls, all in `trail.json`/);
    expect(body).toContain('- … and 1,970 more keys in `trail.json`.');
  });

  it('reads back the state it wrote', () => {
    const body = renderIncidentBody(finding(), ctx({ trail: TRAIL }));
    expect(readState(body)).toEqual(stateOf(finding(), TRAIL, '2024-01-03T00:00:00Z'));
  });
});

describe('what a refresh keeps', () => {
  const earlier = {
    start: '2024-01-01T00:00:00Z',
    end: '2024-01-02T00:00:00Z',
    totalEvents: 3,
    ips: [],
    actions: 0,
  };
  const from = (start: string): TrailSummary => ({
    ...TRAIL,
    window: { start, end: '2024-01-05T00:00:00Z' },
  });
  const cases: [string, Parameters<typeof chooseTrail>[0], TrailSummary | null, 'now' | 'earlier'][] = [
    ['a first summary is shown', null, from('2024-01-01T00:00:00Z'), 'now'],
    ['a run without CloudTrail keeps the earlier summary', earlier, null, 'earlier'],
    ['a summary reaching back as far replaces it', earlier, from('2024-01-01T00:00:00Z'), 'now'],
    ['a summary reaching further back replaces it', earlier, from('2023-12-01T00:00:00Z'), 'now'],
    [
      'a summary starting later (older events aged out) does not',
      earlier,
      from('2024-01-01T06:00:00Z'),
      'earlier',
    ],
    [
      'an earlier summary of unknown start is replaced',
      { ...earlier, start: undefined },
      from('2024-01-03T00:00:00Z'),
      'now',
    ],
  ];
  it.each(cases)('%s', (_n, before, now, want) => expect(chooseTrail(before, now)).toBe(want));

  it('a tailored history-rewrite plan is never replaced by the generic text', () => {
    const tailored = renderIncidentBody(finding(), ctx({ historyPlan: '1. Run the plan.' }));
    const generic = renderIncidentBody(finding(), ctx());
    expect(keepTailoredPlan(tailored, generic)).toBe(tailored);
    const newer = renderIncidentBody(finding(), ctx({ historyPlan: '1. Run the new plan.' }));
    expect(keepTailoredPlan(tailored, newer)).toBe(newer);
    expect(keepTailoredPlan(generic, generic)).toBe(generic);
  });
});
