import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  read,
  readFileSync,
  readSync,
  readdirSync,
} from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { Inflate, constants as zlibConstants, inflateSync } from 'node:zlib';

/**
 * Reads git's object store from disk: the pack format, and the names of loose objects. The full-history
 * pass reads packs itself because piping every object, fully expanded, through `git cat-file` costs more
 * than the scan; it hands git whatever this reader does not cover. Planning a pass over a pack, walking
 * its chains and sharing them between threads are src/scan's (pack-plan.ts, pack-pass.ts, threads.ts).
 *
 * The format is git's own, as `gitformat-pack(5)` documents it (Documentation/gitformat-pack.txt in
 * git's sources), in three parts, each below:
 * - the pack index, version 2 (`*.idx`): magic and version, a 256-entry fan-out table, the sorted object
 *   ids, their CRC32s, their 4-byte offsets, then the 8-byte offsets the 4-byte ones point to when their
 *   high bit is set; the pack's and the index's SHA-1 last;
 * - the pack (`*.pack`): `PACK`, version 2 or 3, the object count, then each object as a header (its type
 *   in three bits and its inflated size as a little-endian base-128 number), for OBJ_OFS_DELTA the
 *   distance back to its base (base-128, big-endian, each continued byte adding one) and for
 *   OBJ_REF_DELTA its base's id, then its zlib stream; the SHA-1 of everything before it last;
 * - the deltified representation: the base's and the target's sizes (base-128), then instructions that
 *   copy a range of the base (offset and size bytes chosen by the low seven bits; a size of 0 means
 *   0x10000) or insert up to 127 literal bytes; instruction 0 is reserved.
 */

/** Pack object kinds, as numbered in the pack format. */
export const KIND = { commit: 1, tree: 2, blob: 3, tag: 4, ofsDelta: 6, refDelta: 7 } as const;

export class PackFormatError extends Error {
  override name = 'PackFormatError';
  /**
   * @param unreadable objects no reader can rebuild (a cycle of deltas, and deltas based on one): git,
   *   asked for one of them, loops without end, so they are reported rather than handed to it.
   */
  constructor(
    message: string,
    readonly unreadable: string[] = [],
  ) {
    super(message);
  }
}

/** One object this reader could not decode; the rest of its pack is read, and this object goes to git. */
export class ObjectReadError extends Error {
  override name = 'ObjectReadError';
}

/** Objects whose inflated data is larger than this are never inflated here (git reads them, streaming). */
export const MAX_INFLATE = 64 << 20;

const IDX_MAGIC = 0xff744f63; // "\377tOc"
const OID_BYTES = 20;
/** Longest object header: type and size varint, then a delta's base offset varint or base object id. */
const MAX_HEADER = 32;
const HEADER_CHUNK = 8 << 20;
const WINDOW = 64 << 10;
/** The most preload reads at once. */
const PRELOAD_STRETCH = 1 << 20;
/**
 * Bytes between two objects preload reads in one system call rather than two: a call costs about what
 * copying 16 KB does (aws-cli's trees: 28,000 stretches among its blobs, most less than 4 KB apart).
 */
const PRELOAD_GAP = 8 << 10;

/**
 * What a pack's reader learnt from its index and headers, in shared memory: a worker thread reads the
 * same pack from it without parsing anything again.
 */
export interface PackShare {
  packPath: string;
  idx: Uint8Array;
  kinds: Uint8Array;
  sizes: Float64Array;
  bases: Int32Array;
  starts: Float64Array;
  dataStarts: Float64Array;
  ends: Float64Array;
  idxPos: Uint32Array;
}

function shared<T>(make: new (b: SharedArrayBuffer) => T, bytesPer: number, n: number): T {
  return new make(new SharedArrayBuffer(Math.max(1, n) * bytesPer));
}

