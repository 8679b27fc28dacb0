import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import { UsageError } from './errors.js';
import { ALLOW_MARKER, KNOWN_ALLOW_MARKERS } from './rules.js';

/** The validated contents of `.github/keyleak.yml`. */
export interface KeyleakConfig {
  /** Key ids that are known and accepted (for example a deliberately public test key). */
  allowKeyIds: ReadonlySet<string>;
  /** Glob patterns of paths whose locations are not reported. */
  allowPaths: readonly string[];
  /** Commits (full or abbreviated SHAs) whose locations are not reported. */
  allowCommits: readonly string[];
  /** Fingerprints of findings already known and handled. */
  baseline: ReadonlySet<string>;
  /** Extra canary-token accounts, never verified with STS. */
  canaryAccounts: ReadonlySet<string>;
  /** Line markers that suppress what is on their line (`allow.markers`; default `keyleak:allow`). */
  allowMarkers: readonly string[];
  /**
   * Key ids (and fingerprints of secrets found without their key id) whose inline `keyleak:allow` markers
   * are not honoured: markers the scanned change itself added (never read from the file; set by the flows
   * that scan a change).
   */
  ignoreInlineAllow?: ReadonlySet<string>;
}

/** Where a repository keeps its config when none is named: the action's default and the CLI's. */
export const DEFAULT_CONFIG_PATH = '.github/keyleak.yml';

export const EMPTY_CONFIG: KeyleakConfig = {
  allowKeyIds: new Set(),
  allowPaths: [],
  allowCommits: [],
  baseline: new Set(),
  canaryAccounts: new Set(),
  allowMarkers: [ALLOW_MARKER],
};

const TOP_LEVEL = new Set(['allow', 'baseline', 'canary-accounts']);
const ALLOW_KEYS = new Set(['key-ids', 'paths', 'commits', 'markers']);

/**
 * Parses a keyleak config file. Every error names the file, the line and the field, so a typo in a
 * suppression list fails the run loudly instead of silently suppressing nothing (or everything).
 */
