import { stripUrlCredentials } from './redact.js';
import { ENCODED_UNIT_SOURCE, decodeUnit, normaliseLine } from './rules.js';
import type { Finding, KeyKind, LoneSecret, Location } from './types.js';

/**
 * Where one secret (or session token) sits, as bytes of one line of one object: the plan and the script
 * carry this address and never the value, which the script reads back from the object at run time.
 */
export interface SecretSpan {
  /** The key id, or the fingerprint of a secret found without its key id. */
  keyId: string;
  kind: 'secret' | 'session-token';
  /** The commit, or the tag object when `tag` is set. */
  commit: string;
  /** null for the message (of the commit, or of the tag). */
  path: string | null;
  /** Set when the span is in an annotated tag's message: the tag's ref name. */
  tag?: string;
  /** 1-based line of the blob (or of the message). */
  line: number;
  /** 1-based first and last byte of the value on that line, as `cut -b START-END` takes them. */
  start: number;
  end: number;
  /** Which of the key's secrets (0 the first): the script checks that every one was read back. */
  value?: number;
}

/** What the repository says about the leak, gathered through the git adapter (and GitHub, when known). */
export interface RewriteFacts {
  /** What the script mirror-clones and the plan pushes back to: the remote URL, or the local path. */
  source: string;
  /** Full ref name of the default branch (`refs/heads/main`), null when unknown. */
  defaultBranch: string | null;
  /** Branches and tags (full ref names) containing each offending commit. */
  refsByCommit: Record<string, string[]>;
  /** The newest commit of the checked-out branch, and that branch (full ref name). */
  head: string | null;
  headBranch: string | null;
  /** Offending commits already contained in a remote-tracking branch. */
  sharedCommits: string[];
  /** Pull requests whose head or merge commits include each offending commit, when GitHub was asked. */
  pullRequestsByCommit: Record<string, number[]>;
  /** Where each key's secret and session token sit in the offending objects. */
  spans: SecretSpan[];
  /**
   * How many secrets the plan removes for each key: the one STS accepted, or those the key claims
   * strongly, plus every labelled one. Absent: the key's one reported secret.
   */
  secretsToRemove?: Record<string, number>;
  /** Paths whose every version holds nothing but credentials: removed whole rather than edited. */
  credentialFiles: string[];
  /** Whether the installed git-filter-repo has `--sensitive-data-removal`; null lets the script ask it. */
  sensitiveDataRemoval: boolean | null;
  /** The incident issue (or its status section), linked from "contain first". */
  incidentUrl: string | null;
}

/**
 * One leaked key as the rewrite sees it, or one secret found without its key id (`lone`: `keyId` then
 * holds the secret's fingerprint, and only the secret is replaced and looked for).
 */
export interface KeyRewrite {
  keyId: string;
  lone?: true;
  keyKind: KeyKind;
  secretRedacted: string | null;
  secretFound: boolean;
  sessionTokenFound: boolean;
  locations: Location[];
  /** The commits that introduced the key, oldest first (tag objects are not commits: see `tags`). */
  commits: string[];
  /** Annotated tags (ref names) whose message holds the key. */
  tags: string[];
  refs: string[];
  defaultBranchAffected: boolean;
  pullRequests: number[];
  /** A secret was paired with the key but no place to read it back from was found. */
  secretUnlocated: boolean;
  /** How many distinct secrets the script must read back (and then finds nowhere) for this key. */
  secretCount: number;
  /** Secrets were found near the key but none is known to be its own: only the key id is removed. */
  secretUnclaimed: boolean;
}

/** When the leak is only in commits nobody else has yet, rewriting the shared history is not needed. */
export interface ShortPath {
  kind: 'amend' | 'rebase';
  branch: string;
  commits: string[];
}

/** Everything the markdown section and the script render. Holds no secret. */
export interface RewritePlan {
  source: string;
  keys: KeyRewrite[];
  spans: SecretSpan[];
  /** Files removed from every commit with `--invert-paths`. */
  removePaths: string[];
  /** Commits whose message holds a key id (rewritten with `--replace-message`). */
  messageCommits: string[];
  /**
   * Annotated tags (ref names) whose message holds a key id. `--replace-message` rewrites them too: its
   * help says "commit messages", but git-filter-repo applies the expressions to tag messages as well
   * (`_tweak_tag`), and the tag ref moves to the rewritten tag object.
   */
  messageTags: string[];
  /** Every branch and tag the rewrite changes. */
  refs: string[];
  defaultBranch: string | null;
  defaultBranchAffected: boolean;
  pullRequests: number[];
  /** The commits that introduced the keys: what GitHub Support is asked about. */
  firstCommits: string[];
  shortPath: ShortPath | null;
  sensitiveDataRemoval: boolean | null;
  incidentUrl: string | null;
}

