import type { Git, ObjectSink, ObjectType } from '../adapters/git.js';
import {
  EMPTY_ANALYSIS,
  LineAnalyzer,
  mayHoldDecodedKeyId,
  mayHoldKeyId,
  mayHoldLabelledSecret,
  mayHoldSecretLabel,
  type TextAnalysis,
} from '../core/detect.js';
import type { PhaseProgress } from '../core/render/progress.js';
import { AWS_SECRET_LABEL_LENGTH, KEY_ID_LENGTH } from '../core/rules.js';

/** Bytes carried over a piece boundary: enough for a key id or a secret label split across two pieces. */
const CARRY = Math.max(KEY_ID_LENGTH, AWS_SECRET_LABEL_LENGTH) - 1;

/** A key id, or a label a lone secret may stand under (detect.ts mayHoldSecretLabel). */
function mayMatter(text: string): boolean {
  return mayHoldKeyId(text) || mayHoldSecretLabel(text);
}

/** Progress of a scan's phase, for the CLI's progress line. */
export type Progress = PhaseProgress;

export interface FirstPassResult {
  /** Objects that may hold a key id or a secret label, with their type. */
  hits: Map<string, ObjectType>;
  /** Flagged file versions already analysed (analyseFlagged), by the pack reader as it read them. */
  analyses?: Map<string, TextAnalysis>;
  missing: string[];
  /** From the pack reader: trees and parents its commits name that no pack holds. */
  absent?: string[];
  /** Damage found on the way, each naming the pack or object: the scan cannot vouch for what it read. */
  damaged?: string[];
  /** Objects the pack reader could not decode and left to git, each named with its pack. */
  notes?: string[];
  objects: number;
  commits: number;
  bytes: number;
  /** Trees read through git (loose ones, in a store of packs): not all of the history's trees are packed. */
  trees?: number;
}

/**
 * Reads objects once and keeps only the ids of those that may hold a key id. This is the hot path of a
 * full-history scan: one latin1 decode and one regex per piece, nothing kept but a short carry-over so a
 * key id split across two pieces is still seen.
 */
class PrefilterSink implements ObjectSink {
  readonly hits = new Map<string, ObjectType>();
  objects = 0;
  commits = 0;
  bytes = 0;
  trees = 0;
  private oid = '';
  private type: ObjectType = 'blob';
  private skip = false;
  private hit = false;
  private carry = '';

  constructor(private readonly onPiece?: (bytes: number) => void) {}

  begin(oid: string, type: ObjectType, size: number): void {
    this.oid = oid;
    this.type = type;
    this.skip = type === 'tree';
    if (this.skip) this.trees++;
    this.hit = false;
    this.carry = '';
    if (!this.skip) {
      this.objects++;
      this.bytes += size;
      if (type === 'commit') this.commits++;
    }
  }

  data(piece: Buffer): void {
    if (this.skip) return;
    this.onPiece?.(piece.length);
    if (this.hit) return;
    const text = piece.toString('latin1');
    if (mayMatter(text)) {
      this.hit = true;
      return;
    }
    if (this.carry) {
      // Only the seam: the carried tail and the head of this piece.
      if (mayMatter(this.carry + text.slice(0, CARRY))) {
        this.hit = true;
        return;
      }
    }
    this.carry = text.length >= CARRY ? text.slice(-CARRY) : (this.carry + text).slice(-CARRY);
  }

  end(): void {
    if (this.hit) this.hits.set(this.oid, this.type);
  }
}

/**
 * First pass over `oids`, split into `jobs` contiguous shares read by parallel `git cat-file` processes
 * (contiguous so each process keeps pack locality and its delta cache warm).
 */
