/* eslint-disable no-control-regex -- this module exists to find control characters */
/**
 * One escaping layer per sink. Everything keyleak reads is hostile — file names, author names, branch
 * names, git's own error messages (which quote them), CloudTrail user agents chosen by whoever holds a
 * key — so every renderer passes such text through the function for the sink it writes to, and through
 * nothing else: markdown (issues, comments, job summaries), workflow-command logs (the runner executes
 * `::command::` lines), terminals (escape sequences) and shell scripts.
 */

// C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates that
// make text read in another order than it runs ("Trojan Source").
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029\u0085]/g;
const ZWSP = '\u200b';
// What a person cannot see in a shell line: controls, line breaks, bidirectional overrides (not global: tested).
const UNSEEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function hex(c: string): string {
  const n = c.codePointAt(0)!;
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** Control characters as visible `\xNN` escapes; line breaks as `\n`. One line, safe to print. */
export function terminal(s: string): string {
  return s
    .replace(LINE_BREAK, (m) => (m === '\n' ? '\\n' : m === '\r\n' ? '\\r\\n' : hex(m)))
    .replace(/\t/g, ' ')
    .replace(CONTROL, hex);
}

/**
 * Several lines of text for a terminal: control characters made visible, each line kept. For text that is
 * keyleak's own layout around hostile fields already passed through `terminal`.
 */
export function terminalBlock(s: string): string {
  return s
    .split('\n')
    .map((l) => l.replace(CONTROL, hex))
    .join('\n');
}

/**
 * A line for the workflow log. The runner executes a line that starts (after blanks) with `::` and, in
 * its legacy syntax, `##[` anywhere; `::stop-commands::` would silence every annotation after it. The line
 * breaks that would start such a line are shown as `\n`, and the two openings are broken.
 */
export function workflowLine(s: string): string {
  const one = terminal(s).replace(/##\[/g, `##${ZWSP}[`);
  return /^\s*::/.test(one) ? `${ZWSP}${one}` : one;
}

// Markdown punctuation that can start or end a construct inside a line (emphasis, links, images, code,
// table cells, strikethrough); with `[` and `]` escaped no link or image can form, so `(`, `)` and `!` stay
// as they are. Text never starts a line (line breaks are escaped and callers put their own
// words first), so the block openers (`#`, `-`, `1.`, `>`, `=`) need nothing; `<` and `&` become entities.
const MD_PUNCT = /[\\`*_[\]|~]/g;

/**
 * Plain text inside markdown (paragraphs, table cells, list items): one line, HTML and entities shown as
 * typed, punctuation that could start a construct escaped, and `@mentions`, `#123` references and bare
 * URLs (which GitHub autolinks) broken with an invisible space so nobody is notified and nothing links.
 */
export function mdText(s: string): string {
  return terminal(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(MD_PUNCT, (c) => `\\${c}`)
    .replace(/[@#]/g, (c) => `${c}${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/www\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`);
}

function longestRun(s: string, ch: string): number {
  let max = 0;
  let run = 0;
  for (const c of s) {
    run = c === ch ? run + 1 : 0;
    if (run > max) max = run;
  }
  return max;
}

/** At most `max` characters (code points, never half a pair): longer text ends in `…`. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join('')}…` : s;
}

/**
 * An inline code span holding `s` exactly as typed, on one line: delimited by one more backtick than the
 * longest run inside, padded when it starts or ends with one. Pipes are escaped because a GitHub table
 * splits cells on them even inside code, which would leave the rest of the cell unprotected; outside a
 * table (`{ table: false }`) they are kept as they are, so a command can be copied. `max` cuts long text
 * (see `truncate`) before it is escaped. Empty text is no span at all: an empty one shows its backticks.
 */
export function mdCode(s: string, opts: { table?: boolean; max?: number } = {}): string {
  if (s === '') return '';
  let one = terminal(opts.max === undefined ? s : truncate(s, opts.max));
  if (opts.table !== false) one = one.replace(/\|/g, '\\|');
  const fence = '`'.repeat(longestRun(one, '`') + 1);
  const pad = one.startsWith('`') || one.endsWith('`') || /^ .* $/.test(one) ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}

/**
 * A fenced code block: the fence is longer than any run of backticks in the body, so no line of the body
 * can close it. Control characters other than line breaks are made visible.
 */
export function mdFence(body: string, lang = '', indent = ''): string[] {
  const clean = body.replace(/\r\n?/g, '\n').replace(CONTROL, hex);
  const fence = '`'.repeat(Math.max(3, longestRun(clean, '`') + 1));
  return [`${indent}${fence}${lang}`, ...clean.split('\n').map((l) => `${indent}${l}`), `${indent}${fence}`];
}

/**
 * A link destination: http(s) URLs only (anything else becomes `#`), characters that could end the
 * destination or the link percent-encoded, and credentials dropped.
 */
export function mdUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '#';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return '#';
  u.username = '';
  u.password = '';
  return u
    .toString()
    .replace(/[()<>\s"'`\\[\]|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** A link whose text is plain text: never an image, never a second link. */
export function mdLink(text: string, url: string): string {
  return `[${mdText(text)}](${mdUrl(url)})`;
}

/** A link whose text is code (a path, a commit). */
export function mdCodeLink(code: string, url: string): string {
  return `[${mdCode(code)}](${mdUrl(url)})`;
}

/**
 * A string for bash, on one line whatever it holds: single-quoted when printable, `$'…'` with escapes
 * when it holds a line break or a control character (so it can neither add a line to a script nor close
 * a markdown fence it is shown in).
 */
export function shellQuote(s: string): string {
  if (!UNSEEN.test(s)) {
    return `'${s.replace(/'/g, `'\\''`)}'`;
  }
  let out = "$'";
  for (const c of s) {
    const n = c.codePointAt(0)!;
    if (c === '\\' || c === "'") out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (n < 0x20 || n === 0x7f) out += `\\x${n.toString(16).padStart(2, '0')}`;
    else if (
      (n >= 0x80 && n <= 0x9f) ||
      n === 0x2028 ||
      n === 0x2029 ||
      (n >= 0x202a && n <= 0x202e) ||
      (n >= 0x2066 && n <= 0x2069)
    )
      // As UTF-8 bytes: `\xHH` works in every bash, `\u` only from 4.2 (macOS ships 3.2).
      for (const b of Buffer.from(c, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `${out}'`;
}

/** Text for a `#` comment in a shell script: one line, controls made visible. */
export function shellComment(s: string): string {
  return terminal(s);
}

/** One argument for bash: bare when it is plainly safe, quoted (see `shellQuote`) otherwise. */
export function shellArg(s: string): string {
  return /^[A-Za-z0-9_./:@=,+%-]+$/.test(s) ? s : shellQuote(s);
}

/**
 * A command line to show a person, or null when an argument holds a control character: `shellQuote`
 * would keep it on one line, but a reader pasting `$'…'` into a shell cannot see what it runs.
 */
export function commandLine(argv: string[]): string | null {
  if (argv.some((a) => UNSEEN.test(a))) return null;
  return argv.map(shellArg).join(' ');
}