/** One pack file: its objects in offset order, with kind, size and delta base, read lazily. */
export class PackFile {
  /** Number of objects. */
  readonly count: number;
  /** Pack kind of each object (KIND). */
  readonly kinds: Uint8Array;
  /** Inflated size: of the object itself, or of its delta for delta kinds. */
  readonly sizes: Float64Array;
  /** For deltas, the index of the base in this pack, or -1 when the base is not in it. */
  readonly bases: Int32Array;
  /** Where each object starts and ends in the pack: its stored size is the difference. */
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  private readonly dataStarts: Float64Array;
  private readonly idxPos: Uint32Array;
  private readonly idx: Buffer;
  private readonly fd: number;
  private scratch = Buffer.allocUnsafe(1 << 16);
  private readonly inflater = new Inflater();
  private readonly window = Buffer.allocUnsafe(WINDOW);
  private windowAt = -1;
  private windowLen = 0;
  /** Stored bytes read ahead for a walk of objects far apart (see preload): where each one is. */
  private held: { bytes: Buffer; at: Map<number, number> } | null = null;

  private constructor(private readonly share: PackShare) {
    this.idx = Buffer.from(share.idx.buffer, share.idx.byteOffset, share.idx.byteLength);
    this.count = share.kinds.length;
    this.kinds = share.kinds;
    this.sizes = share.sizes;
    this.bases = share.bases;
    this.starts = share.starts;
    this.ends = share.ends;
    this.dataStarts = share.dataStarts;
    this.idxPos = share.idxPos;
    this.fd = openSync(share.packPath, 'r');
  }

