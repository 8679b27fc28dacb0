import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The release script is plain JavaScript run by node; it is loaded by path so the type checker does not
// need declarations for it.
const SCRIPT = resolve(import.meta.dirname, '../../scripts/release-notes.mjs');
const { releaseNotes } = (await import(SCRIPT)) as {
  releaseNotes(v: string, pkg: string, changelog: string): { notes?: string; error?: string };
};

const pkg = (version: string) => JSON.stringify({ version });
const CHANGELOG = `# Changelog

## Unreleased

- next

## 1.2.0

- mode: full
- keyleak baseline

## 1.1.0

- older
`;

describe('release notes', () => {
  it.each([
    [
      'the version section, up to the next one',
      '1.2.0',
      pkg('1.2.0'),
      { notes: '- mode: full\n- keyleak baseline\n' },
    ],
    ['not X.Y.Z', 'v1.2.0', pkg('1.2.0'), { error: expect.stringContaining('is not X.Y.Z') }],
    [
      'package.json says otherwise',
      '1.2.0',
      pkg('1.1.0'),
      { error: expect.stringContaining('package.json says version 1.1.0') },
    ],
    [
      'no CHANGELOG section',
      '1.3.0',
      pkg('1.3.0'),
      { error: expect.stringContaining("no '## 1.3.0' section") },
    ],
  ])('%s', (_name, version, p, expected) => {
    expect(releaseNotes(version, p, CHANGELOG)).toEqual(expected);
  });
});
