import { UsageError } from './errors.js';
import { fingerprintKeyId } from './redact.js';
import { KEY_ID_TOKEN } from './rules.js';
import type { Finding } from './types.js';

/**
 * What a repository coming from gitleaks has already accepted, read from its own files: a JSON report
 * used as `--baseline-path` (an array of findings with `RuleID`, `File`, `StartLine`, `Commit`,
 * `Secret`), or a `.gitleaksignore` (one finding fingerprint a line, `<commit>:<path>:<rule-id>:<line>`,
 * or `<path>:<rule-id>:<line>` for every commit; `#` starts a comment). Only AWS rules are taken: they
 * are the findings keyleak makes too.
 */
export interface GitleaksEntry {
  /** Where the entry is, as `file:line`, for messages. */
  at: string;
  rule: string;
  /** Full commit SHA, or null when the entry holds for every commit. */
  commit: string | null;
  path: string;
  line: number;
  /** The key id, when the entry carries it (a report made without `--redact`). */
  keyId: string | null;
}

const KEY_ID = new RegExp(KEY_ID_TOKEN.source);

/** gitleaks' AWS rules (`aws-access-token` in v8, `AWS Access Key` and the like before). */
export function isAwsRule(rule: string): boolean {
  return /aws/i.test(rule);
}

/** Parses a gitleaks JSON report or a `.gitleaksignore`, told apart by the first character (JSON's `[`). */
export function parseGitleaksFile(text: string, file: string): GitleaksEntry[] {
  return /^\s*[[{]/.test(text) ? parseGitleaksReport(text, file) : parseGitleaksIgnore(text, file);
}

/** 1-based line of offset `i` in `text`. */
function lineAt(text: string, i: number): number {
  let n = 1;
  for (let j = text.indexOf('\n'); j >= 0 && j < i; j = text.indexOf('\n', j + 1)) n++;
  return n;
}

/** Offsets where each element of a top-level JSON array starts (strings and nesting skipped). */
function elementStarts(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      if (depth === 1 && expecting) {
        out.push(i);
        expecting = false;
      }
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '[' || c === '{') {
      if (depth === 1 && expecting) {
        out.push(i);
        expecting = false;
      }
      depth++;
      if (depth === 1) expecting = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expecting = true;
    else if (depth === 1 && expecting && !/\s/.test(c)) {
      out.push(i);
      expecting = false;
    }
  }
  return out;
}

/** A gitleaks JSON report: its AWS findings, each located and with its key id when not redacted. */
export function parseGitleaksReport(text: string, file: string): GitleaksEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? lineAt(text, Number(pos[1])) : Number(/line (\d+)/.exec(msg)?.[1]) || 1;
    throw new UsageError(`${file}:${line}: not a gitleaks JSON report: ${msg.split('\n')[0]}`);
  }
  if (!Array.isArray(data))
    throw new UsageError(`${file}:1: not a gitleaks JSON report: expected an array of findings`);
  const starts = elementStarts(text);
  const out: GitleaksEntry[] = [];
  data.forEach((item: unknown, i) => {
    const at = `${file}:${lineAt(text, starts[i] ?? 0)}`;
    const bad = (what: string): never => {
      throw new UsageError(`${at}: finding ${i + 1}: ${what}; nothing was recorded`);
    };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) bad('expected an object');
    const f = item as Record<string, unknown>;
    const str = (k: string): string =>
      typeof f[k] === 'string' ? (f[k] as string) : bad(`'${k}' is not a string`);
    const rule = str('RuleID');
    const path = str('File');
    const commit = f.Commit === undefined ? '' : str('Commit');
    const line = f.StartLine;
    if (typeof line !== 'number' || !Number.isInteger(line) || line < 0)
      bad(`'StartLine' is not a line number`);
    if (commit !== '' && !/^[0-9a-f]{40,64}$/i.test(commit)) bad(`'Commit' is not a commit SHA`);
    if (!isAwsRule(rule)) return;
    const secret = typeof f.Secret === 'string' ? f.Secret : '';
    const match = typeof f.Match === 'string' ? f.Match : '';
    const keyId = KEY_ID.exec(secret)?.[0] ?? KEY_ID.exec(match)?.[0] ?? null;
    out.push({
      at,
      rule,
      commit: commit === '' ? null : commit.toLowerCase(),
      path,
      line: line as number,
      keyId,
    });
  });
  return out;
}

/** A `.gitleaksignore`: its AWS fingerprints, parsed from the right so that paths may hold colons. */
export function parseGitleaksIgnore(text: string, file: string): GitleaksEntry[] {
  const out: GitleaksEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) return;
    const at = `${file}:${i + 1}`;
    const m = /^(?:([0-9a-fA-F]{40,64}):)?(.+):([^:]+):(\d+)$/.exec(entry.replace(/\\/g, '/'));
    if (!m || m[2]!.trim() === '')
      throw new UsageError(
        `${at}: expected a gitleaks fingerprint, <commit>:<path>:<rule-id>:<line> or <path>:<rule-id>:<line>; nothing was recorded`,
      );
    if (!isAwsRule(m[3]!)) return;
    out.push({
      at,
      rule: m[3]!,
      commit: m[1]?.toLowerCase() ?? null,
      path: m[2]!,
      line: Number(m[4]),
      keyId: null,
    });
  });
  return out;
}

/** What the entries name among the findings of a scan. */
export interface GitleaksMatch {
  /** The findings gitleaks had accepted: by key id, or by a location (commit, path, line) of theirs. */
  accepted: Finding[];
  /** Entries that name nothing the scan found (a key id keyleak did not find, or another location). */
  unmatched: GitleaksEntry[];
}

/**
 * The findings the entries accept, and the entries that name nothing the scan found. An entry naming a
 * key the scan already suppresses (baselined, allowed, a documentation key) is neither.
 */
export function matchGitleaks(
  entries: readonly GitleaksEntry[],
  findings: readonly Finding[],
  suppressed: readonly Pick<Finding, 'fingerprint' | 'locations'>[] = [],
): GitleaksMatch {
  const accepted = new Set<string>();
  const unmatched: GitleaksEntry[] = [];
  const all = [...findings, ...suppressed];
  for (const e of entries) {
    const print = e.keyId ? fingerprintKeyId(e.keyId) : null;
    const hits = all.filter((f) =>
      print
        ? f.fingerprint === print
        : f.locations.some(
            (l) => l.path === e.path && l.line === e.line && (e.commit === null || l.commit === e.commit),
          ),
    );
    if (hits.length === 0) unmatched.push(e);
    for (const f of hits) accepted.add(f.fingerprint);
  }
  return { accepted: findings.filter((f) => accepted.has(f.fingerprint)), unmatched };
}