  /** Opens a pack through its index, reading every object's header. Throws PackFormatError. */
  static open(idxPath: string, packPath: string): PackFile {
    const file = readFileSync(idxPath);
    const idx = Buffer.from(new SharedArrayBuffer(file.length));
    file.copy(idx);
    if (idx.length < 8 + 1024 || idx.readUInt32BE(0) !== IDX_MAGIC || idx.readUInt32BE(4) !== 2)
      throw new PackFormatError(`${idxPath}: not a version-2 pack index`);
    const n = idx.readUInt32BE(8 + 255 * 4);
    const shaTable = 8 + 1024;
    const offTable = shaTable + n * (OID_BYTES + 4);
    const largeTable = offTable + n * 4;
    if (idx.length < largeTable + 40) throw new PackFormatError(`${idxPath}: truncated pack index`);

    // Objects sorted by where they start in the pack; each one ends where the next begins.
    const raw = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const o = idx.readUInt32BE(offTable + i * 4);
      raw[i] = o & 0x80000000 ? Number(idx.readBigUInt64BE(largeTable + (o & 0x7fffffff) * 8)) : o;
    }
    // Offset and index position in one number, sorted natively: offsets stay below 2^32 here (larger
    // packs take the comparator).
    const idxPos = shared(Uint32Array, 4, n).subarray(0, n);
    const packed = new Float64Array(n);
    let small = true;
    for (let i = 0; i < n; i++) {
      if (raw[i]! >= 2 ** 32) small = false;
      packed[i] = raw[i]! * 2 ** 20 + i;
    }
    if (small && n < 2 ** 20) {
      packed.sort();
      for (let i = 0; i < n; i++) idxPos[i] = packed[i]! % 2 ** 20;
    } else {
      for (let i = 0; i < n; i++) idxPos[i] = i;
      idxPos.sort((x, y) => raw[x]! - raw[y]!);
    }
    const share: PackShare = {
      packPath,
      idx,
      kinds: shared(Uint8Array, 1, n).subarray(0, n),
      sizes: shared(Float64Array, 8, n).subarray(0, n),
      bases: shared(Int32Array, 4, n).subarray(0, n).fill(-1),
      starts: shared(Float64Array, 8, n).subarray(0, n),
      dataStarts: shared(Float64Array, 8, n).subarray(0, n),
      ends: shared(Float64Array, 8, n).subarray(0, n),
      idxPos,
    };
    for (let i = 0; i < n; i++) share.starts[i] = raw[idxPos[i]!]!;
    const fd = openSync(packPath, 'r');
    try {
      const packSize = fstatSync(fd).size;
      readHeaders(fd, packSize, share, n);
      for (let i = 0; i < n; i++) share.ends[i] = i + 1 < n ? share.starts[i + 1]! : packSize - OID_BYTES;
    } finally {
      closeSync(fd);
    }
    return new PackFile(share);
  }

  /** Reopens a pack from what another thread's reader shared. */
  static fromShare(share: PackShare): PackFile {
    return new PackFile(share);
  }

  /** What a worker thread needs to read this pack (shared, not copied). */
  shared(): PackShare {
    return this.share;
  }

  /** The object id of the object at `i`, in hex. */
  oid(i: number): string {
    const at = 8 + 1024 + this.idxPos[i]! * OID_BYTES;
    return this.idx.toString('hex', at, at + OID_BYTES);
  }

  /** Whether the object `oid` (hex) is in this pack. */
  has(oid: string): boolean {
    return /^[0-9a-f]{40}$/.test(oid) && findInIndex(this.idx, Buffer.from(oid, 'hex')) >= 0;
  }

  /** The pack file's path, for messages. */
  get path(): string {
    return this.share.packPath;
  }

  /**
   * The inflated data of the object at `i`: its content, or its delta for delta kinds. Inflation stops
   * one byte past the size the object's header declares: an object that inflates to more (or less, or
   * not at all) is an ObjectReadError naming it, and nothing larger than that is ever held. Without
   * `into`, the data is in a buffer of its own; with it, at `into[at…]` (which must hold one byte more
   * than the declared size), so that a pass over every object reuses its memory instead of leaving each
   * object's buffer for the collector.
   */
  read(i: number, into?: Uint8Array, at = 0): Buffer {
    const start = this.dataStarts[i]!;
    const len = this.ends[i]! - start;
    const size = this.sizes[i]!;
    if (size > MAX_INFLATE)
      throw new ObjectReadError(
        `${this.describe(i)} declares ${size} bytes, more than this reader inflates (${MAX_INFLATE})`,
      );
    let out: Buffer;
    try {
      const stored = this.stored(i, start, len);
      if (into) {
        const n = this.inflater.inflate(stored, into, at, size + 1);
        out = Buffer.from(into.buffer, into.byteOffset + at, n);
      } else {
        // An output chunk of exactly the object's size: one allocation, no concatenation.
        out = inflateSync(stored, { chunkSize: Math.max(64, size), maxOutputLength: size + 1 });
      }
    } catch (e) {
      if (e instanceof PackFormatError) throw new ObjectReadError(e.message);
      const why =
        (e as Error).message.includes('maxOutputLength') || e instanceof Overlong
          ? `inflates to more than the ${size} bytes its header declares`
          : `does not inflate (${(e as Error).message})`;
      throw new ObjectReadError(`${this.describe(i)} ${why}`);
    }
    if (out.length !== size)
      throw new ObjectReadError(
        `${this.describe(i)} inflates to ${out.length} bytes, not the ${size} declared`,
      );
    return out;
  }

  /** Names object `i` and its pack for an error message. */
  describe(i: number): string {
    return `object ${this.oid(i)} (at offset ${this.starts[i]} of ${this.share.packPath})`;
  }

  /**
   * Why the pack or its index fails its checksum (damaged on disk, or not what git wrote), or null when
   * both match. Reads the whole pack once, a piece at a time between other work: nothing else needs its
   * answer before the end of a pass, so it runs beside the reading instead of before it.
   */
  async checksumProblem(): Promise<string | null> {
    const idx = this.idx;
    const idxSum = createHash('sha1')
      .update(idx.subarray(0, idx.length - OID_BYTES))
      .digest();
    if (!idxSum.equals(idx.subarray(idx.length - OID_BYTES)))
      return `the pack index of ${this.share.packPath} fails its checksum`;
    const size = fstatSync(this.fd).size;
    if (size < 12 + OID_BYTES) return `${this.share.packPath} is truncated`;
    const hash = createHash('sha1');
    const buf = Buffer.allocUnsafe(1 << 20);
    const body = size - OID_BYTES;
    const readAt = (into: Buffer, len: number, at: number): Promise<number> =>
      new Promise((res, rej) => read(this.fd, into, 0, len, at, (e, n) => (e ? rej(e) : res(n))));
    try {
      for (let at = 0; at < body;) {
        const n = await readAt(buf, Math.min(buf.length, body - at), at);
        if (n <= 0) return `${this.share.packPath} could not be read to its end`;
        hash.update(buf.subarray(0, n));
        at += n;
      }
      const trailer = Buffer.allocUnsafe(OID_BYTES);
      if ((await readAt(trailer, OID_BYTES, body)) !== OID_BYTES)
        return `${this.share.packPath} could not be read to its end`;
      if (!hash.digest().equals(trailer)) return `${this.share.packPath} fails its checksum`;
      if (!trailer.equals(idx.subarray(idx.length - 2 * OID_BYTES, idx.length - OID_BYTES)))
        return `the pack index of ${this.share.packPath} belongs to another pack`;
      return null;
    } catch (e) {
      return `${this.share.packPath} could not be read to its end (${(e as Error).message})`;
    }
  }

  /**
   * The stored bytes of object `i`. Deltas tend to sit near the objects they are based on, so a small
   * window read ahead serves most of them without a system call of their own.
   */
  private stored(i: number, start: number, len: number): Buffer {
    const held = this.held?.at.get(i);
    if (held !== undefined) return this.held!.bytes.subarray(held, held + len);
    if (start >= this.windowAt && start + len <= this.windowAt + this.windowLen)
      return this.window.subarray(start - this.windowAt, start - this.windowAt + len);
    if (len > WINDOW) {
      if (len > this.scratch.length) this.scratch = Buffer.allocUnsafe(len);
      if (readSync(this.fd, this.scratch, 0, len, start) !== len)
        throw new PackFormatError(`pack ended inside object ${this.oid(i)}`);
      return this.scratch.subarray(0, len);
    }
    this.windowAt = start;
    this.windowLen = readSync(this.fd, this.window, 0, WINDOW, start);
    if (this.windowLen < len) throw new PackFormatError(`pack ended inside object ${this.oid(i)}`);
    return this.window.subarray(0, len);
  }

  /**
   * Reads the stored bytes of `objects` (at most `budget` of them) into memory, in as few reads as their
   * places allow, so that a walk of objects scattered through the pack (its trees, among the blobs) makes
   * a system call per stretch instead of one per object. They are read from memory until `forget`.
   * False, reading nothing, when they exceed `budget`.
   */
  preload(objects: readonly number[], budget: number): boolean {
    // Objects are numbered in the order they lie in the pack.
    const order = Int32Array.from(objects).sort();
    let total = 0;
    for (const i of order) total += this.ends[i]! - this.dataStarts[i]!;
    if (total > budget) return false;
    const bytes = Buffer.allocUnsafeSlow(total);
    const at = new Map<number, number>();
    const stretch = Buffer.allocUnsafeSlow(PRELOAD_STRETCH);
    let w = 0;
    for (let k = 0; k < order.length;) {
      // Objects close enough to the one before are read with it, the bytes between them read and dropped:
      // one system call per stretch of them.
      const from = this.dataStarts[order[k]!]!;
      let e = k + 1;
      while (
        e < order.length &&
        this.starts[order[e]!]! - this.ends[order[e - 1]!]! <= PRELOAD_GAP &&
        this.ends[order[e]!]! - from <= stretch.length
      )
        e++;
      const to = this.ends[order[e - 1]!]!;
      const together = e - k > 1;
      if (together && readSync(this.fd, stretch, 0, to - from, from) !== to - from)
        throw new PackFormatError(`pack ended inside object ${this.oid(order[e - 1]!)}`);
      for (; k < e; k++) {
        const i = order[k]!;
        const s = this.dataStarts[i]!;
        const len = this.ends[i]! - s;
        if (together) stretch.copy(bytes, w, s - from, s - from + len);
        else if (readSync(this.fd, bytes, w, len, s) !== len)
          throw new PackFormatError(`pack ended inside object ${this.oid(i)}`);
        at.set(i, w);
        w += len;
      }
    }
    this.held = { bytes, at };
    return true;
  }

  /** Drops what preload read. */
  forget(): void {
    this.held = null;
  }

  close(): void {
    this.held = null;
    this.inflater.close();
    closeSync(this.fd);
  }
}