/** What filter-repo writes in place of every removed value. */
export const REPLACEMENT = '***REMOVED***';

const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/** How a plan names a key, or a secret found without its key id, in its words (never a secret). */
export function rewriteLabel(k: Pick<KeyRewrite, 'keyId' | 'lone' | 'secretRedacted'>): string {
  return k.lone ? `the secret ${k.secretRedacted ?? ''} (key id unknown)` : k.keyId;
}

/** A lone secret as the plan takes it: a finding with no key id to replace, and one secret to remove. */
function asRewritable(s: LoneSecret): Finding & { lone: true } {
  return {
    keyId: s.fingerprint,
    lone: true,
    keyKind: 'long-term',
    accountId: null,
    canary: false,
    secretFound: true,
    secretRedacted: s.secretRedacted,
    sessionTokenFound: false,
    fingerprint: s.fingerprint,
    locations: s.locations,
  };
}

/**
 * Builds the rewrite plan for `findings` and the secrets found without their key id (only those located
 * in git history take part).
 */
export function buildRewritePlan(
  findings: readonly Finding[],
  facts: RewriteFacts,
  loneSecrets: readonly LoneSecret[] = [],
): RewritePlan {
  const keys: KeyRewrite[] = [];
  const shared = new Set(facts.sharedCommits);
  for (const f of [...findings, ...loneSecrets.map(asRewritable)]) {
    const locations = f.locations.filter((l) => l.commit !== null);
    if (locations.length === 0) continue;
    // A tag message's location names the tag object, which no branch contains: its ref is the tag.
    const commits = uniq(locations.filter((l) => !l.tag).map((l) => l.commit!));
    const tags = uniq(locations.flatMap((l) => (l.tag ? [l.tag] : [])));
    const refs = uniq([...commits.flatMap((c) => facts.refsByCommit[c] ?? []), ...tags]).sort();
    const spans = facts.spans.filter((s) => s.keyId === f.keyId);
    const wanted = facts.secretsToRemove?.[f.keyId] ?? (f.secretFound ? 1 : 0);
    const located = new Set(spans.filter((s) => s.kind === 'secret').map((s) => s.value ?? 0)).size;
    keys.push({
      keyId: f.keyId,
      ...('lone' in f ? { lone: true as const } : {}),
      keyKind: f.keyKind,
      secretRedacted: f.secretRedacted,
      secretFound: f.secretFound,
      sessionTokenFound: f.sessionTokenFound,
      locations,
      commits,
      tags,
      refs,
      defaultBranchAffected: facts.defaultBranch !== null && refs.includes(facts.defaultBranch),
      pullRequests: uniq(commits.flatMap((c) => facts.pullRequestsByCommit[c] ?? [])).sort((a, b) => a - b),
      secretUnlocated: wanted > 0 && located < wanted,
      secretCount: wanted,
      secretUnclaimed: f.secretFound && wanted === 0,
    });
  }
  const keyIds = new Set(keys.map((k) => k.keyId));
  const allLocations = keys.flatMap((k) => k.locations);
  const firstCommits = uniq(keys.flatMap((k) => k.commits));
  const refs = uniq(keys.flatMap((k) => k.refs)).sort();
  const touchedPaths = new Set(allLocations.map((l) => l.path));
  return {
    // A remote URL may carry a token (x-access-token:…@): the plan is published, the token never is.
    source: stripUrlCredentials(facts.source),
    keys,
    spans: facts.spans.filter((s) => keyIds.has(s.keyId)),
    removePaths: facts.credentialFiles.filter((p) => touchedPaths.has(p)).sort(),
    messageCommits: uniq(allLocations.filter((l) => l.path === null && !l.tag).map((l) => l.commit!)),
    messageTags: uniq(keys.flatMap((k) => k.tags)).sort(),
    refs,
    defaultBranch: facts.defaultBranch,
    defaultBranchAffected: keys.some((k) => k.defaultBranchAffected),
    pullRequests: uniq(keys.flatMap((k) => k.pullRequests)).sort((a, b) => a - b),
    firstCommits,
    shortPath: shortPathFor(firstCommits, refs, facts, shared),
    sensitiveDataRemoval: facts.sensitiveDataRemoval,
    incidentUrl: facts.incidentUrl,
  };
}

