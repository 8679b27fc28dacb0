import { describe, expect, it } from 'vitest';
import { parseActionInputs, resolveMode } from '../../src/action-inputs.js';

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
      /Invalid input 'issue-repo': Invalid repository 'security'/,
    ],
    ['org mode without org', { mode: 'org' }, /Input 'org' is required when mode is org/],
    ['an empty token', { 'github-token': '' }, /Input 'github-token' is empty/],
  ];
  it.each(bad)('rejects %s, naming the value', (_n, over, msg) => {
    expect(() => parse(over)).toThrow(msg);
  });

  const modes: [string, string, string][] = [
    ['auto', 'push', 'push'],
    ['auto', 'pull_request', 'pull-request'],
    ['auto', 'pull_request_target', 'pull-request'],
    ['auto', 'issue_comment', 'rescan'],
    ['auto', 'schedule', 'org'],
    ['push', 'workflow_dispatch', 'push'],
  ];
  it.each(modes)('mode %s on %s is %s', (mode, event, want) => {
    expect(resolveMode(mode as 'auto', event)).toBe(want);
  });

  it('names the event auto cannot handle', () => {
    expect(() => resolveMode('auto', 'release')).toThrow(/cannot handle the 'release' event/);
  });
});
