import type { Location } from '../types.js';
import { mdCode, terminal } from './escape.js';

// A location without a path is a message: a commit's, or an annotated tag's (then `commit` is the tag
// object's id). Every renderer names it through these, so no output calls a tag's message a commit's.

/** A tag's name as people write it: `v1`, not `refs/tags/v1`. */
export function tagName(ref: string): string {
  return ref.replace(/^refs\/tags\//, '');
}

/** The message a pathless location is in, for markdown: `commit message` or ``message of tag `v1` ``. */
export function messageMd(l: Location): string {
  return l.tag ? `message of tag ${mdCode(tagName(l.tag))}` : 'commit message';
}

/** The same for a terminal or plain text (SARIF messages): the tag's name escaped, on one line. */
export function messageText(l: Location): string {
  return l.tag ? `message of tag ${terminal(tagName(l.tag))}` : 'commit message';
}