/**
 * The leak can be fixed on the branch itself when every offending commit is on the checked-out branch
 * only, in no tag and in no remote-tracking branch: nobody else has them yet.
 */
function shortPathFor(
  commits: string[],
  refs: string[],
  facts: RewriteFacts,
  shared: Set<string>,
): ShortPath | null {
  if (commits.length === 0 || facts.head === null || facts.headBranch === null) return null;
  if (refs.length !== 1 || refs[0] !== facts.headBranch) return null;
  if (commits.some((c) => shared.has(c))) return null;
  if (commits.length === 1 && commits[0] === facts.head) {
    return { kind: 'amend', branch: facts.headBranch, commits };
  }
  return { kind: 'rebase', branch: facts.headBranch, commits };
}

// One raw piece of a line and the character it stands for once `normaliseLine` has undone its encoding.
const ENCODED_UNIT = new RegExp(ENCODED_UNIT_SOURCE, 'y');

/**
 * Finds `value` on the lines of `bytes` in any of the encodings the scanner sees through (URL encoding,
 * JSON escapes) and returns each raw occurrence as a 1-based line and byte range. Lines are counted the
 * way the scanner counts them, so a span can be checked against a finding's location.
 */
export function locateValue(bytes: Buffer, value: string): { line: number; start: number; end: number }[] {
  const found: { line: number; start: number; end: number }[] = [];
  // latin1 maps each byte to one character, so string offsets are byte offsets.
  const text = bytes.toString('latin1');
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    lineNo++;
    const raw = text.slice(pos, nl);
    if (raw.length >= value.length && normaliseLine(raw).includes(value)) {
      for (const r of rawOccurrences(raw, value)) found.push({ line: lineNo, start: r[0] + 1, end: r[1] });
    }
    if (nl === text.length) break;
    pos = nl + 1;
  }
  return found;
}

function rawOccurrences(raw: string, value: string): [number, number][] {
  const norm: string[] = [];
  const starts: number[] = [];
  let i = 0;
  while (i < raw.length) {
    ENCODED_UNIT.lastIndex = i;
    const m = ENCODED_UNIT.exec(raw);
    starts.push(i);
    if (m) {
      norm.push(decodeUnit(m[0]));
      i += m[0].length;
    } else {
      norm.push(raw[i]!);
      i++;
    }
  }
  starts.push(raw.length);
  const joined = norm.join('');
  const out: [number, number][] = [];
  // Units normalise to one character each, so unit index and normalised offset coincide.
  for (let at = joined.indexOf(value); at >= 0; at = joined.indexOf(value, at + 1)) {
    out.push([starts[at]!, starts[at + value.length]!]);
  }
  return out;
}

/** The text of a commit object after its headers: the message, as the scanner numbers its lines. */
export function commitMessageBytes(commitObject: Buffer): Buffer {
  const sep = commitObject.indexOf('\n\n');
  return sep < 0 ? Buffer.alloc(0) : commitObject.subarray(sep + 2);
}

const CREDENTIAL_FILE = /(^|\/)(\.env(\.[^/]+)?|credentials)$/;
const CREDENTIAL_LINE =
  /^\s*(export\s+)?["']?(aws_access_key_id|aws_secret_access_key|aws_session_token|aws_security_token)["']?\s*[=:]\s*\S*\s*$/i;

/** Whether `path` is named like a file that exists to hold credentials (`.env`, `.aws/credentials`). */
export function isCredentialFileName(path: string): boolean {
  return CREDENTIAL_FILE.test(path);
}

/**
 * Whether a file version is nothing but credentials: AWS key, secret and token assignments, profile
 * headers, comments and blank lines. Anything else (a region, a database URL) means the file is edited
 * in place instead, so nobody loses a setting to the cleanup.
 */
export function isCredentialsOnly(content: string): boolean {
  let any = false;
  for (const raw of content.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*$/.test(line) || /^\s*[#;]/.test(line) || /^\s*\[[^\]]+\]\s*$/.test(line)) continue;
    if (!CREDENTIAL_LINE.test(line)) return false;
    any = true;
  }
  return any;
}