export async function prefilter(
  git: Git,
  oids: readonly string[],
  jobs: number,
  onProgress?: (bytes: number) => void,
  weights?: readonly number[],
): Promise<FirstPassResult> {
  const shares = splitShares(oids, Math.max(1, jobs), weights);
  const sinks = shares.map(() => new PrefilterSink(onProgress));
  const missing = (await Promise.all(shares.map((s, i) => git.readObjects(s, sinks[i]!)))).flat();
  const result: FirstPassResult = { hits: new Map(), missing, objects: 0, commits: 0, bytes: 0, trees: 0 };
  for (const s of sinks) {
    for (const [k, v] of s.hits) result.hits.set(k, v);
    result.objects += s.objects;
    result.commits += s.commits;
    result.bytes += s.bytes;
    result.trees! += s.trees;
  }
  return result;
}

function splitShares(oids: readonly string[], jobs: number, weights?: readonly number[]): string[][] {
  if (jobs === 1 || oids.length < 64) return [oids.slice()];
  const w = weights ?? oids.map(() => 1);
  const total = w.reduce((a, b) => a + b, 0);
  const shares: string[][] = [];
  let start = 0;
  let acc = 0;
  for (let j = 1; j <= jobs; j++) {
    const target = (total * j) / jobs;
    let end = start;
    while (end < oids.length && (acc + w[end]! <= target || j === jobs)) acc += w[end++]!;
    if (end === start && end < oids.length) acc += w[end++]!;
    shares.push(oids.slice(start, end));
    start = end;
  }
  return shares.filter((s) => s.length > 0);
}

/** The author and date of a commit object, and its message (the text after the headers). */
export interface ParsedCommit {
  author: string;
  date: string;
  message: string;
}

/**
 * The headers of a commit or annotated tag object, in order, and its message: `name value` lines up to the
 * first empty line (git's Documentation/gitformat-signature.txt). Lines that start with a space continue
 * the header before them (a signature, a merged tag) and are left out: nothing here reads them. The one
 * parser of object headers: the pack reader's check of a commit's tree and parents uses it too.
 */