class Overlong extends Error {}

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

/**
 * One zlib stream reused for every object of a pass, inflating into memory the caller owns. Node offers
 * this only through the handle its own synchronous inflate drives; where that handle is not as expected,
 * each object is inflated into a buffer of its own and copied.
 */
class Inflater {
  private z: { stream: Inflate; handle: ZlibHandle; state: Uint32Array } | null = null;
  private error: string | null = null;

  /** Inflates `input` into `out[at, at + room)`; returns the bytes written. Throws Overlong past `room`. */
  inflate(input: Uint8Array, out: Uint8Array, at: number, room: number): number {
    const z = this.z ?? this.open();
    if (!z) {
      const whole = inflateSync(input, { chunkSize: Math.max(64, room), maxOutputLength: room });
      if (whole.length >= room) throw new Overlong();
      out.set(whole, at);
      return whole.length;
    }
    this.error = null;
    z.handle.writeSync(zlibConstants.Z_FINISH, input, 0, input.length, out, at, room);
    if (this.error !== null) {
      // A stream that failed is not reused: the next object starts a new one.
      this.z = null;
      z.stream.close();
      throw new Error(this.error);
    }
    const written = room - z.state[0]!;
    z.handle.reset();
    if (written >= room) throw new Overlong();
    return written;
  }

