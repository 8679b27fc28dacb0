import { afterEach, describe, expect, it } from 'vitest';
import { GitHub } from '../../src/adapters/github.js';
import { OrgIncidents } from '../../src/commands/org-incidents.js';
import { NoVerification } from '../../src/commands/ports.js';
import type { OrgKeyFinding } from '../../src/commands/ports-org.js';
import type { RepoRecord } from '../../src/core/org/select.js';
import { fingerprintKeyId } from '../../src/core/redact.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from '../../src/core/render/incident.js';
import type { Finding } from '../../src/core/types.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { makePair } from '../helpers/keys.js';

let emu: GitHubEmulator | null = null;
afterEach(async () => {
  await emu?.close();
  emu = null;
});

const repo = (fullName: string, id: number): RepoRecord => ({
  fullName,
  id,
  archived: false,
  fork: false,
  visibility: 'private',
  topics: [],
  defaultBranch: 'main',
  cloneUrl: `https://github.com/${fullName}.git`,
  sizeKb: 1,
  pushedAt: null,
});

function finding(keyId: string, commit: string, path: string): Finding {
  return {
    keyId,
    keyKind: 'long-term',
    accountId: '123456789012',
    canary: false,
    secretFound: true,
    secretRedacted: 'abcd' + '*'.repeat(36),
    sessionTokenFound: false,
    fingerprint: fingerprintKeyId(keyId),
    locations: [{ commit, path, line: 1, author: 'A <a@x>', date: '2024-01-01T00:00:00Z' }],
  };
}

describe('org incidents', () => {
  it('one key leaked in two repositories is one incident in the incident repository, listing both', async () => {
    emu = await startGitHubEmulator(makeState(['acme/security', 'acme/api', 'acme/web']));
    const pair = makePair();
    const github = GitHub.create({
      token: 'test-token',
      baseUrl: emu.url,
      timing: { retryAfterBaseMs: 1, writeSpacingMs: { write: 0, notify: 0 } },
    });
    const masked: string[] = [];
    const sink = new OrgIncidents({
      github,
      responder: new NoVerification('verification is turned off (`verify: false`)'),
      issueRepo: { owner: 'acme', repo: 'security' },
      serverUrl: 'https://github.com',
      runUrl: null,
      contacts: DEFAULT_RUNBOOK_TEMPLATE,
      now: () => new Date('2024-01-02T00:00:00Z'),
      log: () => {},
      mask: (s) => masked.push(...[...s.values()].flatMap((m) => m.secrets)),
      uploadTrails: async () => null,
    });
    const key: OrgKeyFinding = {
      keyId: pair.keyId,
      fingerprint: fingerprintKeyId(pair.keyId),
      secrets: { secrets: [pair.secret], sessionTokens: [] },
      occurrences: [
        {
          repo: repo('acme/api', 1),
          finding: finding(pair.keyId, 'a'.repeat(40), 'deploy.env'),
          alreadyReported: false,
        },
        {
          repo: repo('acme/web', 2),
          finding: finding(pair.keyId, 'b'.repeat(40), 'config.js'),
          alreadyReported: false,
        },
      ],
    };
    const verdicts = await sink.report([key]);
    expect(verdicts).toEqual([{ keyId: pair.keyId, status: 'not verified', issue: expect.any(Number) }]);
    expect(masked).toEqual([pair.secret]);
    const issues = emu.state.repos['acme/security']!.issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.body).toContain('In [acme/api](https://github.com/acme/api):');
    expect(issues[0]!.body).toContain('In [acme/web](https://github.com/acme/web):');
    expect(JSON.stringify(emu.state)).not.toContain(pair.secret);

    // Found again the next night in a third place: the same incident gains it, no second issue.
    const again = await sink.report([
      {
        ...key,
        occurrences: [
          ...key.occurrences.map((o) => ({ ...o, alreadyReported: true })),
          {
            repo: repo('acme/web', 2),
            finding: finding(pair.keyId, 'c'.repeat(40), 'old.js'),
            alreadyReported: false,
          },
        ],
      },
    ]);
    expect(again[0]!.issue).toBe(verdicts[0]!.issue);
    expect(emu.state.repos['acme/security']!.issues).toHaveLength(1);
    expect(emu.state.repos['acme/security']!.issues[0]!.body).toContain('old.js');
  });
});
