import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE_FILE, parseDuration, parseOrgSettings } from '../../src/core/org/settings.js';

describe('parseDuration', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['1h30m', 90 * 60_000],
    ['2h', 2 * 3_600_000],
    ['90s', 90_000],
    ['45', 45 * 60_000],
    ['', null],
    ['0', null],
  ])('%j is %j ms', (text, want) => {
    expect(parseDuration(text)).toBe(want);
  });

  it.each(['soon', '30x', 'h', '-5m', '1.5h'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(
      `invalid max-duration '${text}'. Expected a duration like 30m, 1h30m or 90s`,
    );
  });
});

describe('parseOrgSettings', () => {
  const defaults = { workDir: '/tmp/w', cpus: 4 };

  it('validates everything into one settings object', () => {
    expect(
      parseOrgSettings(
        {
          org: 'acme',
          shard: '2/4',
          fullRescan: 'false',
          maxDuration: '5h',
          exclude: 'sandbox-*',
          token: ' t ',
        },
        defaults,
      ),
    ).toMatchObject({
      owner: 'acme',
      shard: { index: 2, count: 4 },
      fullRescan: false,
      maxDurationMs: 5 * 3_600_000,
      concurrency: 4,
      jobs: 1,
      token: 't',
      stateFile: DEFAULT_STATE_FILE,
      filter: { exclude: ['sandbox-*'], includeArchived: false },
    });
  });

  it.each([
    [{}, 'org mode needs `org`'],
    [{ org: 'acme/api' }, "invalid org 'acme/api'. Expected an organisation or user login"],
    [{ org: 'acme', shard: '5/4' }, "invalid shard '5/4'. Expected i/n with 1 ≤ i ≤ n"],
    [{ org: 'acme', fullRescan: 'yes' }, "invalid full-rescan 'yes'. Expected true or false"],
    [{ org: 'acme', concurrency: '0' }, "invalid concurrency '0'. Expected a whole number from 1 to 64"],
  ])('rejects %j', (raw, message) => {
    expect(() => parseOrgSettings(raw, defaults)).toThrow(message);
  });
});