  close(): void {
    this.z?.stream.close();
    this.z = null;
  }

  private open(): { stream: Inflate; handle: ZlibHandle; state: Uint32Array } | null {
    const stream = new Inflate() as Inflate & { _handle?: ZlibHandle; _writeState?: Uint32Array };
    const handle = stream._handle;
    const state = stream._writeState;
    if (!handle || !(state instanceof Uint32Array) || typeof handle.writeSync !== 'function') {
      stream.close();
      return null;
    }
    // zlib reports a failure through this callback, during writeSync.
    handle.onerror = (message) => {
      this.error = message;
    };
    this.z = { stream, handle, state };
    return this.z;
  }
}

function readHeaders(fd: number, packSize: number, share: PackShare, n: number): void {
  const { starts, kinds, sizes, bases, dataStarts, idx, idxPos } = share;
  const buf = Buffer.allocUnsafe(HEADER_CHUNK);
  let chunkAt = 0;
  let chunkLen = readSync(fd, buf, 0, Math.min(HEADER_CHUNK, packSize), 0);
  if (chunkLen < 12 || buf.toString('latin1', 0, 4) !== 'PACK') throw new PackFormatError('not a pack file');
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new PackFormatError(`pack version ${version} is not supported`);
  if (buf.readUInt32BE(8) !== n)
    throw new PackFormatError('pack and index disagree on the number of objects');
  const refBases: [number, number][] = [];
  const idxView = Buffer.from(idx.buffer, idx.byteOffset, idx.byteLength);
  for (let i = 0; i < n; i++) {
    const start = starts[i]!;
    if (start + MAX_HEADER > chunkAt + chunkLen && chunkAt + chunkLen < packSize) {
      chunkAt = start;
      chunkLen = readSync(fd, buf, 0, Math.min(HEADER_CHUNK, packSize - start), start);
    }
    // A truncated pack ends before an object the index names: never decode what was not read.
    if (start + 1 > packSize - OID_BYTES)
      throw new PackFormatError(`pack is truncated before offset ${start}`);
    let p = start - chunkAt;
    let c = buf[p++]!;
    const kind = (c >> 4) & 7;
    let size = c & 15;
    let shift = 4;
    while (c & 0x80) {
      c = buf[p++]!;
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
    }
    kinds[i] = kind;
    sizes[i] = size;
    if (kind === KIND.ofsDelta) {
      c = buf[p++]!;
      let rel = c & 0x7f;
      while (c & 0x80) {
        c = buf[p++]!;
        rel = (rel + 1) * 128 + (c & 0x7f);
      }
      const baseAt = start - rel;
      const b = findStart(starts, baseAt, i);
      if (b < 0) throw new PackFormatError(`delta at ${start} points at ${baseAt}, where no object starts`);
      bases[i] = b;
    } else if (kind === KIND.refDelta) {
      refBases.push([i, findInIndex(idxView, buf.subarray(p, p + OID_BYTES))]);
      p += OID_BYTES;
    } else if (kind < KIND.commit || kind > KIND.tag) {
      throw new PackFormatError(`unknown object kind ${kind} at ${start}`);
    }
    if (p > chunkLen) throw new PackFormatError(`pack is truncated inside the object at ${start}`);
    dataStarts[i] = chunkAt + p;
  }
  if (refBases.length > 0) {
    const sortedOf = new Int32Array(n);
    for (let i = 0; i < n; i++) sortedOf[idxPos[i]!] = i;
    for (const [i, pos] of refBases) bases[i] = pos < 0 ? -1 : sortedOf[pos]!;
  }
}

