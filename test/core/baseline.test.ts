import { describe, expect, it } from 'vitest';
import { addToBaseline } from '../../src/core/baseline.js';

const FP = (n: number) => `keyleak:v1:${String(n).repeat(32).slice(0, 32)}`;
const entry = (n: number) => ({
  fingerprint: FP(n),
  note: 'long-term key, 1 location, baselined 2026-12-01',
});

describe('addToBaseline', () => {
  it('appends to an existing list, keeping comments, other fields and their order', () => {
    const before = `# team config: ask #security before editing
allow:
  paths:
    - docs/** # examples from the AWS docs

baseline:
  - ${FP(1)} # the 2019 incident
canary-accounts: ['111122223333']
`;
    const { text, added } = addToBaseline(before, 'k.yml', [entry(1), entry(2)]);
    expect(added).toEqual([FP(2)]);
    expect(text).toBe(
      `# team config: ask #security before editing
allow:
  paths:
    - docs/** # examples from the AWS docs

baseline:
  - ${FP(1)} # the 2019 incident
  - ${FP(2)} # long-term key, 1 location, baselined 2026-12-01
canary-accounts: ['111122223333']
`,
    );
  });

  it.each([
    ['no file yet', null],
    ['an empty file', ''],
  ])('starts the list from %s', (_name, before) => {
    const { text, added } = addToBaseline(before, 'k.yml', [entry(3)]);
    expect(added).toEqual([FP(3)]);
    expect(text).toContain(`baseline:\n  - ${FP(3)} # long-term key`);
  });

  it('leaves the text untouched when every fingerprint is already there', () => {
    const before = `baseline: [${FP(1)}] # flow style\n`;
    expect(addToBaseline(before, 'k.yml', [entry(1)])).toEqual({ text: before, added: [] });
  });

  it('keeps a comment to one line whatever the note says', () => {
    const { text } = addToBaseline(null, 'k.yml', [
      { fingerprint: FP(4), note: 'a\nallow:\n  paths: ["**"]' },
    ]);
    expect(text).not.toMatch(/^allow:/m);
  });

  it('refuses a config the next run would reject, naming the line', () => {
    expect(() => addToBaseline('baseline:\n  - not-a-fingerprint\n', 'k.yml', [entry(1)])).toThrow(
      "k.yml:2: baseline: 'not-a-fingerprint' is not a keyleak fingerprint",
    );
  });
});
