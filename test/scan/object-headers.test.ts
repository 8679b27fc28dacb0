import { describe, expect, it } from 'vitest';
import { objectHeaders, parseCommitObject, parseTagObject } from '../../src/scan/passes.js';

const TREE = 'a'.repeat(40);
const PARENT = 'b'.repeat(40);

describe('commit and tag object headers, parsed in one place', () => {
  it.each([
    {
      what: 'a commit: headers in order, the message after the first empty line',
      text: `tree ${TREE}\nparent ${PARENT}\nauthor A U <a@x> 1700000000 +0130\ncommitter C <c@x> 1700000001 +0000\n\nsubject\n\nbody\n`,
      headers: [
        ['tree', TREE],
        ['parent', PARENT],
        ['author', 'A U <a@x> 1700000000 +0130'],
        ['committer', 'C <c@x> 1700000001 +0000'],
      ],
      message: 'subject\n\nbody\n',
    },
    {
      what: 'a signature’s continuation lines are left out',
      text: `tree ${TREE}\ngpgsig -----BEGIN PGP SIGNATURE-----\n author forged <f@x> 1 +0000\n -----END PGP SIGNATURE-----\nauthor A <a@x> 1700000000 -0500\n\nm`,
      headers: [
        ['tree', TREE],
        ['gpgsig', '-----BEGIN PGP SIGNATURE-----'],
        ['author', 'A <a@x> 1700000000 -0500'],
      ],
      message: 'm',
    },
    { what: 'an object without a message', text: `tree ${TREE}`, headers: [['tree', TREE]], message: '' },
  ])('$what', ({ text, headers, message }) => {
    expect(objectHeaders(text)).toEqual({ headers, message });
  });

  it('reads a commit’s author and date in the author’s own offset, never a signature’s lines', () => {
    const text = `tree ${TREE}\ngpgsig x\n author forged <f@x> 1 +0000\nauthor A U <a@x> 1700000000 +0130\n\nmsg\n`;
    expect(parseCommitObject(text)).toEqual({
      author: 'A U <a@x>',
      date: '2023-11-14T23:43:20+01:30',
      message: 'msg\n',
    });
  });

  it('reads an annotated tag’s name, tagger and message', () => {
    const text = `object ${TREE}\ntype commit\ntag v1.2\ntagger T <t@x> 1700000000 -0800\n\nrelease\n`;
    expect(parseTagObject(text)).toEqual({
      name: 'v1.2',
      author: 'T <t@x>',
      date: '2023-11-14T14:13:20-08:00',
      message: 'release\n',
    });
  });
});
