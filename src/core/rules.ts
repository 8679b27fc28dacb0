/**
 * The patterns keyleak matches. Kept in one place so the fast first pass and the full analysis agree.
 */

/**
 * First-pass pattern over raw bytes read as latin1: a superset of real key ids (no boundary checks, the
 * body allows 0/1/8/9 so placeholders reach the suppressed list). The full analysis decides the rest.
 */
export const KEY_ID_PREFILTER = /(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}/g;

/** The longest match of KEY_ID_PREFILTER: chunk readers carry this many bytes over a boundary. */
export const KEY_ID_LENGTH = 20;

/** A key id as a whole token, on a line already normalised by `normaliseLine`. */
export const KEY_ID_TOKEN = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g;

/**
 * A 40-character secret access key as a whole token: not part of a longer base64 run (integrity hashes,
 * PEM bodies) and not followed by padding.
 */
export const SECRET_TOKEN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g;

/** Words that label a secret access key on the same line. */
export const SECRET_LABEL = /secret|aws_?sak|sak\b|credential/i;

/** Session tokens are long base64; they are only taken when labelled or when they carry STS's own prefix. */
export const SESSION_TOKEN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{100,}={0,2}(?![A-Za-z0-9+/=])/g;
export const SESSION_TOKEN_LABEL = /session_?token|security_?token|x-amz-security-token/i;
export const SESSION_TOKEN_PREFIXES = [
  'FwoGZXIvYXdz',
  'IQoJb3JpZ2lu',
  'IQoJb3JpZ2',
  'AgoJb3JpZ2lu',
  'FQoGZXIvYXdz',
];

/** The marker that suppresses a finding on its line. */
export const ALLOW_MARKER = 'keyleak:allow';

/**
 * Undo the encodings a key or secret travels through in files people commit, without moving line
 * boundaries: URL encoding of + / = (query strings, .env files copied from URLs), JSON's `\/` and
 * `\uXXXX` escapes, and JSON's `\n`, `\r`, `\t` escapes, which in a notebook glue a token to the
 * escape's letter and would otherwise hide it from the whole-token check.
 */
export function normaliseLine(line: string): string {
  if (line.indexOf('%') < 0 && line.indexOf('\\') < 0) return line;
  return line
    .replace(/%2B/gi, '+')
    .replace(/%2F/gi, '/')
    .replace(/%3D/gi, '=')
    .replace(/\\u002[bB]/g, '+')
    .replace(/\\u002[fF]/g, '/')
    .replace(/\\u003[dD]/g, '=')
    .replace(/\\\//g, '/')
    .replace(/\\[nrt]/g, ' ');
}
