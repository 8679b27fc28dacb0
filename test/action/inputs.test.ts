import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseActionInputs, parseActionSettings, resolveMode } from '../../src/action-inputs.js';

const DEFAULTS: Record<string, string> = {
  'github-token': 'tok',
  mode: 'auto',
  verify: 'true',
  'dry-run': 'false',
  deactivate: 'false',
  'revoke-sessions': 'false',
  'aws-role-template': '',
  'managed-accounts': '',
  'issue-repo': '',
  org: '',
  config: '.github/keyleak.yml',
  'runbook-template': '',
  'fail-on-findings': 'true',
  'fail-on-errors': 'true',
};

const parse = (over: Record<string, string> = {}) =>
  parseActionInputs((n) => ({ ...DEFAULTS, ...over })[n] ?? '');

describe('action inputs', () => {
  it('parses the defaults of action.yml', () => {
    expect(parse()).toEqual({
      githubToken: 'tok',
      mode: 'auto',
      verify: true,
      dryRun: false,
      deactivate: false,
      revokeSessions: false,
      containPersistence: false,
      costCheck: false,
      awsRoleTemplate: null,
      managedAccounts: [],
      issueRepo: null,
      publicDetails: false,
      org: null,
      config: '.github/keyleak.yml',
      runbookTemplate: null,
      failOnFindings: true,
      failOnErrors: true,
    });
  });

  it('reads every input', () => {
    expect(
      parse({
        mode: 'rescan',
        verify: 'False',
        'dry-run': 'TRUE',
        deactivate: 'true',
        'revoke-sessions': 'true',
        'contain-persistence': 'true',
        'cost-check': 'True',
        'aws-role-template': 'arn:aws:iam::{accountId}:role/keyleak-responder',
        'managed-accounts': '111122223333, 444455556666\n111122223333',
        'issue-repo': 'octo/security',
        org: 'octo',
        config: 'ci/keyleak.yml',
        'runbook-template': '.github/keyleak-runbook.md',
        'fail-on-findings': 'false',
      }),
    ).toMatchObject({
      mode: 'rescan',
      verify: false,
      dryRun: true,
      deactivate: true,
      revokeSessions: true,
      containPersistence: true,
      costCheck: true,
      awsRoleTemplate: 'arn:aws:iam::{accountId}:role/keyleak-responder',
      managedAccounts: ['111122223333', '444455556666'],
      issueRepo: { owner: 'octo', repo: 'security' },
      org: 'octo',
      config: 'ci/keyleak.yml',
      runbookTemplate: '.github/keyleak-runbook.md',
      failOnFindings: false,
      failOnErrors: true,
    });
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['an unknown mode', { mode: 'nightly' }, /Invalid input 'mode': 'nightly'. Expected one of auto, push/],
    ['a boolean that is not one', { verify: 'yes' }, /Invalid input 'verify': 'yes'. Expected true or false/],
    [
      'a role template without the placeholder',
      { 'aws-role-template': 'arn:aws:iam::123456789012:role/r' },
      /containing \{accountId\}/,
    ],
    ['a short account id', { 'managed-accounts': '12345' }, /Invalid input 'managed-accounts': '12345'/],
    [
      'an issue repo without owner',
      { 'issue-repo': 'security' },
      /Invalid input 'issue-repo': 'security'\. Expected a repository as owner\/name, like my-org\/security\./,
    ],
    [
      'an issue repo whose owner is not a login',
      { 'issue-repo': 'octo-/security' },
      /Invalid input 'issue-repo': 'octo-\/security'\. Expected a repository as owner\/name/,
    ],
    ['org mode without org', { mode: 'org' }, /Input 'org' is required when mode is org/],
    ['an empty token', { 'github-token': '' }, /Input 'github-token' is empty/],
  ];
  it.each(bad)('rejects %s, naming the value', (_n, over, msg) => {
    expect(() => parse(over)).toThrow(msg);
  });

  const modes: [string, string, string | null, string][] = [
    ['auto', 'push', null, 'push'],
    ['auto', 'pull_request', null, 'pull-request'],
    ['auto', 'pull_request_target', null, 'pull-request'],
    ['auto', 'issue_comment', null, 'rescan'],
    ['auto', 'schedule', 'acme', 'org'],
    ['auto', 'schedule', null, 'full'],
    ['auto', 'workflow_dispatch', null, 'full'],
    ['auto', 'workflow_dispatch', 'acme', 'org'],
    ['push', 'workflow_dispatch', null, 'push'],
  ];
  it.each(modes)('mode %s on %s with org %s is %s', (mode, event, org, want) => {
    expect(resolveMode(mode as 'auto', event, org)).toBe(want);
  });

  it('names the event auto cannot handle', () => {
    expect(() => resolveMode('auto', 'release')).toThrow(/cannot handle the 'release' event/);
  });
});

describe('action settings by mode', () => {
  const env = { eventName: 'schedule', workDir: '/w', cpus: 8 };
  const settings = (over: Record<string, string>, eventName = env.eventName) =>
    parseActionSettings((n) => ({ ...DEFAULTS, ...over })[n] ?? '', { ...env, eventName });

  it('a repository mode carries the common inputs only', () => {
    expect(settings({}, 'push')).toEqual({ inputs: parse(), mode: 'push' });
  });

  it('a schedule with org set parses the org inputs into the org settings', () => {
    const s = settings({
      org: 'acme',
      shard: '2/4',
      concurrency: '2',
      'include-forks': 'True',
      exclude: 'a-*',
    });
    expect(s).toMatchObject({
      mode: 'org',
      org: {
        owner: 'acme',
        shard: { index: 2, count: 4 },
        concurrency: 2,
        jobs: 4,
        token: 'tok',
        config: null,
        workDir: '/w',
        filter: { includeForks: true, exclude: ['a-*'] },
      },
    });
  });

  it("org-merge names the shards' results", () => {
    expect(settings({ mode: 'org-merge', org: 'acme', 'shard-results': 'shards' })).toMatchObject({
      mode: 'org-merge',
      org: { owner: 'acme' },
      shardResults: 'shards',
    });
  });

  it('reads every input action.yml declares, and no other', () => {
    const declared = Object.keys(
      (parseYaml(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, unknown> }).inputs,
    );
    const read = new Set<string>();
    const reader = (over: Record<string, string>) => (n: string) => {
      read.add(n);
      return (
        ({ ...DEFAULTS, org: 'acme', 'shard-results': 'shards', ...over } as Record<string, string>)[n] ?? ''
      );
    };
    parseActionSettings(reader({}), { ...env, eventName: 'workflow_dispatch' });
    parseActionSettings(reader({ mode: 'org-merge' }), env);
    expect([...read].sort()).toEqual([...declared].sort());
  });

  const bad: [string, Record<string, string>, string][] = [
    [
      'org-merge without shard-results',
      { mode: 'org-merge', org: 'acme' },
      "Input 'shard-results' is required when mode is org-merge.",
    ],
    [
      'an org login with a slash',
      { org: 'acme/api' },
      "Invalid input 'org': 'acme/api'. Expected an organisation or user login",
    ],
    [
      'a concurrency of zero',
      { org: 'acme', concurrency: '0' },
      "invalid concurrency '0'. Expected a whole number from 1 to 64",
    ],
    [
      'a full-rescan that is not a boolean',
      { org: 'acme', 'full-rescan': 'yes' },
      "invalid full-rescan 'yes'. Expected true or false",
    ],
  ];
  it.each(bad)('rejects %s before anything runs', (_n, over, msg) => {
    expect(() => settings(over)).toThrow(msg);
  });
});
