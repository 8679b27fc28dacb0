import { describe, expect, it } from 'vitest';
import { matchGitleaks, parseGitleaksFile } from '../../src/core/gitleaks.js';
import { fingerprintKeyId } from '../../src/core/redact.js';
import type { Finding } from '../../src/core/types.js';
import { makeKeyId } from '../helpers/keys.js';

const SHA = 'a'.repeat(40);

/** A finding of gitleaks' JSON report, as `gitleaks detect --report-format json` writes it. */
function leak(over: Record<string, unknown>): Record<string, unknown> {
  return {
    Description: 'AWS',
    StartLine: 3,
    EndLine: 3,
    StartColumn: 19,
    EndColumn: 38,
    Match: 'REDACTED',
    Secret: 'REDACTED',
    File: 'deploy/prod.env',
    SymlinkFile: '',
    Commit: SHA,
    Entropy: 3.6,
    Author: 'Ada',
    Email: 'ada@example.com',
    Date: '2024-01-01T00:00:00Z',
    Message: 'deploy',
    Tags: [],
    RuleID: 'aws-access-token',
    Fingerprint: `${SHA}:deploy/prod.env:aws-access-token:3`,
    ...over,
  };
}

describe('gitleaks files', () => {
  it.each([
    {
      name: 'a report keeps its AWS findings, with the key id when it was not redacted',
      text: (id: string) =>
        JSON.stringify(
          [
            leak({ Secret: id, Match: `AWS_ACCESS_KEY_ID=${id}` }),
            leak({ RuleID: 'generic-api-key', Secret: 'x' }),
            leak({ File: 'a.txt', StartLine: 9, Commit: '' }),
          ],
          null,
          2,
        ),
      want: (id: string) => [
        { at: 'f:2', rule: 'aws-access-token', commit: SHA, path: 'deploy/prod.env', line: 3, keyId: id },
        { at: 'f:42', rule: 'aws-access-token', commit: null, path: 'a.txt', line: 9, keyId: null },
      ],
    },
    {
      name: 'a .gitleaksignore keeps its AWS fingerprints, with or without a commit, paths with colons',
      text: () =>
        [
          '# accepted in 2023',
          '',
          `${SHA}:deploy/prod.env:aws-access-token:3`,
          'docs\\setup:windows.md:aws-access-token:12',
          `${SHA}:src/app.py:generic-api-key:4`,
        ].join('\n'),
      want: () => [
        { at: 'f:3', rule: 'aws-access-token', commit: SHA, path: 'deploy/prod.env', line: 3, keyId: null },
        {
          at: 'f:4',
          rule: 'aws-access-token',
          commit: null,
          path: 'docs/setup:windows.md',
          line: 12,
          keyId: null,
        },
      ],
    },
  ])('$name', ({ text, want }) => {
    const id = makeKeyId();
    expect(parseGitleaksFile(text(id), 'f')).toEqual(want(id));
  });

  it.each([
    [
      'a report that is no JSON',
      '[{"RuleID": "aws-access-token",\n',
      /^r\.json:\d+: not a gitleaks JSON report/,
    ],
    [
      'a report that is no array',
      '{"findings": []}',
      /^r\.json:1: not a gitleaks JSON report: expected an array/,
    ],
    [
      'a finding without its line',
      JSON.stringify([leak({}), leak({ StartLine: 'three' })], null, 2),
      /^r\.json:22: finding 2: 'StartLine' is not a line number; nothing was recorded$/,
    ],
    [
      'a finding with a commit that is no SHA',
      JSON.stringify([leak({ Commit: 'HEAD' })], null, 2),
      /^r\.json:2: finding 1: 'Commit' is not a commit SHA/,
    ],
    [
      'an ignore line without a rule and line',
      `${SHA}:deploy/prod.env:aws-access-token:3\n\ndeploy/prod.env\n`,
      /^r\.json:3: expected a gitleaks fingerprint/,
    ],
  ])('%s is an error naming the line', (_, text, error) => {
    expect(() => parseGitleaksFile(text, 'r.json')).toThrow(error);
  });
});

describe('matching gitleaks entries with findings', () => {
  const finding = (keyId: string, commit: string, path: string, line: number): Finding => ({
    keyId,
    keyKind: 'long-term',
    accountId: null,
    canary: false,
    secretFound: false,
    secretRedacted: null,
    sessionTokenFound: false,
    fingerprint: fingerprintKeyId(keyId),
    locations: [{ commit, path, line, author: 'A', date: '2024-01-01T00:00:00Z' }],
  });
  const [a, b, c, d] = [makeKeyId(), makeKeyId(), makeKeyId(), makeKeyId()];
  const findings = [finding(a, SHA, 'x.env', 1), finding(b, SHA, 'y.yml', 2), finding(c, SHA, 'z.ini', 3)];
  const entry = (over: object) => ({
    at: 'f:1',
    rule: 'aws-access-token',
    commit: null,
    path: 'p',
    line: 1,
    keyId: null,
    ...over,
  });

  it.each([
    ['by key id', entry({ keyId: a }), [a], 0],
    ['by commit, path and line', entry({ commit: SHA, path: 'y.yml', line: 2 }), [b], 0],
    ['by path and line in any commit', entry({ path: 'z.ini', line: 3 }), [c], 0],
    ['not at another line', entry({ path: 'z.ini', line: 4 }), [], 1],
    ['not in another commit', entry({ commit: 'b'.repeat(40), path: 'y.yml', line: 2 }), [], 1],
    ['a key the scan did not find', entry({ keyId: d }), [], 1],
  ])('%s', (_, e, accepted, unmatched) => {
    const m = matchGitleaks([e], findings);
    expect(m.accepted.map((f) => f.keyId)).toEqual(accepted);
    expect(m.unmatched).toHaveLength(unmatched);
  });

  it('an entry naming a key already suppressed is neither recorded again nor unmatched', () => {
    const m = matchGitleaks([entry({ keyId: d })], findings, [
      { fingerprint: fingerprintKeyId(d), locations: [] },
    ]);
    expect(m).toEqual({ accepted: [], unmatched: [] });
  });
});
