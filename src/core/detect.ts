import {
  AWS_SECRET_LABEL,
  AWS_SECRET_LABEL_LENGTH,
  KEY_ID_PREFILTER,
  KNOWN_ALLOW_MARKERS,
  KEY_ID_TOKEN,
  SECRET_LABEL,
  SECRET_TOKEN,
  SESSION_TOKEN,
  SESSION_TOKEN_LABEL,
  SESSION_TOKEN_PREFIXES,
  hasSecretShape,
  isDocumentedSecret,
  normaliseLine,
  visitSecretLabels,
} from './rules.js';

/** A key id seen on a line of a text. */
export interface KeyIdHit {
  keyId: string;
  line: number;
  /** The allow marker on the line (`keyleak:allow`, `gitleaks:allow`, …); config decides whether it counts. */
  marker: string | null;
}

export interface SecretHit {
  value: string;
  line: number;
  labelled: boolean;
  /** Labelled as an AWS secret access key (`aws_secret_access_key`, `SecretAccessKey`): may stand alone. */
  awsLabelled?: true;
  /** One of AWS's documentation secrets: never a candidate, it marks its key id as documentation. */
  documented?: true;
  /** The allow marker on the line, when there is one. */
  marker?: string;
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
 * True when `text` (bytes read as latin1) may hold a key id, as it is or encoded (UTF-16, a `\u` escape
 * or HTML entity of one of its characters, base64: rules.ts KEY_ID_PREFILTER), so that a history scan's
 * first pass hands the full analysis, which decodes, every file it must. The first pass runs this over
 * every object in a history, so it is one regex and nothing else.
 */
export function mayHoldKeyId(text: string): boolean {
  KEY_ID_PREFILTER.lastIndex = 0;
  return KEY_ID_PREFILTER.test(text);
}

/**
 * True when `text` (bytes read as latin1) may label an AWS secret access key, so that a lone secret (one
 * with no key id) reaches the full analysis. Plain string searches first: most text holds neither.
 */
export function mayHoldSecretLabel(text: string): boolean {
  return (text.includes('ecret') || text.includes('ECRET')) && AWS_SECRET_LABEL.test(text);
}

/** How far past a label the analysis looks for its secret (analyseDecoded: 64 characters before a token). */
const LABEL_REACH = AWS_SECRET_LABEL_LENGTH + 64 + 40;
/** Raw text a label's reach may take when every character of it is escaped (`&#x2F;` is six bytes). */
const RAW_REACH = LABEL_REACH * 8;
const SECRET_RUN = /[A-Za-z0-9+/]{40}/;
/** Labels looked at before a text is simply analysed in full: a hostile file cannot make this the slow part. */
const LABELS_LOOKED_AT = 1000;

/**
 * True when a text with no key id may hold a lone secret: a 40-character run within a secret label's
 * reach on its line, after the same unescaping the analysis does (the value may be base64, `\u`-escaped
 * or entity-encoded); UTF-16 text is always taken. The full analysis of a file costs far more than this,
 * and a history's API models name `SecretAccessKey` thousands of times without ever holding one.
 */
export function mayHoldLabelledSecret(text: string): boolean {
  if (utf16Of(text.slice(0, 64))) return true;
  let seen = 0;
  let may = false;
  visitSecretLabels(text, 0, text.length, (at) => {
    if (++seen > LABELS_LOOKED_AT) return (may = true);
    const eol = text.indexOf('\n', at);
    const raw = text.slice(at, Math.min(eol < 0 ? text.length : eol, at + RAW_REACH));
    return (may = SECRET_RUN.test(normaliseLine(raw).slice(0, LABEL_REACH)));
  });
  return may;
}

/** Lines looked at together by mayHoldDecodedKeyId: whole lines of about this many characters. */
const LINES_PIECE = 64 << 10;
/**
 * A base64 value as CREDENTIAL_B64_VALUE takes it, without the name before it (its second group here),
 * long enough to decode to a key id's 20 characters, and whose first three digits leave the top bit of
 * the first three bytes clear, as text's are (see decodesToAscii): most names in API models fail there.
 */
const B64_KEY_ID_VALUE =
  /[:=]\s*["']?([A-Za-f][A-HQ-Xg-nw-z0-3][ABEFIJMNQRUVYZcdghklopstwx014589][A-Za-z0-9+/]{24,}={0,2})/g;

/**
 * Whether a text (bytes read as latin1) the first pass found no key id in may still give LineAnalyzer
 * one. Only a value it decodes from base64 (analyseLine) can, and only when that value's text, or the
 * text it decodes to, is escaped (a `\u0041`), which the prefilter's base64 forms do not cover: so this
 * looks for a value of 27 characters or more after a separator, on lines unescaped as the analysis does,
 * that decodes to text. Whole lines are looked at together (an escape never holds a line break), which
 * costs a fraction of analysing them; a line too long for that is answered yes, as is UTF-16 text.
 */
export function mayHoldDecodedKeyId(text: string): boolean {
  if (utf16Of(text.slice(0, 64))) return true;
  for (let at = 0; at < text.length;) {
    let end = at + LINES_PIECE >= text.length ? text.length : text.indexOf('\n', at + LINES_PIECE);
    if (end < 0) end = text.length;
    if (end - at > LineAnalyzer.MAX_LINE) return true;
    const lines = normaliseLine(text.slice(at, end));
    B64_KEY_ID_VALUE.lastIndex = 0;
    for (let m = B64_KEY_ID_VALUE.exec(lines); m; m = B64_KEY_ID_VALUE.exec(lines))
      if (decodesToAscii(m[1]!) && decodeBase64Text(m[1]!) !== null) return true;
    at = end + 1;
  }
  return false;
}

/** Whether a 40-character token has the shape of a secret access key (and is not AWS's documentation one). */
export function looksLikeSecret(value: string): boolean {
  return hasSecretShape(value) && !isDocumentedSecret(value);
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
  /** Decided on the first bytes: UTF-16 text is decoded before it is split into lines. */
  private utf16: 'le' | 'be' | null | undefined = undefined;
  private oddByte = '';
  readonly result: TextAnalysis = { keyIds: [], secrets: [], tokens: [] };

  /**
   * `keyIdsOnly`: key ids (with their lines and allow markers) and nothing else, for texts where no
   * report will need a secret (a history's documentation keys): the secret patterns are most of the cost.
   */
  constructor(
    private readonly keyIdsOnly = false,
    /** The allow markers to note on a line (config's `allow.markers` and other scanners'). */
    private readonly markers: readonly string[] = KNOWN_ALLOW_MARKERS,
  ) {}

  /** Longest line held in memory; longer lines (minified files) are analysed in overlapping pieces. */
  static readonly MAX_LINE = 1 << 20;

  /** Takes bytes read as latin1 (one character per byte), in pieces of any size. */
  push(piece: string): void {
    if (this.utf16 === undefined) this.utf16 = utf16Of(piece);
    if (this.utf16) piece = this.decodeUtf16(piece);
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

  private decodeUtf16(piece: string): string {
    let bytes = this.oddByte + piece;
    this.oddByte = bytes.length % 2 ? bytes.slice(-1) : '';
    if (this.oddByte) bytes = bytes.slice(0, -1);
    const buf = Buffer.from(bytes, 'latin1');
    if (this.utf16 === 'be') buf.swap16();
    // Characters beyond latin1 cannot be part of a key or a secret: keep one character per unit.
    // eslint-disable-next-line no-control-regex -- the range is every latin1 character, NUL included
    return buf.toString('utf16le').replace(/[^\x00-\xff]/g, '?');
  }

  private analyseLine(raw: string, line: number): void {
    const text = normaliseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    this.analyseDecoded(text, line);
    // One level of base64 under a credential-like key (a Kubernetes Secret's `data:`, a
    // `.dockerconfigjson`'s `auth`): the decoded text is analysed as if it stood on this line.
    if (text.length >= 24 && B64_VALUE_AFTER_SEPARATOR.test(text) && CREDENTIAL_VALUE_HINT.test(text)) {
      CREDENTIAL_B64_VALUE.lastIndex = 0;
      for (let m = CREDENTIAL_B64_VALUE.exec(text); m; m = CREDENTIAL_B64_VALUE.exec(text)) {
        const decoded = decodeBase64Text(m[2]!);
        if (decoded === null) continue;
        const name = m[1]!;
        for (const part of decoded.split(/\r?\n/))
          this.analyseDecoded(`${name}: ${normaliseLine(part)}`, line);
      }
    }
  }

  private markerOf(text: string): string | null {
    for (const m of this.markers) if (text.includes(m)) return m;
    return null;
  }

  private analyseDecoded(text: string, line: number): void {
    let marker: string | null | undefined;
    if (text.indexOf('A') >= 0) {
      KEY_ID_TOKEN.lastIndex = 0;
      for (let m = KEY_ID_TOKEN.exec(text); m; m = KEY_ID_TOKEN.exec(text)) {
        if (marker === undefined) marker = this.markerOf(text);
        this.result.keyIds.push({ keyId: m[0], line, marker });
      }
    }
    if (this.keyIdsOnly || text.length < 40) return;
    SECRET_TOKEN.lastIndex = 0;
    for (let m = SECRET_TOKEN.exec(text); m; m = SECRET_TOKEN.exec(text)) {
      if (!hasSecretShape(m[0])) continue;
      const before = text.slice(Math.max(0, m.index - 64), m.index);
      const hit: SecretHit = { value: m[0], line, labelled: SECRET_LABEL.test(before) };
      if (AWS_SECRET_LABEL.test(before)) hit.awsLabelled = true;
      if (isDocumentedSecret(m[0])) hit.documented = true;
      if (marker === undefined) marker = this.markerOf(text);
      if (marker) hit.marker = marker;
      this.result.secrets.push(hit);
    }
    if (text.length < 100) return;
    SESSION_TOKEN.lastIndex = 0;
    for (let m = SESSION_TOKEN.exec(text); m; m = SESSION_TOKEN.exec(text)) {
      if (looksLikeSessionToken(m[0], text)) this.result.tokens.push({ value: m[0], line });
    }
  }
}

/**
 * Cheap tests before the base64 one, each true of every line it matches: a separator with a base64 run
 * of 24 after it (most lines have none, and this pattern is only tried where a `:` or `=` stands), and a
 * credential-like name. CREDENTIAL_B64_VALUE tries every start of every word, which made it the
 * costliest pattern of a history scan.
 */
const B64_VALUE_AFTER_SEPARATOR = /[:=]\s*["']?[A-Za-z0-9+/]{24}/;
/** The line names a credential-like key. */
const CREDENTIAL_VALUE_HINT = /secret|key|token|auth|cred|passw|dockerconfig/i;
/** A credential-like key and its base64 value (YAML, JSON or `KEY=value`). */
const CREDENTIAL_B64_VALUE =
  /([A-Za-z0-9_.-]*(?:secret|key|token|auth|cred|passw|dockerconfig)[A-Za-z0-9_.-]*)["']?\s*[:=]\s*["']?([A-Za-z0-9+/]{24,}={0,2})(?![A-Za-z0-9+/=])/gi;

/** Base64 digit values by character code (-1 for anything else). */
const BASE64_VALUE = Int8Array.from({ length: 128 }, (_, c) =>
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(String.fromCharCode(c)),
);
/** Of the digit at each place of a group of four, the bit that becomes a byte's top bit. */
const TOP_BIT = [0x20, 0x08, 0x02, 0];

/**
 * Whether every byte a base64 run decodes to is below 0x80, as text must be: a test of its digits that
 * rejects most names (`AuthorizeSecurityGroupIngress`) at their second letter, before decoding.
 */
function decodesToAscii(value: string): boolean {
  // A byte is decoded from a digit's bits only when the next digit is there too.
  for (let i = 0; i + 1 < value.length; i++) {
    const v = BASE64_VALUE[value.charCodeAt(i)];
    if (v === undefined || v < 0) return true;
    if (v & TOP_BIT[i & 3]!) return false;
  }
  return true;
}

/** Base64 that decodes to printable text, or null (binary, or not base64 at all). */
function decodeBase64Text(value: string): string | null {
  if (value.length % 4 === 1) return null;
  const text = Buffer.from(value, 'base64').toString('latin1');
  return /^[\t\n\r\x20-\x7e]+$/.test(text) ? text : null;
}

/**
 * Whether bytes (read as latin1) are UTF-16: a byte-order mark, or text whose every other byte is NUL
 * among the first ones (Windows tools write UTF-16 LE without a mark).
 */
function utf16Of(head: string): 'le' | 'be' | null {
  if (head.startsWith('\xff\xfe')) return 'le';
  if (head.startsWith('\xfe\xff')) return 'be';
  const n = Math.min(head.length, 64) & ~1;
  if (n < 8) return null;
  let le = 0;
  let be = 0;
  for (let i = 0; i < n; i += 2) {
    if (head.charCodeAt(i + 1) === 0 && head.charCodeAt(i) !== 0) le++;
    if (head.charCodeAt(i) === 0 && head.charCodeAt(i + 1) !== 0) be++;
  }
  if (le === n / 2) return 'le';
  if (be === n / 2) return 'be';
  return null;
}

/** The items whose key is seen first, in order. */
function uniqueBy<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function dedupe(a: TextAnalysis): void {
  a.keyIds = uniqueBy(a.keyIds, (k) => `${k.keyId}:${k.line}`);
  a.secrets = uniqueBy(a.secrets, (s) => `${s.value}:${s.line}`);
  a.tokens = uniqueBy(a.tokens, (t) => t.value);
}

/** Full analysis of a whole text in memory. */
export function analyseText(text: string): TextAnalysis {
  const a = new LineAnalyzer();
  a.push(text);
  return a.end();
}