/** Index (in offset order, below `before`) of the object starting at `at`, or -1. */
function findStart(starts: Float64Array, at: number, before: number): number {
  let lo = 0;
  let hi = before - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = starts[mid]!;
    if (v === at) return mid;
    if (v < at) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Position in the index's sorted object ids of `oid`, or -1. */
function findInIndex(view: Buffer, oid: Buffer): number {
  const first = oid[0]!;
  let lo = first === 0 ? 0 : view.readUInt32BE(8 + (first - 1) * 4);
  let hi = view.readUInt32BE(8 + first * 4) - 1;
  const table = 8 + 1024;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const cmp = view.compare(oid, 0, OID_BYTES, table + mid * OID_BYTES, table + (mid + 1) * OID_BYTES);
    if (cmp === 0) return mid;
    if (cmp > 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return -1;
}

/** Where a repository's objects are: its pack files and the ids of its loose objects. */
export interface ObjectStoreLayout {
  packs: { idx: string; pack: string }[];
  loose: string[];
  /** Whether objects also come from other repositories' stores. */
  alternates: boolean;
  /** Whether a pack came from a partial clone's remote (`.promisor`): objects it names may be absent. */
  promisor: boolean;
}

/**
 * Lists the packs and loose objects of `objectsDir` and of its alternates. Returns null when the store
 * uses something this reader does not (alternates named in the environment): the caller then asks git.
 */
export function objectStoreLayout(objectsDir: string): ObjectStoreLayout | null {
  if (process.env.GIT_ALTERNATE_OBJECT_DIRECTORIES) return null;
  const layout: ObjectStoreLayout = { packs: [], loose: [], alternates: false, promisor: false };
  const seen = new Set<string>();
  const visit = (dir: string, depth: number): void => {
    const abs = resolve(dir);
    if (seen.has(abs) || depth > 5) return;
    seen.add(abs);
    const packDir = join(abs, 'pack');
    if (existsSync(packDir)) {
      for (const name of readdirSync(packDir).sort()) {
        if (!name.endsWith('.idx')) continue;
        const pack = join(packDir, name.slice(0, -4) + '.pack');
        if (existsSync(pack)) layout.packs.push({ idx: join(packDir, name), pack });
        if (existsSync(join(packDir, name.slice(0, -4) + '.promisor'))) layout.promisor = true;
      }
    }
    for (const sub of existsSync(abs) ? readdirSync(abs) : []) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const rest of readdirSync(join(abs, sub)))
        if (/^[0-9a-f]{38}$/.test(rest)) layout.loose.push(sub + rest);
    }
    const alternates = join(abs, 'info', 'alternates');
    if (existsSync(alternates)) {
      layout.alternates = true;
      for (const line of readFileSync(alternates, 'utf8').split('\n')) {
        const p = line.trim();
        if (!p || p.startsWith('#')) continue;
        visit(isAbsolute(p) ? p : join(abs, p), depth + 1);
      }
    }
  };
  visit(objectsDir, 0);
  return layout;
}

// The deltified representation (see the top of this file). Applying a delta costs a few memory copies, and
// its instructions tell which bytes of the target are new: the full-history pass searches only those.

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
    const from = src >= 0 ? baseAt + src + skip : -src - 1 + skip;
    const bytes = src >= 0 ? mem : delta;
    if (take < SMALL_COPY) for (let i = 0; i < take; i++) out[w + i] = bytes[from + i]!;
    else out.set(bytes.subarray(from, from + take), w);
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
