/**
 * The patterns keyleak matches. Kept in one place so the fast first pass and the full analysis agree.
 */

/** The longest match of KEY_ID_PREFILTER: chunk readers carry this many bytes over a boundary. */
export const KEY_ID_LENGTH = 20;

/**
 * The prefixes of credential key ids, in groups whose base64 forms are searched as one (position by
 * position, any of the group's characters); `?` stands for any key-id character (legacy `A3T…` ids).
 */
const KEY_ID_PREFIX_GROUPS = [['AKIA', 'ASIA', 'ABIA', 'ACCA'], ['A3T?']];
const KEY_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * A regex character class holding the base64 digits whose values are set in `has` (a single character
 * when one is). Runs of consecutive values become ranges, never across the groups A-Z, a-z, 0-9, + and /.
 */
function base64Class(has: Uint8Array): string {
  const char = (v: number) => (v >= 62 ? `\\${BASE64_CHARS[v]}` : BASE64_CHARS[v]!);
  const breaks = new Set([26, 52, 62, 63]);
  let out = '';
  let count = 0;
  for (let v = 0; v < 64;) {
    if (!has[v]) {
      v++;
      continue;
    }
    let w = v;
    while (w + 1 < 64 && has[w + 1] && !breaks.has(w + 1)) w++;
    out += w - v >= 2 ? `${char(v)}-${char(w)}` : w > v ? char(v) + char(w) : char(v);
    count += w - v + 1;
    v = w + 1;
  }
  return count === 1 ? out : `[${out}]`;
}

/**
 * The base64 text of a key id with one of `prefixes` that starts `align` bytes into a three-byte group:
 * the characters each position can take, from the first one the key id alone decides, KEY_ID_LENGTH of
 * them. A random base64 run matches one of these about once in 10^18 positions, so a data URI never looks
 * like a key.
 */
function base64KeyIdForm(prefixes: readonly string[], align: number): string {
  const any = Array.from({ length: 256 }, (_, i) => i);
  const body = [...KEY_ID_CHARS].map((c) => c.charCodeAt(0));
  const prefixBytes = [...prefixes[0]!].map((_, i) => [
    ...new Set(prefixes.flatMap((p) => (p[i] === '?' ? body : [p.charCodeAt(i)]))),
  ]);
  const bytes: number[][] = [
    ...Array<number[]>(align).fill(any),
    ...prefixBytes,
    ...Array<number[]>(KEY_ID_LENGTH - prefixBytes.length).fill(body),
  ];
  const chars: Uint8Array[] = [];
  for (let bit = 0; bit + 6 <= bytes.length * 8; bit += 6) {
    const at = bit >> 3;
    // A character takes its high bits from one byte and, past that byte's end, its low bits from the next.
    const fromFirst = Math.min(6, 8 - (bit & 7));
    const fromNext = 6 - fromFirst;
    const his = new Uint8Array(64);
    for (const x of bytes[at]!) his[(x >> (8 - (bit & 7) - fromFirst)) & ((1 << fromFirst) - 1)] = 1;
    const los = new Uint8Array(64);
    if (fromNext > 0) for (const y of bytes[at + 1]!) los[y >> (8 - fromNext)] = 1;
    else los[0] = 1;
    const has = new Uint8Array(64);
    for (let hi = 0; hi < 1 << fromFirst; hi++)
      if (his[hi]) for (let lo = 0; lo < 1 << fromNext; lo++) if (los[lo]) has[(hi << fromNext) | lo] = 1;
    chars.push(has);
  }
  const first = chars.findIndex((has) => has.reduce((a, b) => a + b, 0) === 1);
  return chars
    .slice(first, first + KEY_ID_LENGTH)
    .map(base64Class)
    .join('');
}

/**
 * Key ids as files encode them, each no longer than KEY_ID_LENGTH so that the carry-over between pieces
 * and the spans carried through git deltas (scan/spans.ts) hold them as they hold a plain key id: UTF-16
 * (little- or big-endian: the big-endian bytes hold the little-endian pattern one byte in), a JSON `\\u`
 * escape or an HTML numeric entity of a key-id character (no serialiser writes one for a letter or digit
 * unless it escapes everything), and the base64 text of a key id at each of the three alignments. The
 * full analysis (LineAnalyzer) undoes the encodings and decides. The escapes cost most: with them the
 * pattern searches about half as fast, which a full scan of git's history does not show in its CPU time
 * (most of it is inflating and rebuilding objects).
 */
const ENCODED_KEY_ID_SOURCES: readonly string[] = [
  `A\\0(?:K\\0I\\0A|S\\0I\\0A|B\\0I\\0A|C\\0C\\0A|3\\0T\\0[A-Z0-9])\\0(?:[A-Z0-9]\\0){6}`,
  `\\\\u00(?:3[0-9]|4[1-9A-Fa-f]|5[0-9Aa])`,
  `&#0{0,5}(?:4[89]|5[0-7]|6[5-9]|[78][0-9]|90);`,
  `&#[xX]0{0,4}(?:3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]);`,
  ...[0, 1, 2].flatMap((align) => KEY_ID_PREFIX_GROUPS.map((g) => base64KeyIdForm(g, align))),
];

