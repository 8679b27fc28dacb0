import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintSecret, redactSecret } from '../../src/core/redact.js';
import { renderRewriteMarkdown } from '../../src/core/render/rewrite-markdown.js';
import { renderRewriteScript } from '../../src/core/render/rewrite-sh.js';
import { buildRewritePlan, type RewriteFacts } from '../../src/core/rewrite-plan.js';
import type { Finding, LoneSecret, Location } from '../../src/core/types.js';
import { makeKeyId, makeSecret } from '../helpers/keys.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
const C1 = '1111111111111111111111111111111111111111';
const C2 = '2222222222222222222222222222222222222222';
const C3 = '3333333333333333333333333333333333333333';

const loc = (commit: string, path: string | null, line: number): Location => ({
  commit,
  path,
  line,
  author: 'Ada Tester <ada@example.com>',
  date: `2024-01-0${commit[0]}T00:00:00Z`,
});

function finding(keyId: string, secret: string | null, locations: Location[], token = false): Finding {
  return {
    keyId,
    keyKind: keyId.startsWith('ASIA') ? 'temporary' : 'long-term',
    accountId: null,
    canary: false,
    secretFound: secret !== null,
    secretRedacted: secret ? redactSecret(secret) : null,
    sessionTokenFound: token,
    fingerprint: 'keyleak:v1:0',
    locations,
  };
}

const baseFacts: RewriteFacts = {
  source: 'https://github.com/acme/shop.git',
  defaultBranch: 'refs/heads/main',
  refsByCommit: {},
  head: C3,
  headBranch: 'refs/heads/main',
  sharedCommits: [],
  pullRequestsByCommit: {},
  spans: [],
  credentialFiles: [],
  sensitiveDataRemoval: null,
  incidentUrl: null,
};

/** Generated keys replaced by stable tokens, so the golden file holds no key-shaped literal. */
function stable(text: string, values: Record<string, string>): string {
  let out = text;
  for (const [token, value] of Object.entries(values)) out = out.split(value).join(token);
  return out;
}

function golden(name: string, actual: string): void {
  const file = join(TESTDATA, name);
  // UPDATE_GOLDEN=1 rewrites the expected files; review the diff before committing it.
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('the rewrite plan, rendered', () => {
  const key = makeKeyId('AKIA');
  const secret = makeSecret();
  const temp = makeKeyId('ASIA');
  const tempSecret = makeSecret();
  const findings = [
    finding(key, secret, [loc(C1, 'config/app.ini', 4), loc(C2, 'deploy.sh', 2), loc(C3, null, 1)]),
    finding(temp, tempSecret, [loc(C2, '.env', 1)], true),
  ];
  const facts: RewriteFacts = {
    ...baseFacts,
    refsByCommit: {
      [C1]: ['refs/heads/main', 'refs/heads/release', 'refs/tags/v1.0'],
      [C2]: ['refs/heads/main', 'refs/heads/release'],
      [C3]: ['refs/heads/main'],
    },
    sharedCommits: [C1, C2, C3],
    pullRequestsByCommit: { [C2]: [12], [C3]: [15, 12] },
    spans: [
      { keyId: key, kind: 'secret', commit: C1, path: 'config/app.ini', line: 5, start: 25, end: 64 },
      { keyId: key, kind: 'secret', commit: C3, path: null, line: 1, start: 33, end: 72 },
      { keyId: temp, kind: 'secret', commit: C2, path: '.env', line: 2, start: 23, end: 62 },
      { keyId: temp, kind: 'session-token', commit: C2, path: '.env', line: 3, start: 19, end: 334 },
    ],
    credentialFiles: ['.env'],
    incidentUrl: 'https://github.com/acme/shop/issues/7',
  };
  const plan = buildRewritePlan(findings, facts);
  const tokens = {
    '<KEY_ID_1>': key,
    '<KEY_ID_2>': temp,
    '<SECRET_1_REDACTED>': redactSecret(secret),
    '<SECRET_2_REDACTED>': redactSecret(tempSecret),
  };

  it('markdown matches the golden file', () => {
    golden('rewrite-plan.md', stable(renderRewriteMarkdown(plan), tokens));
  });

  it('the script matches the golden file', () => {
    golden('rewrite-plan.sh', stable(renderRewriteScript(plan), tokens));
  });

  it('neither holds a secret', () => {
    for (const text of [renderRewriteMarkdown(plan), renderRewriteScript(plan)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(tempSecret);
    }
  });

  it('a leak only in the newest, unpushed commit gets the short path', () => {
    const p = buildRewritePlan([finding(key, secret, [loc(C3, 'app.env', 1)])], {
      ...baseFacts,
      refsByCommit: { [C3]: ['refs/heads/main'] },
      spans: [{ keyId: key, kind: 'secret', commit: C3, path: 'app.env', line: 2, start: 23, end: 62 }],
    });
    golden('rewrite-plan-amend.md', stable(renderRewriteMarkdown(p), tokens));
  });

  it('a secret found without its key id: its commits and paths, no key id to replace, its verification', () => {
    const lone = makeSecret();
    const fp = fingerprintSecret(lone);
    const secret: LoneSecret = {
      secretRedacted: redactSecret(lone),
      fingerprint: fp,
      locations: [loc(C1, 'ci/deploy.yml', 3), loc(C2, 'config/aws.ini', 1)],
    };
    const p = buildRewritePlan(
      [],
      {
        ...baseFacts,
        refsByCommit: { [C1]: ['refs/heads/main'], [C2]: ['refs/heads/main', 'refs/tags/v1.0'] },
        sharedCommits: [C1, C2],
        spans: [
          { keyId: fp, kind: 'secret', commit: C1, path: 'ci/deploy.yml', line: 3, start: 26, end: 65 },
          { keyId: fp, kind: 'secret', commit: C2, path: 'config/aws.ini', line: 1, start: 25, end: 64 },
        ],
        secretsToRemove: { [fp]: 1 },
      },
      [secret],
    );
    const t = { '<LONE_REDACTED>': redactSecret(lone), '<LONE_FINGERPRINT>': fp };
    golden('rewrite-plan-lone.md', stable(renderRewriteMarkdown(p), t));
    golden('rewrite-plan-lone.sh', stable(renderRewriteScript(p), t));
    expect(p.keys.map((k) => [k.lone, k.commits, k.secretUnlocated])).toEqual([[true, [C1, C2], false]]);
    const script = renderRewriteScript(p);
    expect(script).not.toMatch(/^add_key /m);
    expect(script).toMatch(/^need 0 secret 'the key whose id is unknown \(/m);
    for (const text of [renderRewriteMarkdown(p), script]) expect(text).not.toContain(lone);
    if (hasShellcheck) {
      const r = spawnSync('shellcheck', ['--shell=bash', '-'], { input: script, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('with nothing to remove, both formats say so', () => {
    const p = buildRewritePlan([], baseFacts);
    expect(renderRewriteMarkdown(p)).toBe(
      'Nothing to remove: no leaked key was found in the history of this repository.\n',
    );
    expect(renderRewriteScript(p)).toContain('Nothing to remove');
  });
});
