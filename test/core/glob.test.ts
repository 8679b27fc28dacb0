import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/core/config.js';

describe('allow.paths globs', () => {
  const cases: [string, string, boolean][] = [
    ['*.env', 'prod.env', true],
    ['*.env', 'config/prod.env', true],
    ['*.env', 'config/prod.env.bak', false],
    ['config/*.env', 'config/prod.env', true],
    ['config/*.env', 'config/a/prod.env', false],
    ['/config/*.env', 'config/prod.env', true],
    ['config/**/*.env', 'config/prod.env', true],
    ['config/**/*.env', 'config/a/b/prod.env', true],
    ['config/**', 'config/a/b', true],
    ['**/fixtures/**', 'test/fixtures/keys.txt', true],
    ['**/fixtures/**', 'fixtures/keys.txt', true],
    ['**/fixtures/**', 'test/fixturesx/keys.txt', false],
    ['test?.txt', 'test1.txt', true],
    ['test?.txt', 'test/.txt', false],
    ['docs/', 'docs/a/b.md', true],
    ['a.b', 'axb', false],
    ['(x)+[y]', '(x)+[y]', true],
  ];
  it.each(cases)('%s against %s: %s', (glob, path, want) => {
    expect(globMatch(glob, path)).toBe(want);
  });

  it('a glob of many ** segments against a long path that almost matches stays linear', () => {
    const glob = Array.from({ length: 40 }, () => '**/a').join('/') + '/b';
    const path = Array.from({ length: 200 }, () => 'a').join('/') + '/c';
    // A backtracking matcher takes minutes here; this one reads the path once per position set.
    expect(globMatch(glob, path)).toBe(false);
    expect(globMatch(glob, path.replace(/c$/, 'b'))).toBe(true);
  });
});