/**
 * First-pass pattern over raw bytes read as latin1: a superset of real key ids (no boundary checks, the
 * body allows 0/1/8/9 so placeholders reach the suppressed list), and of their encoded forms
 * (ENCODED_KEY_ID_SOURCES), so that history scans look into UTF-16, escaped and base64 files too. The
 * full analysis decides the rest.
 */
export const KEY_ID_PREFILTER = new RegExp(
  ['(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}', ...ENCODED_KEY_ID_SOURCES].join('|'),
  'g',
);

/** A key id as a whole token, on a line already normalised by `normaliseLine`. */
export const KEY_ID_TOKEN = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g;

/**
 * A 40-character secret access key as a whole token: not part of a longer base64 run (integrity hashes,
 * PEM bodies) and not followed by padding.
 */
export const SECRET_TOKEN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g;

/** Words that label a secret access key on the same line. */
export const SECRET_LABEL = /secret|aws_?sak|sak\b|credential/i;

/**
 * Labels that name an AWS secret access key itself (`aws_secret_access_key`, `AWS_SECRET_ACCESS_KEY`,
 * `SecretAccessKey`, `secret-access-key`, `aws_secret`, `awsSecretKey`): such a secret is reported even
 * without a key id. Spelled in the three cases people write (lower, Capitalised, UPPER) rather than
 * case-insensitively, so that the first pass can look for `ecret` / `ECRET` as plain strings first.
 */
export const AWS_SECRET_LABEL =
  /[Ss]ecret[_ -]?[Aa]ccess[_ -]?[Kk]ey|SECRET[_ -]?ACCESS[_ -]?KEY|[Aa]ws[_ .-]?[Ss]ecret|AWS[_ .-]?SECRET/;

/** The longest match of AWS_SECRET_LABEL (`secret_access_key`): no longer than a key id. */
export const AWS_SECRET_LABEL_LENGTH = 17;

const AWS_SECRET_LABEL_AT = new RegExp(AWS_SECRET_LABEL.source, 'y');
/**
 * Where a label starts before the `ecret` or `ECRET` it holds: `Secret…`, `AWSSecret…`, `AWS_Secret…`.
 * Largest first, so that the starts of one `ecret` come in order; two of them are five or more apart.
 */
const LABEL_STARTS_BEFORE_ECRET = [5, 4, 1];

/**
 * Calls `visit` with the start and length of every secret label (AWS_SECRET_LABEL) in `text[from, to)`,
 * overlapping ones included, in order: what a global search resuming one past each match start finds.
 * Every label holds `ecret` or `ECRET`, so only the few places around those are tried; the pattern,
 * which begins with a class, is slow to search for by itself. At a start, at most one spelling can
 * match (they differ in their first two letters, and each separator is optional before a letter),
 * so the match tried at a place is the one a search of `text[from, to)` finds there, if it ends by
 * `to`. `visit` returns true to stop.
 */
export function visitSecretLabels(
  text: string,
  from: number,
  to: number,
  visit: (at: number, length: number) => boolean | void,
): void {
  let lower = text.indexOf('ecret', from);
  let upper = text.indexOf('ECRET', from);
  for (;;) {
    if (lower >= to - 4) lower = -1;
    if (upper >= to - 4) upper = -1;
    if (lower < 0 && upper < 0) return;
    const q = upper < 0 || (lower >= 0 && lower < upper) ? lower : upper;
    if (q === lower) lower = text.indexOf('ecret', q + 5);
    else upper = text.indexOf('ECRET', q + 5);
    for (const back of LABEL_STARTS_BEFORE_ECRET) {
      const at = q - back;
      // The letter a label starts with (S or s before `ecret`, A or a three or four before `S`):
      // most places fail here, without running the pattern.
      if (at < from || (text.charCodeAt(at) | 0x20) !== (back === 1 ? 0x73 : 0x61)) continue;
      AWS_SECRET_LABEL_AT.lastIndex = at;
      const m = AWS_SECRET_LABEL_AT.exec(text);
      if (m && at + m[0].length <= to && visit(at, m[0].length)) return;
    }
  }
}

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

/** The marker that suppresses a finding on its line, unless `allow.markers` names others. */
export const ALLOW_MARKER = 'keyleak:allow';

/**
 * Other scanners' markers, listed here so the analysis can note which one a line carries; a hit on such
 * a line is suppressed only when `allow.markers` names the marker.
 */
export const KNOWN_ALLOW_MARKERS: readonly string[] = [
  ALLOW_MARKER,
  'gitleaks:allow',
  'trufflehog:ignore',
  'pragma: allowlist secret',
  'nosec',
];

/**
 * AWS's documentation secrets: the one every page uses, its published variants (the same body with `+`
 * or an extra letter) and the second one the IAM guide pairs with `AKIAI44QH8DHBEXAMPLE`.
 */
export function isDocumentedSecret(value: string): boolean {
  return (
    value.includes('EXAMPLE') ||
    value.startsWith('wJalrXUtnFEMI') ||
    value.startsWith('je7MtGbClwBF') ||
    /K7MDENG[/+]bPxRfiCY/.test(value)
  );
}

