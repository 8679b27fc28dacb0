import {
  ALLOW_MARKER,
  KEY_ID_PREFILTER,
  KEY_ID_TOKEN,
  SECRET_LABEL,
  SECRET_TOKEN,
  SESSION_TOKEN,
  SESSION_TOKEN_LABEL,
  SESSION_TOKEN_PREFIXES,
  normaliseLine,
} from './rules.js';

/** A key id seen on a line of a text. */
export interface KeyIdHit {
  keyId: string;
  line: number;
  allowed: boolean;
}

export interface SecretHit {
  value: string;
  line: number;
  labelled: boolean;
}

export interface TokenHit {
  value: string;
  line: number;
}

/** Everything the full analysis found in one text (a file version, a commit message). */
export interface TextAnalysis {
  keyIds: KeyIdHit[];
  secrets: SecretHit[];
  tokens: TokenHit[];
}

export const EMPTY_ANALYSIS: TextAnalysis = Object.freeze({ keyIds: [], secrets: [], tokens: [] });

/**
 * True when `text` (bytes read as latin1) may hold a key id. The first pass runs this over every object
 * in a history, so it is one regex with a literal prefix and nothing else.
 */
export function mayHoldKeyId(text: string): boolean {
  KEY_ID_PREFILTER.lastIndex = 0;
  return KEY_ID_PREFILTER.test(text);
}

/** Whether a 40-character token has the shape of a secret access key rather than a hash or a word. */
export function looksLikeSecret(value: string): boolean {
  if (/^[0-9a-fA-F]+$/.test(value)) return false; // git SHAs, hex digests
  if (!/[A-Z]/.test(value) || !/[a-z]/.test(value)) return false;
  if (!/[0-9+/]/.test(value)) return false;
  if (/EXAMPLEKEY$/.test(value)) return false; // AWS's documentation secret
  return new Set(value).size >= 16;
}

function looksLikeSessionToken(value: string, line: string): boolean {
  return SESSION_TOKEN_LABEL.test(line) || SESSION_TOKEN_PREFIXES.some((p) => value.startsWith(p));
}

/**
 * Analyses lines of text, fed in pieces of any size. Lines are 1-based and counted on the original text,
 * so CRLF files and escaped content report the line a person sees.
 */
export class LineAnalyzer {
  private partial = '';
  private lineNo = 0;
  readonly result: TextAnalysis = { keyIds: [], secrets: [], tokens: [] };

  /**
   * `keyIdsOnly`: key ids (with their lines and allow markers) and nothing else, for texts where no
   * report will need a secret (a history's documentation keys): the secret patterns are most of the cost.
   */
  constructor(private readonly keyIdsOnly = false) {}

  /** Longest line held in memory; longer lines (minified files) are analysed in overlapping pieces. */
  static readonly MAX_LINE = 1 << 20;

  push(piece: string): void {
    let text = this.partial + piece;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.lineNo++;
      this.analyseLine(text.slice(start, nl), this.lineNo);
      start = nl + 1;
    }
    text = text.slice(start);
    if (text.length > LineAnalyzer.MAX_LINE) {
      // Analyse the head of an over-long line now and keep a tail long enough for any token to straddle.
      // Tokens inside the kept tail are seen twice and deduplicated at the end.
      const keep = 4096;
      this.analyseLine(text, this.lineNo + 1);
      text = text.slice(text.length - keep);
    }
    this.partial = text;
  }

  end(): TextAnalysis {
    if (this.partial.length > 0) {
      this.lineNo++;
      this.analyseLine(this.partial, this.lineNo);
      this.partial = '';
    }
    dedupe(this.result);
    return this.result;
  }

  private analyseLine(raw: string, line: number): void {
    const hasKeyPrefix = raw.indexOf('A') >= 0;
    const text = normaliseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    const allowed = text.includes(ALLOW_MARKER);
    if (hasKeyPrefix) {
      KEY_ID_TOKEN.lastIndex = 0;
      for (let m = KEY_ID_TOKEN.exec(text); m; m = KEY_ID_TOKEN.exec(text)) {
        this.result.keyIds.push({ keyId: m[0], line, allowed });
      }
    }
    if (this.keyIdsOnly || text.length < 40) return;
    SECRET_TOKEN.lastIndex = 0;
    for (let m = SECRET_TOKEN.exec(text); m; m = SECRET_TOKEN.exec(text)) {
      if (!looksLikeSecret(m[0])) continue;
      const before = text.slice(Math.max(0, m.index - 64), m.index);
      this.result.secrets.push({ value: m[0], line, labelled: SECRET_LABEL.test(before) });
    }
    if (text.length < 100) return;
    SESSION_TOKEN.lastIndex = 0;
    for (let m = SESSION_TOKEN.exec(text); m; m = SESSION_TOKEN.exec(text)) {
      if (looksLikeSessionToken(m[0], text)) this.result.tokens.push({ value: m[0], line });
    }
  }
}

function dedupe(a: TextAnalysis): void {
  const seen = new Set<string>();
  a.keyIds = a.keyIds.filter((k) => {
    const id = `${k.keyId}:${k.line}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  seen.clear();
  a.secrets = a.secrets.filter((s) => {
    const id = `${s.value}:${s.line}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  seen.clear();
  a.tokens = a.tokens.filter((t) => {
    if (seen.has(t.value)) return false;
    seen.add(t.value);
    return true;
  });
}

/** Full analysis of a whole text in memory. */
export function analyseText(text: string): TextAnalysis {
  const a = new LineAnalyzer();
  a.push(text);
  return a.end();
}
