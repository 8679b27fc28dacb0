import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrailSummary } from '../../src/core/cloudtrail.js';
import { renderMarkdown } from '../../src/core/render/markdown.js';
import type { Finding, ScanReport } from '../../src/core/types.js';

// AWS's documentation keys: rendered output is compared with committed golden files, so no generated key.
const LIVE = 'AKIAIOSFODNN7EXAMPLE';
const OTHER = 'AKIAI44QH8DHBEXAMPLE';

function finding(keyId: string, over: Partial<Finding>): Finding {
  return {
    keyId,
    keyKind: 'long-term',
    accountId: '123456789012',
    canary: false,
    secretFound: true,
    secretRedacted: 'wJal' + '*'.repeat(36),
    sessionTokenFound: false,
    fingerprint: 'keyleak:v1:' + '0'.repeat(32),
    locations: [
      {
        commit: 'a'.repeat(40),
        path: 'config/prod.env',
        line: 2,
        author: 'Ada',
        date: '2024-01-01T00:00:00Z',
      },
    ],
    ...over,
  } as Finding;
}

const report: ScanReport = {
  findings: [
    finding(LIVE, {
      verification: {
        status: 'live',
        reason: null,
        accountId: '123456789012',
        arn: 'arn:aws:iam::123456789012:user/ci',
        userName: 'ci',
      },
      response: {
        action: 'deactivated',
        detail: 'deactivated with iam:UpdateAccessKey',
        at: '2024-01-02T00:00:00Z',
      },
    }),
    finding(OTHER, {
      secretFound: false,
      secretRedacted: null,
      locations: [1, 2, 3, 4].map((i) => ({
        commit: String(i).repeat(40),
        path: `f|${i}.txt`,
        line: i,
        author: null,
        date: null,
      })),
      response: { action: 'no-responder', detail: 'nothing was done', at: '2024-01-02T00:00:00Z' },
    }),
  ],
  suppressed: [],
  stats: { mode: 'all', objectsScanned: 10, bytesScanned: 100, commitsScanned: 4, durationMs: 1200 },
  incomplete: false,
  warnings: [],
};

const trail = {
  keyId: LIVE,
  window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' },
  regions: ['us-east-1'],
  totalEvents: 42,
  ownEvents: 1,
  byIp: [{ ip: '203.0.113.9', count: 42, first: '2024-01-01T00:00:00Z', last: '2024-01-01T01:00:00Z' }],
  byUserAgent: [],
  byEvent: [],
  incompleteRegions: [],
} as unknown as TrailSummary;

function golden(name: string, text: string): void {
  const file = join(import.meta.dirname, 'testdata', name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

describe('job summary', () => {
  it('gives each key its verdict, containment, CloudTrail headline and incident link, with compact columns', () => {
    const incidents = new Map([[LIVE, { number: 1, url: 'https://github.com/octo/app/issues/1' }]]);
    const md = renderMarkdown(report, { incidents, trails: new Map([[LIVE, trail]]) });
    golden('job-summary.md', md);
    expect(md).not.toContain('wJal');
    expect(md).toContain('[#1](https://github.com/octo/app/issues/1)');
  });

  it('on a public repository shows where keys leaked and their incidents, not verdicts or containment', () => {
    const incidents = new Map([[LIVE, { number: 1, url: 'https://github.com/octo/app/issues/1' }]]);
    const md = renderMarkdown(report, { incidents, trails: new Map([[LIVE, trail]]), withheld: true });
    golden('job-summary-public.md', md);
    expect(md).not.toMatch(/live|deactivated|42 events/);
  });
});