/**
 * Words of AWS's documentation paths and API model names (`com/AmazonS3/latest/dev/…`,
 * `/AuthorizeDBSecurityGroupIngressResponse`). Two of them in a 40-character run, or one in a run that is
 * mostly pronounceable, make it a name, not a random secret: a five-letter word appears by chance in a
 * random secret about once in 3,000, two about once in ten million.
 */
const NAME_WORDS = (
  'access accessing action alarm allocation amazon analytics apply artifact associate attribute ' +
  'authority authorize average balancer batch bucket builder cache certificate change check cluster ' +
  'common complete config configure connect create customer datastore dedicated default delete describe ' +
  'deploy developer direct distribution domain engine entry error event export fleet function group ' +
  'guide health hosted identit image import ingress initiate instance launch latest listener logging ' +
  'managed management memory message metric model multi network notification object operation optimiz ' +
  'option order origin output parameter policy profile protected public record recommend reference ' +
  'region request resource response restore result revoke route schedule scaling secret security server ' +
  'service session setting signer snapshot source splice storage stream subnet subscription summary ' +
  'tagging target template update upload version visibility volume website welcome windows ' +
  'withdraw working'
)
  .split(' ')
  .filter((w) => /^[a-z]{5,}$/.test(w));

/** Letters of runs that read like words (a vowel in four, no four consonants together). */
function pronounceableLetters(value: string): number {
  let n = 0;
  for (const m of value.matchAll(/[A-Z]?[a-z]{2,}/g)) {
    const r = m[0].toLowerCase();
    if (r.length < 3 || /[^aeiouy]{4}/.test(r)) continue;
    const vowels = r.replace(/[^aeiouy]/g, '').length;
    if (vowels * 4 >= r.length) n += r.length;
  }
  return n;
}

/**
 * Whether a 40-character run has the shape of a random secret access key rather than a hash, a path, a
 * URL or a name. Measured on random keys, the name rules turn away about one real secret in 50,000
 * (which is then reported as a key id without its secret); on the histories of aws-cli, botocore and
 * boto3 they turn away every documentation path and model name that used to pair.
 */
export function hasSecretShape(value: string): boolean {
  if (/^[0-9a-fA-F]+$/.test(value)) return false; // git SHAs, hex digests
  if (!/[A-Z]/.test(value) || !/[a-z]/.test(value)) return false;
  if (!/[0-9+/]/.test(value)) return false;
  if (new Set(value).size < 16) return false;
  const words = pronounceableLetters(value);
  if (words >= 28) return false;
  const lower = value.toLowerCase();
  let named = 0;
  for (const w of NAME_WORDS) if (lower.includes(w)) named++;
  return named < 2 && !(named === 1 && words >= 18);
}

/**
 * One encoded character as files carry it: URL encoding of + / = (query strings, .env files copied from
 * URLs), every JSON `\uXXXX` escape, JSON's `\/`, `\n`, `\r` and `\t` (which in a notebook glue a token
 * to the escape's letter), and HTML numeric and named entities. Each unit stands for exactly one
 * character, which is what lets the rewrite plan map a decoded match back to the bytes stored.
 */
export const ENCODED_UNIT_SOURCE =
  /%2[bBfF]|%3[dD]|\\u[0-9a-fA-F]{4}|\\\/|\\[nrt]|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};|&(?:amp|lt|gt|quot|apos|plus|sol|equals|nbsp|num|percnt);/
    .source;
const ENCODED_UNIT = new RegExp(ENCODED_UNIT_SOURCE, 'g');

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  plus: '+',
  sol: '/',
  equals: '=',
  nbsp: ' ',
  num: '#',
  percnt: '%',
};

/** The character one encoded unit stands for; control and astral characters become a space. */
export function decodeUnit(unit: string): string {
  let code: number;
  if (unit[0] === '%') return unit[1] === '3' ? '=' : /[bB]/.test(unit[2]!) ? '+' : '/';
  if (unit[0] === '\\') {
    if (unit[1] === '/') return '/';
    if (unit[1] !== 'u') return ' ';
    code = parseInt(unit.slice(2), 16);
  } else if (unit[1] === '#') {
    code =
      unit[2] === 'x' || unit[2] === 'X' ? parseInt(unit.slice(3, -1), 16) : parseInt(unit.slice(2, -1), 10);
  } else return NAMED_ENTITIES[unit.slice(1, -1)] ?? ' ';
  return code < 0x20 || code > 0xffff || (code >= 0xd800 && code < 0xe000) ? ' ' : String.fromCharCode(code);
}

/**
 * Undo the encodings a key or secret travels through in files people commit (see ENCODED_UNIT_SOURCE),
 * without moving line boundaries. Lines with none of `%`, `\\` or `&` are returned as they are.
 */
export function normaliseLine(line: string): string {
  if (line.indexOf('%') < 0 && line.indexOf('\\') < 0 && line.indexOf('&') < 0) return line;
  ENCODED_UNIT.lastIndex = 0;
  return line.replace(ENCODED_UNIT, decodeUnit);
}
