import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/core/render/text.js';
import type { Finding, ScanReport } from '../../src/core/types.js';
import { makeKeyId } from '../helpers/keys.js';

function report(locations: number): ScanReport {
  const f: Finding = {
    keyId: makeKeyId(),
    keyKind: 'long-term',
    accountId: null,
    canary: false,
    secretFound: false,
    secretRedacted: null,
    sessionTokenFound: false,
    fingerprint: 'keyleak:v1:x',
    locations: Array.from({ length: locations }, (_, i) => ({
      commit: null,
      path: `fixtures/f${i}.json`,
      line: 1,
      author: null,
      date: null,
    })),
  };
  return {
    findings: [f],
    suppressed: [],
    stats: { mode: 'no-git', objectsScanned: 1, bytesScanned: 1, commitsScanned: 0, durationMs: 1 },
    incomplete: false,
    warnings: [],
  };
}

describe('text output', () => {
  it.each([
    [1, 1, null],
    [5, 5, null],
    [6, 5, '… 1 more location (6 in all; --format json lists every one)'],
    [1000, 5, '… 995 more locations (1000 in all; --format json lists every one)'],
  ])('a key seen at %i places lists %i of them', (n, shown, more) => {
    const text = renderText(report(n));
    expect(text.match(/fixtures\/f\d+\.json:1/g)).toHaveLength(shown);
    if (more) expect(text).toContain(more);
    else expect(text).not.toContain('more location');
  });
});
