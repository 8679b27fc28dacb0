import { KEY_ID_LENGTH, KEY_ID_PREFILTER } from '../core/rules.js';
import type { DeltaOps } from './delta.js';

/**
 * Where the key-id prefilter matches in an object, worked out from its delta: matches inside copied
 * ranges are carried over from the base, and only inserted bytes and seams between copies are searched.
 * Pure: the pack pass feeds it bytes and instructions.
 */

/** A match that ends inside a range starts at most this far before it. */
const REACH = KEY_ID_LENGTH - 1;
/** Windows closer than this are searched as one. */
const MERGE_GAP = 64;

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
): number[] {
  const spans: number[] = [];
  let winStart = -1;
  let winEnd = -1;
  const want = (s: number, e: number): void => {
    const from = Math.max(0, s);
    const to = Math.min(targetSize, e);
    if (winStart >= 0 && from <= winEnd + MERGE_GAP) {
      if (to > winEnd) winEnd = to;
      return;
    }
    if (winStart >= 0) search(winStart, winEnd, spans);
    winStart = from;
    winEnd = to;
  };
  let prevCopy = false;
  const d = ops.data;
  for (let k = 0; k < ops.length; k += 3) {
    const t = d[k]!;
    const n = d[k + 1]!;
    const src = d[k + 2]!;
    if (src < 0) {
      want(t - REACH, t + n + REACH);
      prevCopy = false;
      continue;
    }
    // The base's matches are sorted: find the first inside this copy, so a delta of many copies over a
    // base of many matches costs a search per copy, not a walk of every match.
    const end = src + n - KEY_ID_LENGTH;
    for (let j = firstAtOrAfter(baseSpans, src); j < baseSpans.length && baseSpans[j]! <= end; j++)
      spans.push(t + baseSpans[j]! - src);
    // A match across the seam of two copies holds both bytes at the seam; most seams fall elsewhere.
    if (prevCopy && isKeyChar(mem[baseAt + d[k - 1]! + d[k - 2]! - 1]!) && isKeyChar(mem[baseAt + src]!))
      want(t - REACH, t + REACH);
    prevCopy = true;
  }
  if (winStart >= 0) search(winStart, winEnd, spans);
  if (spans.length < 2) return spans;
  // A match found by a search may also lie inside a copy: keep each start once.
  spans.sort((x, y) => x - y);
  let w = 1;
  for (let i = 1; i < spans.length; i++) if (spans[i] !== spans[w - 1]) spans[w++] = spans[i]!;
  spans.length = w;
  return spans;
}
