import {
  AWS_SECRET_LABEL_LENGTH,
  KEY_ID_LENGTH,
  KEY_ID_PREFILTER,
  visitSecretLabels,
} from '../core/rules.js';
import type { DeltaOps } from '../adapters/packs.js';

/**
 * Where the key-id prefilter matches in an object, worked out from its delta: matches inside copied
 * ranges are carried over from the base, and only inserted bytes and seams between copies are searched.
 * Pure: the pack pass feeds it bytes and instructions.
 */

/** Windows closer than this are searched as one. */
const MERGE_GAP = 64;

/**
 * The windows of a delta's target to search, each clipped to the target and merged with the one before
 * when they are closer than MERGE_GAP; `search` gets each once, in order, the last on `end`.
 */
export class Windows {
  private from = -1;
  private to = -1;

  constructor(
    private readonly size: number,
    private readonly search: (from: number, to: number) => void,
  ) {}

  want(s: number, e: number): void {
    const from = Math.max(0, s);
    const to = Math.min(this.size, e);
    if (this.from >= 0 && from <= this.to + MERGE_GAP) {
      if (to > this.to) this.to = to;
      return;
    }
    if (this.from >= 0) this.search(this.from, this.to);
    this.from = from;
    this.to = to;
  }

  end(): void {
    if (this.from >= 0) this.search(this.from, this.to);
    this.from = -1;
  }
}

/**
 * Where the prefilter matches in `buf[from, to)`, overlapping ones included, appended to `out` as
 * offsets from `origin`. Every match, not only the leftmost of a run: a delta may copy the second of
 * two overlapping matches without the first.
 */
export function matchStarts(buf: Buffer, from: number, to: number, out: number[], origin = 0): void {
  const text = buf.toString('latin1', from, to);
  const re = KEY_ID_PREFILTER;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(from - origin + m.index);
    re.lastIndex = m.index + 1;
  }
}

const ECRET_LOWER = Buffer.from('ecret');
const ECRET_UPPER = Buffer.from('ECRET');

/**
 * Where a secret label (rules.ts AWS_SECRET_LABEL) ends in `buf[from, to)`, as the start of a label of
 * the longest length ending there: labels vary in length, and so every span stands for
 * AWS_SECRET_LABEL_LENGTH bytes like a key id's for its own.
 */
export function labelStarts(buf: Buffer, from: number, to: number, out: number[], origin = 0): void {
  // Most windows name no secret: looked for in the bytes, where no string needs to be made for them.
  const bytes = from === 0 && to === buf.length ? buf : buf.subarray(from, to);
  if (bytes.indexOf(ECRET_LOWER) < 0 && bytes.indexOf(ECRET_UPPER) < 0) return;
  const text = buf.toString('latin1', from, to);
  visitSecretLabels(text, 0, text.length, (at, length) => {
    out.push(from - origin + at + length - AWS_SECRET_LABEL_LENGTH);
  });
}

/** How spans of one kind are carried through deltas: their length and the bytes a match is made of. */
export interface SpanRule {
  length: number;
  isChar: (b: number) => boolean;
  /** How far before a copy a carried span may start (a label span's start is virtual, see labelStarts). */
  slack: number;
}

/** Index of the first of the sorted `xs` at or after `v`. */
function firstAtOrAfter(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isKeyChar(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39);
}

function isLabelChar(b: number): boolean {
  return isKeyChar(b) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2d || b === 0x2e || b === 0x20;
}

export const KEY_SPANS: SpanRule = { length: KEY_ID_LENGTH, isChar: isKeyChar, slack: 0 };
export const LABEL_SPANS: SpanRule = {
  length: AWS_SECRET_LABEL_LENGTH,
  isChar: isLabelChar,
  slack: AWS_SECRET_LABEL_LENGTH,
};

/** Searches `target[from, to)` of the object being read, appending match starts to `out`. */
export type WindowSearch = (from: number, to: number, out: number[]) => void;

/**
 * The start of every prefilter match in a delta's target, given those of its base (`baseSpans`): a match
 * inside one copied range is carried over from the base; any other touches inserted bytes, or the seam
 * where two copies meet, and is found by searching around those alone. `mem[baseAt…]` is the base;
 * `search` reads the target.
 */
export function deltaSpans(
  ops: DeltaOps,
  targetSize: number,
  mem: Uint8Array,
  baseAt: number,
  baseSpans: readonly number[],
  search: WindowSearch,
  rule: SpanRule = KEY_SPANS,
): number[] {
  return deltaSpansOf(ops, targetSize, mem, baseAt, [rule], [baseSpans], (from, to, outs) =>
    search(from, to, outs[0]!),
  )[0]!;
}

/** Searches `target[from, to)` for spans of each kind, appending the starts of kind k to `outs[k]`. */
export type WindowsSearch = (from: number, to: number, outs: number[][]) => void;

/**
 * deltaSpans for spans of several kinds at once (`rules[k]`, with `baseSpans[k]` in the base): each
 * window is searched once for all of them, so a delta whose target is not built has each window read
 * once. A window is what any kind needs, at the longest reach: a kind searched in more bytes than its
 * own windows finds there only matches the target holds, which its own windows or copies give too.
 */
export function deltaSpansOf(
  ops: DeltaOps,
  targetSize: number,
  mem: Uint8Array,
  baseAt: number,
  rules: readonly SpanRule[],
  baseSpans: readonly (readonly number[])[],
  search: WindowsSearch,
): number[][] {
  const reach = Math.max(...rules.map((r) => r.length)) - 1;
  const outs = rules.map((): number[] => []);
  const windows = new Windows(targetSize, (from, to) => search(from, to, outs));
  // A match across the seam of two copies holds both bytes at the seam; most seams fall elsewhere.
  const seamMatters = (a: number, b: number): boolean => {
    for (const rule of rules) if (rule.isChar(a) && rule.isChar(b)) return true;
    return false;
  };
  let prevCopy = false;
  const d = ops.data;
  for (let k = 0; k < ops.length; k += 3) {
    const t = d[k]!;
    const n = d[k + 1]!;
    const src = d[k + 2]!;
    if (src < 0) {
      windows.want(t - reach, t + n + reach);
      prevCopy = false;
      continue;
    }
    // The base's matches are sorted: find the first inside this copy, so a delta of many copies over a
    // base of many matches costs a search per copy, not a walk of every match.
    // A label span may start before the copy (its start is virtual): carrying it flags more, never less.
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const base = baseSpans[r]!;
      const spans = outs[r]!;
      const end = src + n - rule.length;
      for (let j = firstAtOrAfter(base, src - rule.slack); j < base.length && base[j]! <= end; j++)
        spans.push(t + base[j]! - src);
    }
    if (prevCopy && seamMatters(mem[baseAt + d[k - 1]! + d[k - 2]! - 1]!, mem[baseAt + src]!))
      windows.want(t - reach, t + reach);
    prevCopy = true;
  }
  windows.end();
  // A match found by a search may also lie inside a copy: keep each start once.
  for (const spans of outs) {
    if (spans.length < 2) continue;
    spans.sort((x, y) => x - y);
    let w = 1;
    for (let i = 1; i < spans.length; i++) if (spans[i] !== spans[w - 1]) spans[w++] = spans[i]!;
    spans.length = w;
  }
  return outs;
}
