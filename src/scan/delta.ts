/**
 * Git's delta format, as stored in pack files: the base's size, the target's size, then instructions
 * that either copy a range of the base or insert literal bytes. Applying one costs a few memory copies,
 * and its instructions tell which bytes of the target are new: the full-history pass looks only there.
 */

export class DeltaError extends Error {
  override name = 'DeltaError';
}

/**
 * Instructions of a delta, three numbers each in `data[0, length)`: where in the target, how many bytes,
 * and where from (an offset in the base, or for inserted bytes `-(position in the delta) - 1`). One
 * instance is reused for every delta of a pass.
 */
export class DeltaOps {
  data = new Int32Array(3 * 1024);
  length = 0;

  push(t: number, n: number, from: number): void {
    if (this.length + 3 > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const d = this.data;
    d[this.length] = t;
    d[this.length + 1] = n;
    d[this.length + 2] = from;
    this.length += 3;
  }
}

/** Copies shorter than this are done byte by byte: cheaper than a call into a native copy. */
const SMALL_COPY = 48;

function readSize(delta: Buffer, start: number): [number, number] {
  let value = 0;
  let shift = 0;
  let p = start;
  for (;;) {
    if (p >= delta.length) throw new DeltaError('delta header is truncated');
    const c = delta[p++]!;
    value += (c & 0x7f) * 2 ** shift;
    shift += 7;
    if ((c & 0x80) === 0) return [value, p];
  }
}

/** The size of the object a delta produces, read from its header alone. */
export function deltaTargetSize(delta: Buffer): number {
  const [, p] = readSize(delta, 0);
  return readSize(delta, p)[0];
}

/**
 * Reads the instructions of `delta` into `ops` and returns the size of the object it produces. Copies
 * are recorded with their offset in the base; inserts with `-(position in the delta) - 1`. Throws a
 * DeltaError when the delta does not fit a base of `baseLength` bytes.
 */
export function parseDelta(delta: Buffer, baseLength: number, ops: DeltaOps): number {
  const [baseSize, p0] = readSize(delta, 0);
  if (baseSize !== baseLength)
    throw new DeltaError(`delta expects a base of ${baseSize} bytes, got ${baseLength}`);
  const [targetSize, p1] = readSize(delta, p0);
  ops.length = 0;
  const end = delta.length;
  let p = p1;
  let t = 0;
  while (p < end) {
    const op = delta[p++]!;
    if (op & 0x80) {
      let off = 0;
      let size = 0;
      if (op & 0x01) off = delta[p++]!;
      if (op & 0x02) off |= delta[p++]! << 8;
      if (op & 0x04) off |= delta[p++]! << 16;
      if (op & 0x08) off = (off | (delta[p++]! << 24)) >>> 0;
      if (op & 0x10) size = delta[p++]!;
      if (op & 0x20) size |= delta[p++]! << 8;
      if (op & 0x40) size |= delta[p++]! << 16;
      if (size === 0) size = 0x10000;
      if (p > end || off + size > baseLength || t + size > targetSize)
        throw new DeltaError('delta copies outside its base or target');
      ops.push(t, size, off);
      t += size;
    } else if (op !== 0) {
      if (p + op > end || t + op > targetSize) throw new DeltaError('delta inserts past its end');
      ops.push(t, op, -p - 1);
      t += op;
      p += op;
    } else {
      throw new DeltaError('delta uses the reserved instruction 0');
    }
  }
  if (t !== targetSize) throw new DeltaError(`delta produced ${t} bytes, its header says ${targetSize}`);
  return targetSize;
}

/**
 * Builds a delta's target at `mem[outAt…]` from its base at `mem[baseAt…]` (one buffer, so each copy is
 * a memmove) and the inserts of `delta`, following `ops` from parseDelta.
 */
export function buildTarget(
  mem: Uint8Array,
  baseAt: number,
  outAt: number,
  delta: Buffer,
  ops: DeltaOps,
): void {
  const d = ops.data;
  for (let k = 0; k < ops.length; k += 3) {
    const to = outAt + d[k]!;
    const n = d[k + 1]!;
    const src = d[k + 2]!;
    if (src >= 0) {
      const from = baseAt + src;
      if (n < SMALL_COPY) for (let i = 0; i < n; i++) mem[to + i] = mem[from + i]!;
      else mem.copyWithin(to, from, from + n);
    } else {
      const from = -src - 1;
      if (n < SMALL_COPY) for (let i = 0; i < n; i++) mem[to + i] = delta[from + i]!;
      else mem.set(delta.subarray(from, from + n), to);
    }
  }
}

/**
 * Copies `target[from, to)` of a delta's target, without building the rest of it, into `out`. `ops` are
 * the delta's instructions, `mem[baseAt…]` its base.
 */
export function readTarget(
  mem: Uint8Array,
  baseAt: number,
  delta: Buffer,
  ops: DeltaOps,
  from: number,
  to: number,
  out: Buffer,
): Buffer {
  const d = ops.data;
  let lo = 0;
  let hi = ops.length / 3 - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (d[mid * 3]! + d[mid * 3 + 1]! <= from) lo = mid + 1;
    else hi = mid;
  }
  let pos = from;
  let w = 0;
  for (let k = lo * 3; pos < to; k += 3) {
    const skip = pos - d[k]!;
    const take = Math.min(d[k + 1]! - skip, to - pos);
    const src = d[k + 2]!;
    if (src >= 0) out.set(mem.subarray(baseAt + src + skip, baseAt + src + skip + take), w);
    else delta.copy(out, w, -src - 1 + skip, -src - 1 + skip + take);
    w += take;
    pos += take;
  }
  return out.subarray(0, w);
}

/** Applies `delta` to `base`. Throws a DeltaError on a corrupt delta. */
export function applyDelta(base: Buffer, delta: Buffer, ops = new DeltaOps()): Buffer {
  const size = parseDelta(delta, base.length, ops);
  const mem = Buffer.allocUnsafe(base.length + size);
  base.copy(mem, 0);
  buildTarget(mem, 0, base.length, delta, ops);
  return mem.subarray(base.length);
}
