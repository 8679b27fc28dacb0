import { describe, expect, it } from 'vitest';
import {
  buildRewritePlan,
  commitMessageBytes,
  isCredentialFileName,
  isCredentialsOnly,
  locateValue,
  type RewriteFacts,
} from '../../src/core/rewrite-plan.js';
import type { Finding } from '../../src/core/types.js';
import { parseRewritePlanArgs } from '../../src/settings.js';
import { makeKeyId, makeSecret } from '../helpers/keys.js';

function secretWith(chars: string[]): string {
  for (;;) {
    const s = makeSecret();
    if (chars.every((c) => s.includes(c))) return s;
  }
}

describe('locateValue finds the stored form of a secret as bytes of a line', () => {
  const s = secretWith(['/', '+']);
  const json = s.replace(/\//g, '\\/');
  const url = s.replace(/\+/g, '%2B').replace(/\//g, '%2F');
  const lowerUrl = s.replace(/\+/g, '%2b').replace(/\//g, '%2f');
  const cases: [string, string, { line: number; raw: string }[]][] = [
    ['as is, on the second line', `a = 1\nsecret = ${s}\n`, [{ line: 2, raw: s }]],
    ['JSON-escaped in a notebook', `{"source": ["key='${json}'\\n"]}`, [{ line: 1, raw: json }]],
    ['URL-encoded in a query string', `curl "https://x/?s=${url}&a=b"\r\n`, [{ line: 1, raw: url }]],
    ['lower-case URL encoding', `s=${lowerUrl}`, [{ line: 1, raw: lowerUrl }]],
    [
      'twice on one line, after a multi-byte character',
      `é ${s} ${s}`,
      [
        { line: 1, raw: s },
        { line: 1, raw: s },
      ],
    ],
    ['absent', 'nothing here\n', []],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    const bytes = Buffer.from(text, 'utf8');
    const lines = bytes.toString('latin1').split('\n');
    const found = locateValue(bytes, s).map((r) => ({
      line: r.line,
      // What `sed -n LINEp | cut -b START-END` prints.
      raw: Buffer.from(lines[r.line - 1]!, 'latin1')
        .subarray(r.start - 1, r.end)
        .toString('latin1'),
    }));
    expect(found).toEqual(expected);
  });

  it('numbers message lines the way the scanner does: after the headers', () => {
    const commit = Buffer.from(`tree 1\nauthor A <a@b> 1 +0000\n\nsubject\n\nbody ${s}\n`);
    expect(locateValue(commitMessageBytes(commit), s)).toEqual([{ line: 3, start: 6, end: 45 }]);
  });
});

describe('credential files are removed whole only when they hold nothing else', () => {
  it.each([
    ['.env', true],
    ['config/.env.production', true],
    ['.aws/credentials', true],
    ['home/credentials', true],
    ['credentials.json', false],
    ['src/env.ts', false],
  ])('%s is named like a credential file: %s', (path, expected) => {
    expect(isCredentialFileName(path)).toBe(expected);
  });

  it.each([
    ['an aws credentials file', '[default]\naws_access_key_id = X\naws_secret_access_key = Y\n', true],
    ['a .env with export and quotes, CRLF', 'export AWS_ACCESS_KEY_ID="X"\r\nAWS_SESSION_TOKEN=Z\r\n', true],
    ['comments and blank lines', '# mine\n\nAWS_SECRET_ACCESS_KEY=Y\n', true],
    ['a region as well', 'AWS_ACCESS_KEY_ID=X\nAWS_REGION=eu-west-1\n', false],
    ['a database URL as well', 'AWS_ACCESS_KEY_ID=X\nDATABASE_URL=postgres://x\n', false],
    ['nothing at all', '\n# empty\n', false],
  ])('%s: %s', (_name, content, expected) => {
    expect(isCredentialsOnly(content)).toBe(expected);
  });
});

describe('buildRewritePlan', () => {
  const keyId = makeKeyId();
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);
  const finding = (commits: string[], paths: (string | null)[] = commits.map(() => 'x.env')): Finding => ({
    keyId,
    keyKind: 'long-term',
    accountId: null,
    canary: false,
    secretFound: true,
    secretRedacted: 'abcd****',
    sessionTokenFound: false,
    fingerprint: 'keyleak:v1:0',
    locations: commits.map((commit, i) => ({ commit, path: paths[i]!, line: 1, author: null, date: null })),
  });
  const facts = (over: Partial<RewriteFacts>): RewriteFacts => ({
    source: '/repo',
    defaultBranch: 'refs/heads/main',
    refsByCommit: { [A]: ['refs/heads/main'], [B]: ['refs/heads/main'] },
    head: B,
    headBranch: 'refs/heads/main',
    sharedCommits: [],
    pullRequestsByCommit: {},
    spans: [],
    credentialFiles: [],
    sensitiveDataRemoval: null,
    incidentUrl: null,
    ...over,
  });

  const cases: [string, string[], Partial<RewriteFacts>, 'amend' | 'rebase' | null][] = [
    ['only in the newest unpushed commit: amend', [B], {}, 'amend'],
    ['in two unpushed commits of the branch: interactive rebase', [A, B], {}, 'rebase'],
    ['already pushed: full rewrite', [B], { sharedCommits: [B] }, null],
    [
      'also in a tag: full rewrite',
      [B],
      { refsByCommit: { [B]: ['refs/heads/main', 'refs/tags/v1'] } },
      null,
    ],
    ['on another branch than the checked-out one: full rewrite', [B], { headBranch: 'refs/heads/dev' }, null],
  ];
  it.each(cases)('%s', (_name, commits, over, kind) => {
    const plan = buildRewritePlan([finding(commits)], facts(over));
    expect(plan.shortPath?.kind ?? null).toBe(kind);
  });

  it('marks the default branch, gathers pull requests and keeps only credential files it touches', () => {
    const plan = buildRewritePlan(
      [finding([A, B], ['x.env', null])],
      facts({
        pullRequestsByCommit: { [A]: [3], [B]: [3, 1] },
        credentialFiles: ['x.env', 'other/.env'],
        spans: [{ keyId, kind: 'secret', commit: A, path: 'x.env', line: 1, start: 1, end: 40 }],
      }),
    );
    expect(plan.defaultBranchAffected).toBe(true);
    expect(plan.pullRequests).toEqual([1, 3]);
    expect(plan.removePaths).toEqual(['x.env']);
    expect(plan.messageCommits).toEqual([B]);
    expect(plan.keys[0]!.secretUnlocated).toBe(false);
  });

  it('rewrites a tag message as a tag, not as a commit: its ref is changed and no amend can fix it', () => {
    const T = 'd'.repeat(40);
    const f = finding([B]);
    f.locations.push({ commit: T, path: null, line: 3, author: null, date: null, tag: 'refs/tags/v2' });
    const plan = buildRewritePlan([f], facts({}));
    expect(plan.messageCommits).toEqual([]);
    expect(plan.messageTags).toEqual(['refs/tags/v2']);
    expect(plan.firstCommits).toEqual([B]);
    expect(plan.keys[0]!.commits).toEqual([B]);
    expect(plan.refs).toEqual(['refs/heads/main', 'refs/tags/v2']);
    expect(plan.shortPath).toBeNull();
  });

  it('says when a paired secret could not be located again', () => {
    expect(buildRewritePlan([finding([A])], facts({})).keys[0]!.secretUnlocated).toBe(true);
  });

  it('leaves out findings that are not in git history', () => {
    const f = finding([A]);
    f.locations = [{ commit: null, path: 'x.env', line: 1, author: null, date: null }];
    expect(buildRewritePlan([f], facts({})).keys).toEqual([]);
  });
});

describe('parseRewritePlanArgs', () => {
  const d = { cwd: '/here' };
  it('defaults to the whole history of the current directory, as markdown', () => {
    expect(parseRewritePlanArgs([], d)).toMatchObject({
      repo: '/here',
      mode: 'all',
      range: null,
      format: 'markdown',
      output: null,
    });
  });
  it('takes a range, a format and an output', () => {
    expect(
      parseRewritePlanArgs(['--range', 'a..b', '--format', 'sh', '-o', 'plan.sh', '--repo', 'r'], d),
    ).toMatchObject({
      repo: 'r',
      mode: 'range',
      range: { from: 'a', to: 'b' },
      format: 'sh',
      output: 'plan.sh',
    });
  });
  it.each([
    [['--format', 'json'], /invalid --format 'json'. Expected one of markdown, sh/],
    [['--all', '--range', 'a..b'], /choose one of --all, --range/],
    [['--range', 'a...b'], /invalid --range 'a...b'/],
    [['--staged'], /Unknown option '--staged'/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseRewritePlanArgs(argv, d)).toThrow(message);
  });
});