export function parseConfig(text: string, file: string): KeyleakConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lc.linePos(node.range[0]).line : 1;
  const fail = (node: Node | null | undefined, field: string, msg: string): never => {
    throw new UsageError(`${file}:${lineOf(node)}: ${field}: ${msg}`);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new UsageError(`${file}:${e.linePos?.[0]?.line ?? 1}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return EMPTY_CONFIG;
  if (!isMap(root)) return fail(root, '(top level)', 'expected a mapping');

  const strings = (node: unknown, field: string, check?: (s: string) => string | null): string[] => {
    if (node === undefined || node === null) return [];
    if (!isSeq(node)) return fail(node as Node, field, 'expected a list');
    return node.items.map((item) => {
      if (!isScalar(item) || typeof item.value !== 'string' || item.value.trim() === '') {
        return fail(item as Node, field, 'expected a non-empty string');
      }
      const problem = check?.(item.value);
      if (problem) fail(item, field, problem);
      return item.value.trim();
    });
  };

  // Account ids are often written unquoted (`- 111122223333`), which YAML reads as a number. The digits
  // as written are what count: the number would lose a leading zero (`012345678901`), and a float or
  // hex form is no account id at all.
  const accountIds = (node: unknown): string[] => {
    const field = 'canary-accounts';
    if (node === undefined || node === null) return [];
    if (!isSeq(node)) return fail(node as Node, field, 'expected a list');
    return node.items.map((item) => {
      if (!isScalar(item)) return fail(item as Node, field, 'expected a 12-digit AWS account id');
      const written =
        typeof item.value === 'number' && item.range ? text.slice(item.range[0], item.range[1]) : item.value;
      const id = typeof written === 'string' ? written.trim() : String(written);
      return /^\d{12}$/.test(id) ? id : fail(item, field, `'${id}' is not a 12-digit AWS account id`);
    });
  };

  let allowKeyIds: string[] = [];
  let allowPaths: string[] = [];
  let allowCommits: string[] = [];
  let baseline: string[] = [];
  let canary: string[] = [];
  let allowMarkers: string[] | null = null;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!TOP_LEVEL.has(key))
      fail(pair.key as Node, key || '(key)', `unknown field; expected one of ${[...TOP_LEVEL].join(', ')}`);
    if (key === 'allow') {
      const allow = pair.value;
      if (allow === null || allow === undefined) continue;
      if (!isMap(allow))
        fail(allow as Node, 'allow', 'expected a mapping with key-ids, paths, commits or markers');
      for (const ap of (allow as { items: { key: unknown; value: unknown }[] }).items) {
        const k = isScalar(ap.key) ? String(ap.key.value) : '';
        if (!ALLOW_KEYS.has(k))
          fail(ap.key as Node, `allow.${k}`, `unknown field; expected one of ${[...ALLOW_KEYS].join(', ')}`);
        if (k === 'key-ids') {
          allowKeyIds = strings(ap.value, 'allow.key-ids', (s) =>
            /^(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}$/.test(s.trim())
              ? null
              : `'${s}' is not an AWS access key id`,
          );
        } else if (k === 'markers') {
          allowMarkers = strings(ap.value, 'allow.markers', (s) =>
            s.trim().length < 4 ? `'${s}' is too short to mark a line (4 characters at least)` : null,
          );
        } else if (k === 'paths') {
          allowPaths = strings(ap.value, 'allow.paths');
        } else {
          allowCommits = strings(ap.value, 'allow.commits', (s) =>
            /^[0-9a-f]{7,64}$/i.test(s.trim()) ? null : `'${s}' is not a commit SHA`,
          );
        }
      }
    } else if (key === 'baseline') {
      baseline = strings(pair.value, 'baseline', (s) =>
        // A key's fingerprint, or that of a secret found without its key id.
        /^keyleak:v1:(secret:)?[0-9a-f]{32}$/.test(s.trim())
          ? null
          : `'${s}' is not a keyleak fingerprint (keyleak:v1:<32 hex>, or keyleak:v1:secret:<32 hex>)`,
      );
    } else {
      canary = accountIds(pair.value);
    }
  }
  return {
    allowKeyIds: new Set(allowKeyIds),
    allowPaths,
    allowCommits: allowCommits.map((c) => c.toLowerCase()),
    baseline: new Set(baseline),
    canaryAccounts: new Set(canary),
    allowMarkers: allowMarkers ?? [ALLOW_MARKER],
  };
}

/** One step of a compiled glob. */
type GlobToken =
  | { kind: 'char'; c: string }
  /** `?`: one character other than `/`. */
  | { kind: 'one' }
  /** `*`: any run without `/`. */
  | { kind: 'star' }
  /** `**`: any run; `skip` is set for `**` followed by `/`, which may match nothing at all. */
  | { kind: 'any'; skip: boolean };

function compileGlob(glob: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      const slash = glob[i + 1] === '/';
      tokens.push({ kind: 'any', skip: slash });
      if (slash) {
        i++;
        tokens.push({ kind: 'char', c: '/' });
      }
    } else if (c === '*') tokens.push({ kind: 'star' });
    else if (c === '?') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', c });
  }
  return tokens;
}

/**
 * Matches a path against a gitignore-style glob: `**` crosses directories, `*` and `?` do not. The glob
 * runs as a set of positions advanced together over the path, one character at a time: time grows with
 * the path times the pattern, whatever the pattern (a regular expression backtracks on many `**`).
 */
export function globMatch(glob: string, path: string): boolean {
  if (glob.endsWith('/') && path.startsWith(glob)) return true;
  // A pattern without a slash matches the file name at any depth, as in .gitignore.
  const anywhere = !glob.includes('/');
  const tokens = compileGlob(anywhere ? glob : glob.replace(/^\//, ''));
  const m = tokens.length;
  let on = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  // Positions reachable without reading a character: past stars, and past `**/` as a whole.
  const close = (set: Uint8Array): void => {
    for (let i = 0; i < m; i++) {
      if (!set[i]) continue;
      const t = tokens[i]!;
      if (t.kind === 'star' || t.kind === 'any') set[i + 1] = 1;
      if (t.kind === 'any' && t.skip) set[i + 2] = 1;
    }
  };
  on[0] = 1;
  close(on);
  for (let p = 0; p < path.length; p++) {
    const ch = path[p]!;
    next.fill(0);
    for (let i = 0; i < m; i++) {
      if (!on[i]) continue;
      const t = tokens[i]!;
      if (t.kind === 'char') {
        if (t.c === ch) next[i + 1] = 1;
      } else if (t.kind === 'one') {
        if (ch !== '/') next[i + 1] = 1;
      } else if (t.kind === 'star') {
        if (ch !== '/') next[i] = 1;
      } else next[i] = 1;
    }
    if (anywhere && ch === '/') next[0] = 1;
    close(next);
    [on, next] = [next, on];
  }
  return on[m] === 1;
}

/** The markers the analysis notes on a line: the configured ones and other scanners' (reported as such). */
export function markersToNote(config: KeyleakConfig): readonly string[] {
  return [...new Set([...config.allowMarkers, ...KNOWN_ALLOW_MARKERS])];
}
