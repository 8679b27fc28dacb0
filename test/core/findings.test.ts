import { describe, expect, it } from 'vitest';
import { EMPTY_CONFIG, parseConfig } from '../../src/core/config.js';
import { analyseText } from '../../src/core/detect.js';
import { buildFindings, type ScanUnit } from '../../src/core/findings.js';
import { fingerprintKeyId } from '../../src/core/redact.js';
import { makeKeyId, makeSecret, makeSessionToken } from '../helpers/keys.js';

const commit = (sha: string, date = '2024-01-01T00:00:00Z') => ({
  sha: sha.padEnd(40, '0'),
  author: 'A <a@x>',
  date,
});
const unit = (text: string, path: string | null = 'f.txt', c = commit('a')): ScanUnit => ({
  commit: c,
  path,
  analysis: analyseText(text),
});

describe('building findings', () => {
  it('makes one finding per key id with every location, first introduction first', () => {
    const id = makeKeyId();
    const { findings } = buildFindings(
      [unit(`k=${id}`, 'b.txt', commit('b', '2024-02-01T00:00:00Z')), unit(`k=${id}`, 'a.txt', commit('a'))],
      EMPTY_CONFIG,
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]!.locations.map((l) => l.path)).toEqual(['a.txt', 'b.txt']);
    expect(findings[0]!.accountId).toMatch(/^\d{12}$/);
  });

  it('pairs a secret in the same file, labelled ones first', () => {
    const id = makeKeyId();
    const near = makeSecret();
    const labelled = makeSecret();
    const { findings, secrets } = buildFindings(
      [unit(`id=${id}\nx=${near}\n\n\n\naws_secret_access_key=${labelled}`)],
      EMPTY_CONFIG,
    );
    expect(secrets.get(id)!.secrets).toEqual([labelled, near]);
    expect(findings[0]!.secretFound).toBe(true);
    expect(findings[0]!.secretRedacted).toBe(labelled.slice(0, 4) + '*'.repeat(36));
  });

  it('pairs a secret from another file of the same commit when the file has none', () => {
    const id = makeKeyId();
    const s = makeSecret();
    const c = commit('c');
    const other = commit('d');
    const { secrets } = buildFindings(
      [unit(`id=${id}`, 'a', c), unit(`secret=${s}`, 'b', c), unit(`secret=${makeSecret()}`, 'x', other)],
      EMPTY_CONFIG,
    );
    expect(secrets.get(id)!.secrets).toEqual([s]);
  });

  it('pairs ASIA ids with their session token', () => {
    const id = makeKeyId('ASIA');
    const t = makeSessionToken();
    const { findings, secrets } = buildFindings(
      [unit(`id=${id}\nsecret=${makeSecret()}\ntoken=${t}`)],
      EMPTY_CONFIG,
    );
    expect(findings[0]!.keyKind).toBe('temporary');
    expect(findings[0]!.sessionTokenFound).toBe(true);
    expect(secrets.get(id)!.sessionTokens).toEqual([t]);
  });

  it('marks keys of canary-token accounts', () => {
    const id = makeKeyId('AKIA', '052310077262');
    expect(buildFindings([unit(`k=${id}`)], EMPTY_CONFIG).findings[0]!.canary).toBe(true);
  });
});

describe('suppression', () => {
  const cases: [string, (id: string) => string, string][] = [
    ['AWS documentation keys', () => 'k=AKIAIOSFODNN7EXAMPLE', 'aws-example'],
    ['ids with characters a key never has', () => 'k=AKIA1234567890ABCDEF', 'placeholder'],
    ['ids with almost no entropy', () => `k=AKIA${'X'.repeat(16)}`, 'placeholder'],
    ['lines marked keyleak:allow', (id) => `k=${id} # keyleak:allow`, 'inline-allow'],
  ];
  it.each(cases)('suppresses %s, listing them with the reason', (_name, text, reason) => {
    const id = makeKeyId();
    const { findings, suppressed } = buildFindings([unit(text(id))], EMPTY_CONFIG);
    expect(findings).toEqual([]);
    expect(suppressed.map((s) => s.reason)).toEqual([reason]);
  });

  it('suppresses by the config: key ids, paths, commits and the baseline', () => {
    const [a, b, c, d, e] = [makeKeyId(), makeKeyId(), makeKeyId(), makeKeyId(), makeKeyId()];
    const config = parseConfig(
      `allow:\n  key-ids: [${a}]\n  paths: ['docs/**']\n  commits: [ccccccc]\nbaseline:\n  - ${fingerprintKeyId(d)}\n`,
      'keyleak.yml',
    );
    const { findings, suppressed } = buildFindings(
      [
        unit(`k=${a}`),
        unit(`k=${b}`, 'docs/guide/setup.md'),
        unit(`k=${c}`, 'src/x', commit('ccccccc')),
        unit(`k=${d}`),
        unit(`k=${e}`),
      ],
      config,
    );
    expect(findings.map((f) => f.keyId)).toEqual([e]);
    expect(Object.fromEntries(suppressed.map((s) => [s.keyId, s.reason]))).toEqual({
      [a]: 'allowed-key-id',
      [b]: 'allowed-path',
      [c]: 'allowed-commit',
      [d]: 'baseline',
    });
  });

  it('still reports a key allowed in one place when it also leaked elsewhere', () => {
    const id = makeKeyId();
    const config = parseConfig(`allow:\n  paths: ['docs/']\n`, 'k.yml');
    const { findings, suppressed } = buildFindings(
      [unit(`k=${id}`, 'docs/a.md'), unit(`k=${id}`, 'src/a.py')],
      config,
    );
    expect(findings[0]!.locations.map((l) => l.path)).toEqual(['src/a.py']);
    expect(suppressed[0]!.locations.map((l) => l.path)).toEqual(['docs/a.md']);
  });
});

describe('config errors name the file, line and field', () => {
  it.each([
    ['allow:\n  key-ids: [nope]\n', 'k.yml:2: allow.key-ids: '],
    ['allow:\n  pathz: [a]\n', 'k.yml:2: allow.pathz: unknown field'],
    ['baseline: notalist\n', 'k.yml:1: baseline: expected a list'],
    ['extra: 1\n', 'k.yml:1: extra: unknown field'],
    ['allow: [\n', 'k.yml:'],
    ['canary-accounts: ["12"]\n', 'k.yml:1: canary-accounts: '],
  ])('%j', (text, message) => {
    expect(() => parseConfig(text, 'k.yml')).toThrow(message);
  });

  it('accepts an empty file', () => {
    expect(parseConfig('', 'k.yml')).toBe(EMPTY_CONFIG);
  });
});