export function objectHeaders(text: string): { headers: [string, string][]; message: string } {
  const sep = text.indexOf('\n\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const headers: [string, string][] = [];
  for (const line of head.split('\n')) {
    if (line.startsWith(' ')) continue;
    const sp = line.indexOf(' ');
    headers.push(sp < 0 ? [line, ''] : [line.slice(0, sp), line.slice(sp + 1)]);
  }
  return { headers, message: sep < 0 ? '' : text.slice(sep + 2) };
}

export function parseCommitObject(text: string): ParsedCommit {
  return parseSigned(objectHeaders(text), 'author');
}

/** An annotated tag's tagger, date and message, with the name its own header gives. */
export function parseTagObject(text: string): ParsedCommit & { name: string } {
  const parsed = objectHeaders(text);
  const name = parsed.headers.find(([n, v]) => n === 'tag' && v !== '')?.[1] ?? '';
  return { ...parseSigned(parsed, 'tagger'), name };
}

const SIGNATURE = /^(.*) (\d+) ([+-]\d{4})$/;

function parseSigned(
  { headers, message }: ReturnType<typeof objectHeaders>,
  who: 'author' | 'tagger',
): ParsedCommit {
  let m: RegExpExecArray | null = null;
  for (const [name, value] of headers) if (name === who && (m = SIGNATURE.exec(value))) break;
  let author = '';
  let date = '';
  if (m) {
    author = m[1]!;
    const offset = m[3]!;
    const sign = offset[0] === '-' ? -1 : 1;
    const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
    const local = new Date(Number(m[2]) * 1000 + minutes * 60_000).toISOString().slice(0, 19);
    date = `${local}${offset.slice(0, 3)}:${offset.slice(3)}`;
  }
  return { author, date, message };
}

/** Pieces a held blob is analysed in: the size git's pipe hands a reader. */
const ANALYSIS_PIECE = 64 << 10;

/**
 * What attribution needs of a flagged file version, from its whole content: its key ids (with lines and
 * allow markers), which is all a suppressed key's report needs; and when it has none (it was flagged for
 * a secret label), the full analysis where a labelled secret may be (detect.ts mayHoldLabelledSecret), to
 * tell whether it holds a lone secret. `prefilterMatched` false says the key-id prefilter matches nowhere
 * in it (the pack pass knows): then the key ids the analysis could still find are those of an escaped
 * base64 value (detect.ts mayHoldDecodedKeyId), and the analysis for key ids alone, which API models
 * naming `SecretAccessKey` in every version made most of a history's analysis, is mostly left out.
 */
export function analyseFlagged(
  content: Buffer,
  markers?: readonly string[],
  prefilterMatched = true,
): TextAnalysis {
  if (prefilterMatched) {
    const keyIds = analyseText(content, true, markers);
    if (keyIds.keyIds.length > 0 || !mayHoldLabelledSecret(content.toString('latin1'))) return keyIds;
    return analyseText(content, false, markers);
  }
  const text = content.toString('latin1');
  if (mayHoldLabelledSecret(text)) {
    // Key ids found, the file's report needs nothing else: as the analysis for key ids alone gives.
    const full = analyseText(content, false, markers);
    return full.keyIds.length > 0 ? { keyIds: full.keyIds, secrets: [], tokens: [] } : full;
  }
  return mayHoldDecodedKeyId(text) ? analyseText(content, true, markers) : EMPTY_ANALYSIS;
}

function analyseText(content: Buffer, keyIdsOnly: boolean, markers?: readonly string[]): TextAnalysis {
  const a = new LineAnalyzer(keyIdsOnly, markers);
  for (let at = 0; at < content.length; at += ANALYSIS_PIECE)
    a.push(content.toString('latin1', at, Math.min(content.length, at + ANALYSIS_PIECE)));
  return a.end();
}

/** Analysis of each object in `oids`: blobs as text, commits and annotated tags by their message. */
export async function analyseObjects(
  git: Git,
  oids: readonly string[],
  opts: {
    /** Called after each object with its size. */
    onObject?: (bytes: number) => void;
    /** Blobs are searched for key ids only (LineAnalyzer's keyIdsOnly). */
    keyIdsOnly?: boolean;
    /** Allow markers to note on a line (see LineAnalyzer). */
    markers?: readonly string[];
  } = {},
): Promise<{
  analyses: Map<string, TextAnalysis>;
  commits: Map<string, ParsedCommit>;
  tags: Map<string, ParsedCommit & { name: string }>;
  missing: string[];
}> {
  const analyses = new Map<string, TextAnalysis>();
  const commits = new Map<string, ParsedCommit>();
  const tags = new Map<string, ParsedCommit & { name: string }>();
  let oid = '';
  let type: ObjectType = 'blob';
  let analyzer: LineAnalyzer | null = null;
  let commitBuf: Buffer[] = [];
  let size = 0;
  const sink: ObjectSink = {
    begin(o, t, n) {
      oid = o;
      type = t;
      size = n;
      analyzer = t === 'blob' ? new LineAnalyzer(opts.keyIdsOnly, opts.markers) : null;
      commitBuf = [];
    },
    data(piece) {
      if (analyzer) analyzer.push(piece.toString('latin1'));
      else if (type === 'commit' || type === 'tag') commitBuf.push(Buffer.from(piece));
    },
    end() {
      if (analyzer) analyses.set(oid, analyzer.end());
      else if (type === 'commit') {
        const parsed = parseCommitObject(Buffer.concat(commitBuf).toString('utf8'));
        commits.set(oid, parsed);
        const a = new LineAnalyzer(false, opts.markers);
        a.push(parsed.message);
        analyses.set(oid, a.end());
      } else if (type === 'tag') {
        const parsed = parseTagObject(Buffer.concat(commitBuf).toString('utf8'));
        tags.set(oid, parsed);
        const a = new LineAnalyzer();
        a.push(parsed.message);
        analyses.set(oid, a.end());
      } else analyses.set(oid, EMPTY_ANALYSIS);
      opts.onObject?.(size);
    },
  };
  const unique = [...new Set(oids)];
  const missing = await git.readObjects(unique, sink);
  return { analyses, commits, tags, missing };
}
