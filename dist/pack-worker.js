import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:worker_threads"
const external_node_worker_threads_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: external "node:zlib"
const external_node_zlib_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");
;// CONCATENATED MODULE: ./src/adapters/packs.ts




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
const packs_KIND = { commit: 1, tree: 2, blob: 3, tag: 4, ofsDelta: 6, refDelta: 7 };
class packs_PackFormatError extends Error {
    unreadable;
    name = 'PackFormatError';
    /**
     * @param unreadable objects no reader can rebuild (a cycle of deltas, and deltas based on one): git,
     *   asked for one of them, loops without end, so they are reported rather than handed to it.
     */
    constructor(message, unreadable = []) {
        super(message);
        this.unreadable = unreadable;
    }
}
/** One object this reader could not decode; the rest of its pack is read, and this object goes to git. */
class ObjectReadError extends Error {
    name = 'ObjectReadError';
}
/** Objects whose inflated data is larger than this are never inflated here (git reads them, streaming). */
const MAX_INFLATE = 64 << 20;
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
function shared(make, bytesPer, n) {
    return new make(new SharedArrayBuffer(Math.max(1, n) * bytesPer));
}
/** One pack file: its objects in offset order, with kind, size and delta base, read lazily. */
class PackFile {
    share;
    /** Number of objects. */
    count;
    /** Pack kind of each object (KIND). */
    kinds;
    /** Inflated size: of the object itself, or of its delta for delta kinds. */
    sizes;
    /** For deltas, the index of the base in this pack, or -1 when the base is not in it. */
    bases;
    /** Where each object starts and ends in the pack: its stored size is the difference. */
    starts;
    ends;
    dataStarts;
    idxPos;
    idx;
    fd;
    scratch = Buffer.allocUnsafe(1 << 16);
    inflater = new Inflater();
    window = Buffer.allocUnsafe(WINDOW);
    windowAt = -1;
    windowLen = 0;
    /** Stored bytes read ahead for a walk of objects far apart (see preload): where each one is. */
    held = null;
    constructor(share) {
        this.share = share;
        this.idx = Buffer.from(share.idx.buffer, share.idx.byteOffset, share.idx.byteLength);
        this.count = share.kinds.length;
        this.kinds = share.kinds;
        this.sizes = share.sizes;
        this.bases = share.bases;
        this.starts = share.starts;
        this.ends = share.ends;
        this.dataStarts = share.dataStarts;
        this.idxPos = share.idxPos;
        this.fd = (0,external_node_fs_namespaceObject.openSync)(share.packPath, 'r');
    }
    /** Opens a pack through its index, reading every object's header. Throws PackFormatError. */
    static open(idxPath, packPath) {
        const file = (0,external_node_fs_namespaceObject.readFileSync)(idxPath);
        const idx = Buffer.from(new SharedArrayBuffer(file.length));
        file.copy(idx);
        if (idx.length < 8 + 1024 || idx.readUInt32BE(0) !== IDX_MAGIC || idx.readUInt32BE(4) !== 2)
            throw new packs_PackFormatError(`${idxPath}: not a version-2 pack index`);
        const n = idx.readUInt32BE(8 + 255 * 4);
        const shaTable = 8 + 1024;
        const offTable = shaTable + n * (OID_BYTES + 4);
        const largeTable = offTable + n * 4;
        if (idx.length < largeTable + 40)
            throw new packs_PackFormatError(`${idxPath}: truncated pack index`);
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
            if (raw[i] >= 2 ** 32)
                small = false;
            packed[i] = raw[i] * 2 ** 20 + i;
        }
        if (small && n < 2 ** 20) {
            packed.sort();
            for (let i = 0; i < n; i++)
                idxPos[i] = packed[i] % 2 ** 20;
        }
        else {
            for (let i = 0; i < n; i++)
                idxPos[i] = i;
            idxPos.sort((x, y) => raw[x] - raw[y]);
        }
        const share = {
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
        for (let i = 0; i < n; i++)
            share.starts[i] = raw[idxPos[i]];
        const fd = (0,external_node_fs_namespaceObject.openSync)(packPath, 'r');
        try {
            const packSize = (0,external_node_fs_namespaceObject.fstatSync)(fd).size;
            readHeaders(fd, packSize, share, n);
            for (let i = 0; i < n; i++)
                share.ends[i] = i + 1 < n ? share.starts[i + 1] : packSize - OID_BYTES;
        }
        finally {
            (0,external_node_fs_namespaceObject.closeSync)(fd);
        }
        return new PackFile(share);
    }
    /** Reopens a pack from what another thread's reader shared. */
    static fromShare(share) {
        return new PackFile(share);
    }
    /** What a worker thread needs to read this pack (shared, not copied). */
    shared() {
        return this.share;
    }
    /** The object id of the object at `i`, in hex. */
    oid(i) {
        const at = 8 + 1024 + this.idxPos[i] * OID_BYTES;
        return this.idx.toString('hex', at, at + OID_BYTES);
    }
    /** Whether the object `oid` (hex) is in this pack. */
    has(oid) {
        return /^[0-9a-f]{40}$/.test(oid) && findInIndex(this.idx, Buffer.from(oid, 'hex')) >= 0;
    }
    /** The pack file's path, for messages. */
    get path() {
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
    read(i, into, at = 0) {
        const start = this.dataStarts[i];
        const len = this.ends[i] - start;
        const size = this.sizes[i];
        if (size > MAX_INFLATE)
            throw new ObjectReadError(`${this.describe(i)} declares ${size} bytes, more than this reader inflates (${MAX_INFLATE})`);
        let out;
        try {
            const stored = this.stored(i, start, len);
            if (into) {
                const n = this.inflater.inflate(stored, into, at, size + 1);
                out = Buffer.from(into.buffer, into.byteOffset + at, n);
            }
            else {
                // An output chunk of exactly the object's size: one allocation, no concatenation.
                out = (0,external_node_zlib_namespaceObject.inflateSync)(stored, { chunkSize: Math.max(64, size), maxOutputLength: size + 1 });
            }
        }
        catch (e) {
            if (e instanceof packs_PackFormatError)
                throw new ObjectReadError(e.message);
            const why = e.message.includes('maxOutputLength') || e instanceof Overlong
                ? `inflates to more than the ${size} bytes its header declares`
                : `does not inflate (${e.message})`;
            throw new ObjectReadError(`${this.describe(i)} ${why}`);
        }
        if (out.length !== size)
            throw new ObjectReadError(`${this.describe(i)} inflates to ${out.length} bytes, not the ${size} declared`);
        return out;
    }
    /** Names object `i` and its pack for an error message. */
    describe(i) {
        return `object ${this.oid(i)} (at offset ${this.starts[i]} of ${this.share.packPath})`;
    }
    /**
     * Why the pack or its index fails its checksum (damaged on disk, or not what git wrote), or null when
     * both match. Reads the whole pack once, a piece at a time between other work: nothing else needs its
     * answer before the end of a pass, so it runs beside the reading instead of before it.
     */
    async checksumProblem() {
        const idx = this.idx;
        const idxSum = (0,external_node_crypto_namespaceObject.createHash)('sha1')
            .update(idx.subarray(0, idx.length - OID_BYTES))
            .digest();
        if (!idxSum.equals(idx.subarray(idx.length - OID_BYTES)))
            return `the pack index of ${this.share.packPath} fails its checksum`;
        const size = (0,external_node_fs_namespaceObject.fstatSync)(this.fd).size;
        if (size < 12 + OID_BYTES)
            return `${this.share.packPath} is truncated`;
        const hash = (0,external_node_crypto_namespaceObject.createHash)('sha1');
        const buf = Buffer.allocUnsafe(1 << 20);
        const body = size - OID_BYTES;
        const readAt = (into, len, at) => new Promise((res, rej) => (0,external_node_fs_namespaceObject.read)(this.fd, into, 0, len, at, (e, n) => (e ? rej(e) : res(n))));
        try {
            for (let at = 0; at < body;) {
                const n = await readAt(buf, Math.min(buf.length, body - at), at);
                if (n <= 0)
                    return `${this.share.packPath} could not be read to its end`;
                hash.update(buf.subarray(0, n));
                at += n;
            }
            const trailer = Buffer.allocUnsafe(OID_BYTES);
            if ((await readAt(trailer, OID_BYTES, body)) !== OID_BYTES)
                return `${this.share.packPath} could not be read to its end`;
            if (!hash.digest().equals(trailer))
                return `${this.share.packPath} fails its checksum`;
            if (!trailer.equals(idx.subarray(idx.length - 2 * OID_BYTES, idx.length - OID_BYTES)))
                return `the pack index of ${this.share.packPath} belongs to another pack`;
            return null;
        }
        catch (e) {
            return `${this.share.packPath} could not be read to its end (${e.message})`;
        }
    }
    /**
     * The stored bytes of object `i`. Deltas tend to sit near the objects they are based on, so a small
     * window read ahead serves most of them without a system call of their own.
     */
    stored(i, start, len) {
        const held = this.held?.at.get(i);
        if (held !== undefined)
            return this.held.bytes.subarray(held, held + len);
        if (start >= this.windowAt && start + len <= this.windowAt + this.windowLen)
            return this.window.subarray(start - this.windowAt, start - this.windowAt + len);
        if (len > WINDOW) {
            if (len > this.scratch.length)
                this.scratch = Buffer.allocUnsafe(len);
            if ((0,external_node_fs_namespaceObject.readSync)(this.fd, this.scratch, 0, len, start) !== len)
                throw new packs_PackFormatError(`pack ended inside object ${this.oid(i)}`);
            return this.scratch.subarray(0, len);
        }
        this.windowAt = start;
        this.windowLen = (0,external_node_fs_namespaceObject.readSync)(this.fd, this.window, 0, WINDOW, start);
        if (this.windowLen < len)
            throw new packs_PackFormatError(`pack ended inside object ${this.oid(i)}`);
        return this.window.subarray(0, len);
    }
    /**
     * Reads the stored bytes of `objects` (at most `budget` of them) into memory, in as few reads as their
     * places allow, so that a walk of objects scattered through the pack (its trees, among the blobs) makes
     * a system call per stretch instead of one per object. They are read from memory until `forget`.
     * False, reading nothing, when they exceed `budget`.
     */
    preload(objects, budget) {
        // Objects are numbered in the order they lie in the pack.
        const order = Int32Array.from(objects).sort();
        let total = 0;
        for (const i of order)
            total += this.ends[i] - this.dataStarts[i];
        if (total > budget)
            return false;
        const bytes = Buffer.allocUnsafeSlow(total);
        const at = new Map();
        const stretch = Buffer.allocUnsafeSlow(PRELOAD_STRETCH);
        let w = 0;
        for (let k = 0; k < order.length;) {
            // Objects close enough to the one before are read with it, the bytes between them read and dropped:
            // one system call per stretch of them.
            const from = this.dataStarts[order[k]];
            let e = k + 1;
            while (e < order.length &&
                this.starts[order[e]] - this.ends[order[e - 1]] <= PRELOAD_GAP &&
                this.ends[order[e]] - from <= stretch.length)
                e++;
            const to = this.ends[order[e - 1]];
            const together = e - k > 1;
            if (together && (0,external_node_fs_namespaceObject.readSync)(this.fd, stretch, 0, to - from, from) !== to - from)
                throw new packs_PackFormatError(`pack ended inside object ${this.oid(order[e - 1])}`);
            for (; k < e; k++) {
                const i = order[k];
                const s = this.dataStarts[i];
                const len = this.ends[i] - s;
                if (together)
                    stretch.copy(bytes, w, s - from, s - from + len);
                else if ((0,external_node_fs_namespaceObject.readSync)(this.fd, bytes, w, len, s) !== len)
                    throw new packs_PackFormatError(`pack ended inside object ${this.oid(i)}`);
                at.set(i, w);
                w += len;
            }
        }
        this.held = { bytes, at };
        return true;
    }
    /** Drops what preload read. */
    forget() {
        this.held = null;
    }
    close() {
        this.held = null;
        this.inflater.close();
        (0,external_node_fs_namespaceObject.closeSync)(this.fd);
    }
}
class Overlong extends Error {
}
/**
 * One zlib stream reused for every object of a pass, inflating into memory the caller owns. Node offers
 * this only through the handle its own synchronous inflate drives; where that handle is not as expected,
 * each object is inflated into a buffer of its own and copied.
 */
class Inflater {
    z = null;
    error = null;
    /** Inflates `input` into `out[at, at + room)`; returns the bytes written. Throws Overlong past `room`. */
    inflate(input, out, at, room) {
        const z = this.z ?? this.open();
        if (!z) {
            const whole = (0,external_node_zlib_namespaceObject.inflateSync)(input, { chunkSize: Math.max(64, room), maxOutputLength: room });
            if (whole.length >= room)
                throw new Overlong();
            out.set(whole, at);
            return whole.length;
        }
        this.error = null;
        z.handle.writeSync(external_node_zlib_namespaceObject.constants.Z_FINISH, input, 0, input.length, out, at, room);
        if (this.error !== null) {
            // A stream that failed is not reused: the next object starts a new one.
            this.z = null;
            z.stream.close();
            throw new Error(this.error);
        }
        const written = room - z.state[0];
        z.handle.reset();
        if (written >= room)
            throw new Overlong();
        return written;
    }
    close() {
        this.z?.stream.close();
        this.z = null;
    }
    open() {
        const stream = new external_node_zlib_namespaceObject.Inflate();
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
function readHeaders(fd, packSize, share, n) {
    const { starts, kinds, sizes, bases, dataStarts, idx, idxPos } = share;
    const buf = Buffer.allocUnsafe(HEADER_CHUNK);
    let chunkAt = 0;
    let chunkLen = (0,external_node_fs_namespaceObject.readSync)(fd, buf, 0, Math.min(HEADER_CHUNK, packSize), 0);
    if (chunkLen < 12 || buf.toString('latin1', 0, 4) !== 'PACK')
        throw new packs_PackFormatError('not a pack file');
    const version = buf.readUInt32BE(4);
    if (version !== 2 && version !== 3)
        throw new packs_PackFormatError(`pack version ${version} is not supported`);
    if (buf.readUInt32BE(8) !== n)
        throw new packs_PackFormatError('pack and index disagree on the number of objects');
    const refBases = [];
    const idxView = Buffer.from(idx.buffer, idx.byteOffset, idx.byteLength);
    for (let i = 0; i < n; i++) {
        const start = starts[i];
        if (start + MAX_HEADER > chunkAt + chunkLen && chunkAt + chunkLen < packSize) {
            chunkAt = start;
            chunkLen = (0,external_node_fs_namespaceObject.readSync)(fd, buf, 0, Math.min(HEADER_CHUNK, packSize - start), start);
        }
        // A truncated pack ends before an object the index names: never decode what was not read.
        if (start + 1 > packSize - OID_BYTES)
            throw new packs_PackFormatError(`pack is truncated before offset ${start}`);
        let p = start - chunkAt;
        let c = buf[p++];
        const kind = (c >> 4) & 7;
        let size = c & 15;
        let shift = 4;
        while (c & 0x80) {
            c = buf[p++];
            size += (c & 0x7f) * 2 ** shift;
            shift += 7;
        }
        kinds[i] = kind;
        sizes[i] = size;
        if (kind === packs_KIND.ofsDelta) {
            c = buf[p++];
            let rel = c & 0x7f;
            while (c & 0x80) {
                c = buf[p++];
                rel = (rel + 1) * 128 + (c & 0x7f);
            }
            const baseAt = start - rel;
            const b = findStart(starts, baseAt, i);
            if (b < 0)
                throw new packs_PackFormatError(`delta at ${start} points at ${baseAt}, where no object starts`);
            bases[i] = b;
        }
        else if (kind === packs_KIND.refDelta) {
            refBases.push([i, findInIndex(idxView, buf.subarray(p, p + OID_BYTES))]);
            p += OID_BYTES;
        }
        else if (kind < packs_KIND.commit || kind > packs_KIND.tag) {
            throw new packs_PackFormatError(`unknown object kind ${kind} at ${start}`);
        }
        if (p > chunkLen)
            throw new packs_PackFormatError(`pack is truncated inside the object at ${start}`);
        dataStarts[i] = chunkAt + p;
    }
    if (refBases.length > 0) {
        const sortedOf = new Int32Array(n);
        for (let i = 0; i < n; i++)
            sortedOf[idxPos[i]] = i;
        for (const [i, pos] of refBases)
            bases[i] = pos < 0 ? -1 : sortedOf[pos];
    }
}
/** Index (in offset order, below `before`) of the object starting at `at`, or -1. */
function findStart(starts, at, before) {
    let lo = 0;
    let hi = before - 1;
    while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const v = starts[mid];
        if (v === at)
            return mid;
        if (v < at)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}
/** Position in the index's sorted object ids of `oid`, or -1. */
function findInIndex(view, oid) {
    const first = oid[0];
    let lo = first === 0 ? 0 : view.readUInt32BE(8 + (first - 1) * 4);
    let hi = view.readUInt32BE(8 + first * 4) - 1;
    const table = 8 + 1024;
    while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const cmp = view.compare(oid, 0, OID_BYTES, table + mid * OID_BYTES, table + (mid + 1) * OID_BYTES);
        if (cmp === 0)
            return mid;
        if (cmp > 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}
/**
 * Lists the packs and loose objects of `objectsDir` and of its alternates. Returns null when the store
 * uses something this reader does not (alternates named in the environment): the caller then asks git.
 */
function objectStoreLayout(objectsDir) {
    if (process.env.GIT_ALTERNATE_OBJECT_DIRECTORIES)
        return null;
    const layout = { packs: [], loose: [], alternates: false, promisor: false };
    const seen = new Set();
    const visit = (dir, depth) => {
        const abs = resolve(dir);
        if (seen.has(abs) || depth > 5)
            return;
        seen.add(abs);
        const packDir = join(abs, 'pack');
        if (existsSync(packDir)) {
            for (const name of readdirSync(packDir).sort()) {
                if (!name.endsWith('.idx'))
                    continue;
                const pack = join(packDir, name.slice(0, -4) + '.pack');
                if (existsSync(pack))
                    layout.packs.push({ idx: join(packDir, name), pack });
                if (existsSync(join(packDir, name.slice(0, -4) + '.promisor')))
                    layout.promisor = true;
            }
        }
        for (const sub of existsSync(abs) ? readdirSync(abs) : []) {
            if (!/^[0-9a-f]{2}$/.test(sub))
                continue;
            for (const rest of readdirSync(join(abs, sub)))
                if (/^[0-9a-f]{38}$/.test(rest))
                    layout.loose.push(sub + rest);
        }
        const alternates = join(abs, 'info', 'alternates');
        if (existsSync(alternates)) {
            layout.alternates = true;
            for (const line of readFileSync(alternates, 'utf8').split('\n')) {
                const p = line.trim();
                if (!p || p.startsWith('#'))
                    continue;
                visit(isAbsolute(p) ? p : join(abs, p), depth + 1);
            }
        }
    };
    visit(objectsDir, 0);
    return layout;
}
// The deltified representation (see the top of this file). Applying a delta costs a few memory copies, and
// its instructions tell which bytes of the target are new: the full-history pass searches only those.
class packs_DeltaError extends Error {
    name = 'DeltaError';
}
/**
 * Instructions of a delta, three numbers each in `data[0, length)`: where in the target, how many bytes,
 * and where from (an offset in the base, or for inserted bytes `-(position in the delta) - 1`). One
 * instance is reused for every delta of a pass.
 */
class DeltaOps {
    data = new Int32Array(3 * 1024);
    length = 0;
    push(t, n, from) {
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
function readSize(delta, start) {
    let value = 0;
    let shift = 0;
    let p = start;
    for (;;) {
        if (p >= delta.length)
            throw new packs_DeltaError('delta header is truncated');
        const c = delta[p++];
        value += (c & 0x7f) * 2 ** shift;
        shift += 7;
        if ((c & 0x80) === 0)
            return [value, p];
    }
}
/** The size of the object a delta produces, read from its header alone. */
function deltaTargetSize(delta) {
    const [, p] = readSize(delta, 0);
    return readSize(delta, p)[0];
}
/**
 * Reads the instructions of `delta` into `ops` and returns the size of the object it produces. Copies
 * are recorded with their offset in the base; inserts with `-(position in the delta) - 1`. Throws a
 * DeltaError when the delta does not fit a base of `baseLength` bytes.
 */
function parseDelta(delta, baseLength, ops) {
    const [baseSize, p0] = readSize(delta, 0);
    if (baseSize !== baseLength)
        throw new packs_DeltaError(`delta expects a base of ${baseSize} bytes, got ${baseLength}`);
    const [targetSize, p1] = readSize(delta, p0);
    ops.length = 0;
    const end = delta.length;
    let p = p1;
    let t = 0;
    while (p < end) {
        const op = delta[p++];
        if (op & 0x80) {
            let off = 0;
            let size = 0;
            if (op & 0x01)
                off = delta[p++];
            if (op & 0x02)
                off |= delta[p++] << 8;
            if (op & 0x04)
                off |= delta[p++] << 16;
            if (op & 0x08)
                off = (off | (delta[p++] << 24)) >>> 0;
            if (op & 0x10)
                size = delta[p++];
            if (op & 0x20)
                size |= delta[p++] << 8;
            if (op & 0x40)
                size |= delta[p++] << 16;
            if (size === 0)
                size = 0x10000;
            if (p > end || off + size > baseLength || t + size > targetSize)
                throw new packs_DeltaError('delta copies outside its base or target');
            ops.push(t, size, off);
            t += size;
        }
        else if (op !== 0) {
            if (p + op > end || t + op > targetSize)
                throw new packs_DeltaError('delta inserts past its end');
            ops.push(t, op, -p - 1);
            t += op;
            p += op;
        }
        else {
            throw new packs_DeltaError('delta uses the reserved instruction 0');
        }
    }
    if (t !== targetSize)
        throw new packs_DeltaError(`delta produced ${t} bytes, its header says ${targetSize}`);
    return targetSize;
}
/**
 * Builds a delta's target at `mem[outAt…]` from its base at `mem[baseAt…]` (one buffer, so each copy is
 * a memmove) and the inserts of `delta`, following `ops` from parseDelta.
 */
function buildTarget(mem, baseAt, outAt, delta, ops) {
    const d = ops.data;
    for (let k = 0; k < ops.length; k += 3) {
        const to = outAt + d[k];
        const n = d[k + 1];
        const src = d[k + 2];
        if (src >= 0) {
            const from = baseAt + src;
            if (n < SMALL_COPY)
                for (let i = 0; i < n; i++)
                    mem[to + i] = mem[from + i];
            else
                mem.copyWithin(to, from, from + n);
        }
        else {
            const from = -src - 1;
            if (n < SMALL_COPY)
                for (let i = 0; i < n; i++)
                    mem[to + i] = delta[from + i];
            else
                mem.set(delta.subarray(from, from + n), to);
        }
    }
}
/**
 * Copies `target[from, to)` of a delta's target, without building the rest of it, into `out`. `ops` are
 * the delta's instructions, `mem[baseAt…]` its base.
 */
function readTarget(mem, baseAt, delta, ops, from, to, out) {
    const d = ops.data;
    let lo = 0;
    let hi = ops.length / 3 - 1;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (d[mid * 3] + d[mid * 3 + 1] <= from)
            lo = mid + 1;
        else
            hi = mid;
    }
    let pos = from;
    let w = 0;
    for (let k = lo * 3; pos < to; k += 3) {
        const skip = pos - d[k];
        const take = Math.min(d[k + 1] - skip, to - pos);
        const src = d[k + 2];
        const from = src >= 0 ? baseAt + src + skip : -src - 1 + skip;
        const bytes = src >= 0 ? mem : delta;
        if (take < SMALL_COPY)
            for (let i = 0; i < take; i++)
                out[w + i] = bytes[from + i];
        else
            out.set(bytes.subarray(from, from + take), w);
        w += take;
        pos += take;
    }
    return out.subarray(0, w);
}
/** Applies `delta` to `base`. Throws a DeltaError on a corrupt delta. */
function applyDelta(base, delta, ops = new DeltaOps()) {
    const size = parseDelta(delta, base.length, ops);
    const mem = Buffer.allocUnsafe(base.length + size);
    base.copy(mem, 0);
    buildTarget(mem, 0, base.length, delta, ops);
    return mem.subarray(base.length);
}

;// CONCATENATED MODULE: ./src/scan/pack-plan.ts

/**
 * Planning a full-history pass over one pack, before any object is inflated: what kind each delta chain
 * ends in, which deltas hang from each object, which chains this reader walks and what each weighs, and
 * how they are shared between threads. Everything here comes from the headers the pack reader parsed;
 * the plan is in shared memory, so threads read it without a copy.
 */
/** Objects larger than this are streamed by git instead of held whole. */
const LARGE_OBJECT = 8 << 20;
/** Kinds of object a pass reads: blobs, commits and annotated tags (trees hold no key). */
const pack_plan_WANTED_ROOTS = new Set([packs_KIND.blob, packs_KIND.commit, packs_KIND.tag]);
const UNKNOWN = 255;
/** Object ids of `from` and every delta based on it, directly or not. */
function pack_plan_subtree(pack, plan, from) {
    const { childStart, children } = plan;
    const out = [];
    const todo = [from];
    while (todo.length > 0) {
        const i = todo.pop();
        out.push(pack.oid(i));
        for (let c = childStart[i]; c < childStart[i + 1]; c++)
            todo.push(children[c]);
    }
    return out;
}
const plans = new WeakMap();
/** The plan of `pack`, made once: the first pass and attribution's read of trees share it. */
function pack_plan_planOf(pack) {
    let plan = plans.get(pack);
    if (!plan)
        plans.set(pack, (plan = planPack(pack)));
    return plan;
}
/** Takes `plan` as the plan of `pack` (made by another thread, in shared memory). */
function adoptPlan(pack, plan) {
    plans.set(pack, plan);
}
/** Resolves kinds through delta chains and lists each object's deltas. */
function planPack(pack) {
    const rootKind = new Uint8Array(new SharedArrayBuffer(Math.max(1, pack.count))).subarray(0, pack.count);
    resolveRootKinds(pack, rootKind);
    return { rootKind, ...childLists(pack) };
}
/**
 * The objects the chains this reader reads start from, with the stored bytes of each chain (the work of
 * reading it); and those of the chains it leaves to git: deltas whose base is in another pack, and
 * objects too large to hold.
 */
function pack_plan_chainRoots(pack) {
    const n = pack.count;
    const list = [];
    const early = [];
    for (let i = 0; i < n; i++) {
        const k = pack.kinds[i];
        if (k >= KIND.ofsDelta) {
            // Based on an object outside this pack: of a kind only git can tell.
            if (pack.bases[i] < 0)
                early.push(i);
        }
        else if (pack_plan_WANTED_ROOTS.has(k)) {
            if (pack.sizes[i] > LARGE_OBJECT)
                early.push(i);
            else
                list.push(i);
        }
    }
    const roots = Uint32Array.from(list);
    // Chain weights: each object's stored size added to its root's, bases before deltas (offset order
    // puts a base before its deltas except for deltas named by id, resolved by walking up).
    const rootOf = new Int32Array(n).fill(-1);
    for (let k = 0; k < roots.length; k++)
        rootOf[roots[k]] = k;
    const weights = new Float64Array(roots.length);
    for (let i = 0; i < n; i++) {
        let j = i;
        let steps = 0;
        while (rootOf[j] === -1 && pack.kinds[j] >= KIND.ofsDelta && pack.bases[j] >= 0 && steps++ < n)
            j = pack.bases[j];
        const k = rootOf[j];
        if (k >= 0) {
            if (j !== i)
                rootOf[i] = k;
            weights[k] = weights[k] + (pack.ends[i] - pack.starts[i]);
        }
    }
    return { roots, weights, early };
}
/** Splits chains into `jobs` shares of about equal weight, each kept in pack order. */
function pack_plan_splitRoots(roots, weights, jobs) {
    const order = Array.from(roots.keys()).sort((a, b) => weights[b] - weights[a]);
    const load = new Float64Array(jobs);
    const assigned = Array.from({ length: jobs }, () => []);
    for (const k of order) {
        let best = 0;
        for (let j = 1; j < jobs; j++)
            if (load[j] < load[best])
                best = j;
        load[best] = load[best] + weights[k];
        assigned[best].push(roots[k]);
    }
    return assigned
        .filter((a) => a.length > 0)
        .map((a) => {
        const share = new Uint32Array(new SharedArrayBuffer(Math.max(1, a.length) * 4)).subarray(0, a.length);
        share.set(a.sort((x, y) => x - y));
        return share;
    });
}
/** Marks of resolveRootKinds: on the chain being walked, and on or leading into a cycle of deltas. */
const VISITING = 254;
const CYCLIC = 253;
/**
 * The kind of object each entry is once its delta chain is resolved (UNKNOWN when the base is elsewhere).
 * Each entry is walked once, so a cycle of deltas costs no more than a chain; the objects on one, or
 * based on one, are named in the PackFormatError thrown.
 */
function resolveRootKinds(pack, kinds) {
    const n = pack.count;
    const chain = [];
    const cyclic = [];
    for (let i = 0; i < n; i++) {
        if (kinds[i] !== 0)
            continue;
        let j = i;
        chain.length = 0;
        while (kinds[j] === 0 && pack.kinds[j] >= packs_KIND.ofsDelta && pack.bases[j] >= 0) {
            kinds[j] = VISITING;
            chain.push(j);
            j = pack.bases[j];
        }
        const k = kinds[j] === VISITING || kinds[j] === CYCLIC
            ? CYCLIC
            : kinds[j] !== 0
                ? kinds[j]
                : pack.kinds[j] < packs_KIND.ofsDelta
                    ? pack.kinds[j]
                    : UNKNOWN;
        kinds[j] = k;
        for (const c of chain)
            kinds[c] = k;
        if (k === CYCLIC)
            for (const c of chain)
                cyclic.push(pack.oid(c));
    }
    if (cyclic.length > 0)
        throw new packs_PackFormatError(`${pack.path} has a cycle of deltas: ${cyclic.length} object(s) on it or based on it can never be rebuilt`, cyclic);
}
/** For each object, the deltas based on it, as one flat list with start positions (shared memory). */
function childLists(pack) {
    const n = pack.count;
    const childStart = new Uint32Array(new SharedArrayBuffer((n + 1) * 4));
    for (let i = 0; i < n; i++) {
        const b = pack.bases[i];
        if (pack.kinds[i] >= packs_KIND.ofsDelta && b >= 0)
            childStart[b + 1] = childStart[b + 1] + 1;
    }
    for (let i = 0; i < n; i++)
        childStart[i + 1] = childStart[i + 1] + childStart[i];
    const fill = childStart.slice(0, n);
    const total = childStart[n];
    const children = new Uint32Array(new SharedArrayBuffer(Math.max(1, total) * 4)).subarray(0, total);
    for (let i = 0; i < n; i++) {
        const b = pack.bases[i];
        if (pack.kinds[i] >= packs_KIND.ofsDelta && b >= 0) {
            children[fill[b]] = i;
            fill[b] = fill[b] + 1;
        }
    }
    return { childStart, children };
}

;// CONCATENATED MODULE: ./src/core/rules.ts
/**
 * The patterns keyleak matches. Kept in one place so the fast first pass and the full analysis agree.
 */
/** The longest match of KEY_ID_PREFILTER: chunk readers carry this many bytes over a boundary. */
const KEY_ID_LENGTH = 20;
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
function base64Class(has) {
    const char = (v) => (v >= 62 ? `\\${BASE64_CHARS[v]}` : BASE64_CHARS[v]);
    const breaks = new Set([26, 52, 62, 63]);
    let out = '';
    let count = 0;
    for (let v = 0; v < 64;) {
        if (!has[v]) {
            v++;
            continue;
        }
        let w = v;
        while (w + 1 < 64 && has[w + 1] && !breaks.has(w + 1))
            w++;
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
function base64KeyIdForm(prefixes, align) {
    const any = Array.from({ length: 256 }, (_, i) => i);
    const body = [...KEY_ID_CHARS].map((c) => c.charCodeAt(0));
    const prefixBytes = [...prefixes[0]].map((_, i) => [
        ...new Set(prefixes.flatMap((p) => (p[i] === '?' ? body : [p.charCodeAt(i)]))),
    ]);
    const bytes = [
        ...Array(align).fill(any),
        ...prefixBytes,
        ...Array(KEY_ID_LENGTH - prefixBytes.length).fill(body),
    ];
    const chars = [];
    for (let bit = 0; bit + 6 <= bytes.length * 8; bit += 6) {
        const at = bit >> 3;
        // A character takes its high bits from one byte and, past that byte's end, its low bits from the next.
        const fromFirst = Math.min(6, 8 - (bit & 7));
        const fromNext = 6 - fromFirst;
        const his = new Uint8Array(64);
        for (const x of bytes[at])
            his[(x >> (8 - (bit & 7) - fromFirst)) & ((1 << fromFirst) - 1)] = 1;
        const los = new Uint8Array(64);
        if (fromNext > 0)
            for (const y of bytes[at + 1])
                los[y >> (8 - fromNext)] = 1;
        else
            los[0] = 1;
        const has = new Uint8Array(64);
        for (let hi = 0; hi < 1 << fromFirst; hi++)
            if (his[hi])
                for (let lo = 0; lo < 1 << fromNext; lo++)
                    if (los[lo])
                        has[(hi << fromNext) | lo] = 1;
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
const ENCODED_KEY_ID_SOURCES = [
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
const rules_KEY_ID_PREFILTER = new RegExp(['(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}', ...ENCODED_KEY_ID_SOURCES].join('|'), 'g');
/** A key id as a whole token, on a line already normalised by `normaliseLine`. */
const KEY_ID_TOKEN = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g;
/**
 * A 40-character secret access key as a whole token: not part of a longer base64 run (integrity hashes,
 * PEM bodies) and not followed by padding.
 */
const SECRET_TOKEN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])/g;
/** Words that label a secret access key on the same line. */
const SECRET_LABEL = /secret|aws_?sak|sak\b|credential/i;
/**
 * Labels that name an AWS secret access key itself (`aws_secret_access_key`, `AWS_SECRET_ACCESS_KEY`,
 * `SecretAccessKey`, `secret-access-key`, `aws_secret`, `awsSecretKey`): such a secret is reported even
 * without a key id. Spelled in the three cases people write (lower, Capitalised, UPPER) rather than
 * case-insensitively, so that the first pass can look for `ecret` / `ECRET` as plain strings first.
 */
const rules_AWS_SECRET_LABEL = /[Ss]ecret[_ -]?[Aa]ccess[_ -]?[Kk]ey|SECRET[_ -]?ACCESS[_ -]?KEY|[Aa]ws[_ .-]?[Ss]ecret|AWS[_ .-]?SECRET/;
/** The longest match of AWS_SECRET_LABEL (`secret_access_key`): no longer than a key id. */
const AWS_SECRET_LABEL_LENGTH = 17;
const AWS_SECRET_LABEL_AT = new RegExp(rules_AWS_SECRET_LABEL.source, 'y');
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
function visitSecretLabels(text, from, to, visit) {
    let lower = text.indexOf('ecret', from);
    let upper = text.indexOf('ECRET', from);
    for (;;) {
        if (lower >= to - 4)
            lower = -1;
        if (upper >= to - 4)
            upper = -1;
        if (lower < 0 && upper < 0)
            return;
        const q = upper < 0 || (lower >= 0 && lower < upper) ? lower : upper;
        if (q === lower)
            lower = text.indexOf('ecret', q + 5);
        else
            upper = text.indexOf('ECRET', q + 5);
        for (const back of LABEL_STARTS_BEFORE_ECRET) {
            const at = q - back;
            // The letter a label starts with (S or s before `ecret`, A or a three or four before `S`):
            // most places fail here, without running the pattern.
            if (at < from || (text.charCodeAt(at) | 0x20) !== (back === 1 ? 0x73 : 0x61))
                continue;
            AWS_SECRET_LABEL_AT.lastIndex = at;
            const m = AWS_SECRET_LABEL_AT.exec(text);
            if (m && at + m[0].length <= to && visit(at, m[0].length))
                return;
        }
    }
}
/** Session tokens are long base64; they are only taken when labelled or when they carry STS's own prefix. */
const SESSION_TOKEN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{100,}={0,2}(?![A-Za-z0-9+/=])/g;
const SESSION_TOKEN_LABEL = /session_?token|security_?token|x-amz-security-token/i;
const SESSION_TOKEN_PREFIXES = [
    'FwoGZXIvYXdz',
    'IQoJb3JpZ2lu',
    'IQoJb3JpZ2',
    'AgoJb3JpZ2lu',
    'FQoGZXIvYXdz',
];
/** The marker that suppresses a finding on its line, unless `allow.markers` names others. */
const ALLOW_MARKER = 'keyleak:allow';
/**
 * Other scanners' markers, listed here so the analysis can note which one a line carries; a hit on such
 * a line is suppressed only when `allow.markers` names the marker.
 */
const KNOWN_ALLOW_MARKERS = [
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
function rules_isDocumentedSecret(value) {
    return (value.includes('EXAMPLE') ||
        value.startsWith('wJalrXUtnFEMI') ||
        value.startsWith('je7MtGbClwBF') ||
        /K7MDENG[/+]bPxRfiCY/.test(value));
}
/**
 * Words of AWS's documentation paths and API model names (`com/AmazonS3/latest/dev/…`,
 * `/AuthorizeDBSecurityGroupIngressResponse`). Two of them in a 40-character run, or one in a run that is
 * mostly pronounceable, make it a name, not a random secret: a five-letter word appears by chance in a
 * random secret about once in 3,000, two about once in ten million.
 */
const NAME_WORDS = ('access accessing action alarm allocation amazon analytics apply artifact associate attribute ' +
    'authority authorize average balancer batch bucket builder cache certificate change check cluster ' +
    'common complete config configure connect create customer datastore dedicated default delete describe ' +
    'deploy developer direct distribution domain engine entry error event export fleet function group ' +
    'guide health hosted identit image import ingress initiate instance launch latest listener logging ' +
    'managed management memory message metric model multi network notification object operation optimiz ' +
    'option order origin output parameter policy profile protected public record recommend reference ' +
    'region request resource response restore result revoke route schedule scaling secret security server ' +
    'service session setting signer snapshot source splice storage stream subnet subscription summary ' +
    'tagging target template update upload version visibility volume website welcome windows ' +
    'withdraw working')
    .split(' ')
    .filter((w) => /^[a-z]{5,}$/.test(w));
/** Letters of runs that read like words (a vowel in four, no four consonants together). */
function pronounceableLetters(value) {
    let n = 0;
    for (const m of value.matchAll(/[A-Z]?[a-z]{2,}/g)) {
        const r = m[0].toLowerCase();
        if (r.length < 3 || /[^aeiouy]{4}/.test(r))
            continue;
        const vowels = r.replace(/[^aeiouy]/g, '').length;
        if (vowels * 4 >= r.length)
            n += r.length;
    }
    return n;
}
/**
 * Whether a 40-character run has the shape of a random secret access key rather than a hash, a path, a
 * URL or a name. Measured on random keys, the name rules turn away about one real secret in 50,000
 * (which is then reported as a key id without its secret); on the histories of aws-cli, botocore and
 * boto3 they turn away every documentation path and model name that used to pair.
 */
function rules_hasSecretShape(value) {
    if (/^[0-9a-fA-F]+$/.test(value))
        return false; // git SHAs, hex digests
    if (!/[A-Z]/.test(value) || !/[a-z]/.test(value))
        return false;
    if (!/[0-9+/]/.test(value))
        return false;
    if (new Set(value).size < 16)
        return false;
    const words = pronounceableLetters(value);
    if (words >= 28)
        return false;
    const lower = value.toLowerCase();
    let named = 0;
    for (const w of NAME_WORDS)
        if (lower.includes(w))
            named++;
    return named < 2 && !(named === 1 && words >= 18);
}
/**
 * One encoded character as files carry it: URL encoding of + / = (query strings, .env files copied from
 * URLs), every JSON `\uXXXX` escape, JSON's `\/`, `\n`, `\r` and `\t` (which in a notebook glue a token
 * to the escape's letter), and HTML numeric and named entities. Each unit stands for exactly one
 * character, which is what lets the rewrite plan map a decoded match back to the bytes stored.
 */
const ENCODED_UNIT_SOURCE = /%2[bBfF]|%3[dD]|\\u[0-9a-fA-F]{4}|\\\/|\\[nrt]|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};|&(?:amp|lt|gt|quot|apos|plus|sol|equals|nbsp|num|percnt);/
    .source;
const ENCODED_UNIT = new RegExp(ENCODED_UNIT_SOURCE, 'g');
const NAMED_ENTITIES = {
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
function decodeUnit(unit) {
    let code;
    if (unit[0] === '%')
        return unit[1] === '3' ? '=' : /[bB]/.test(unit[2]) ? '+' : '/';
    if (unit[0] === '\\') {
        if (unit[1] === '/')
            return '/';
        if (unit[1] !== 'u')
            return ' ';
        code = parseInt(unit.slice(2), 16);
    }
    else if (unit[1] === '#') {
        code =
            unit[2] === 'x' || unit[2] === 'X' ? parseInt(unit.slice(3, -1), 16) : parseInt(unit.slice(2, -1), 10);
    }
    else
        return NAMED_ENTITIES[unit.slice(1, -1)] ?? ' ';
    return code < 0x20 || code > 0xffff || (code >= 0xd800 && code < 0xe000) ? ' ' : String.fromCharCode(code);
}
/**
 * Undo the encodings a key or secret travels through in files people commit (see ENCODED_UNIT_SOURCE),
 * without moving line boundaries. Lines with none of `%`, `\\` or `&` are returned as they are.
 */
function normaliseLine(line) {
    if (line.indexOf('%') < 0 && line.indexOf('\\') < 0 && line.indexOf('&') < 0)
        return line;
    ENCODED_UNIT.lastIndex = 0;
    return line.replace(ENCODED_UNIT, decodeUnit);
}

;// CONCATENATED MODULE: ./src/core/detect.ts

const detect_EMPTY_ANALYSIS = Object.freeze({ keyIds: [], secrets: [], tokens: [] });
/**
 * True when `text` (bytes read as latin1) may hold a key id, as it is or encoded (UTF-16, a `\u` escape
 * or HTML entity of one of its characters, base64: rules.ts KEY_ID_PREFILTER), so that a history scan's
 * first pass hands the full analysis, which decodes, every file it must. The first pass runs this over
 * every object in a history, so it is one regex and nothing else.
 */
function detect_mayHoldKeyId(text) {
    KEY_ID_PREFILTER.lastIndex = 0;
    return KEY_ID_PREFILTER.test(text);
}
/**
 * True when `text` (bytes read as latin1) may label an AWS secret access key, so that a lone secret (one
 * with no key id) reaches the full analysis. Plain string searches first: most text holds neither.
 */
function detect_mayHoldSecretLabel(text) {
    return (text.includes('ecret') || text.includes('ECRET')) && AWS_SECRET_LABEL.test(text);
}
/** How far past a label the analysis looks for its secret (analyseDecoded: 64 characters before a token). */
const LABEL_REACH = AWS_SECRET_LABEL_LENGTH + 64 + 40;
/** Raw text a label's reach may take when every character of it is escaped (`&#x2F;` is six bytes). */
const RAW_REACH = LABEL_REACH * 8;
const SECRET_RUN = /[A-Za-z0-9+/]{40}/;
/** Labels looked at before a text is simply analysed in full: a hostile file cannot make this the slow part. */
const LABELS_LOOKED_AT = 1000;
/**
 * True when a text with no key id may hold a lone secret: a 40-character run within a secret label's
 * reach on its line, after the same unescaping the analysis does (the value may be base64, `\u`-escaped
 * or entity-encoded); UTF-16 text is always taken. The full analysis of a file costs far more than this,
 * and a history's API models name `SecretAccessKey` thousands of times without ever holding one.
 */
function mayHoldLabelledSecret(text) {
    if (utf16Of(text.slice(0, 64)))
        return true;
    let seen = 0;
    let may = false;
    visitSecretLabels(text, 0, text.length, (at) => {
        if (++seen > LABELS_LOOKED_AT)
            return (may = true);
        const eol = text.indexOf('\n', at);
        const raw = text.slice(at, Math.min(eol < 0 ? text.length : eol, at + RAW_REACH));
        return (may = SECRET_RUN.test(normaliseLine(raw).slice(0, LABEL_REACH)));
    });
    return may;
}
/** Lines looked at together by mayHoldDecodedKeyId: whole lines of about this many characters. */
const LINES_PIECE = 64 << 10;
/**
 * A base64 value as CREDENTIAL_B64_VALUE takes it, without the name before it (its second group here),
 * long enough to decode to a key id's 20 characters, and whose first three digits leave the top bit of
 * the first three bytes clear, as text's are (see decodesToAscii): most names in API models fail there.
 */
const B64_KEY_ID_VALUE = /[:=]\s*["']?([A-Za-f][A-HQ-Xg-nw-z0-3][ABEFIJMNQRUVYZcdghklopstwx014589][A-Za-z0-9+/]{24,}={0,2})/g;
/**
 * Whether a text (bytes read as latin1) the first pass found no key id in may still give LineAnalyzer
 * one. Only a value it decodes from base64 (analyseLine) can, and only when that value's text, or the
 * text it decodes to, is escaped (a `\u0041`), which the prefilter's base64 forms do not cover: so this
 * looks for a value of 27 characters or more after a separator, on lines unescaped as the analysis does,
 * that decodes to text. Whole lines are looked at together (an escape never holds a line break), which
 * costs a fraction of analysing them; a line too long for that is answered yes, as is UTF-16 text.
 */
function mayHoldDecodedKeyId(text) {
    if (utf16Of(text.slice(0, 64)))
        return true;
    for (let at = 0; at < text.length;) {
        let end = at + LINES_PIECE >= text.length ? text.length : text.indexOf('\n', at + LINES_PIECE);
        if (end < 0)
            end = text.length;
        if (end - at > detect_LineAnalyzer.MAX_LINE)
            return true;
        const lines = normaliseLine(text.slice(at, end));
        B64_KEY_ID_VALUE.lastIndex = 0;
        for (let m = B64_KEY_ID_VALUE.exec(lines); m; m = B64_KEY_ID_VALUE.exec(lines))
            if (decodesToAscii(m[1]) && decodeBase64Text(m[1]) !== null)
                return true;
        at = end + 1;
    }
    return false;
}
/** Whether a 40-character token has the shape of a secret access key (and is not AWS's documentation one). */
function looksLikeSecret(value) {
    return hasSecretShape(value) && !isDocumentedSecret(value);
}
function looksLikeSessionToken(value, line) {
    return SESSION_TOKEN_LABEL.test(line) || SESSION_TOKEN_PREFIXES.some((p) => value.startsWith(p));
}
/**
 * Analyses lines of text, fed in pieces of any size. Lines are 1-based and counted on the original text,
 * so CRLF files and escaped content report the line a person sees.
 */
class detect_LineAnalyzer {
    keyIdsOnly;
    markers;
    partial = '';
    lineNo = 0;
    /** Decided on the first bytes: UTF-16 text is decoded before it is split into lines. */
    utf16 = undefined;
    oddByte = '';
    result = { keyIds: [], secrets: [], tokens: [] };
    /**
     * `keyIdsOnly`: key ids (with their lines and allow markers) and nothing else, for texts where no
     * report will need a secret (a history's documentation keys): the secret patterns are most of the cost.
     */
    constructor(keyIdsOnly = false, 
    /** The allow markers to note on a line (config's `allow.markers` and other scanners'). */
    markers = KNOWN_ALLOW_MARKERS) {
        this.keyIdsOnly = keyIdsOnly;
        this.markers = markers;
    }
    /** Longest line held in memory; longer lines (minified files) are analysed in overlapping pieces. */
    static MAX_LINE = 1 << 20;
    /** Takes bytes read as latin1 (one character per byte), in pieces of any size. */
    push(piece) {
        if (this.utf16 === undefined)
            this.utf16 = utf16Of(piece);
        if (this.utf16)
            piece = this.decodeUtf16(piece);
        let text = this.partial + piece;
        let start = 0;
        for (;;) {
            const nl = text.indexOf('\n', start);
            if (nl < 0)
                break;
            this.lineNo++;
            this.analyseLine(text.slice(start, nl), this.lineNo);
            start = nl + 1;
        }
        text = text.slice(start);
        if (text.length > detect_LineAnalyzer.MAX_LINE) {
            // Analyse the head of an over-long line now and keep a tail long enough for any token to straddle.
            // Tokens inside the kept tail are seen twice and deduplicated at the end.
            const keep = 4096;
            this.analyseLine(text, this.lineNo + 1);
            text = text.slice(text.length - keep);
        }
        this.partial = text;
    }
    end() {
        if (this.partial.length > 0) {
            this.lineNo++;
            this.analyseLine(this.partial, this.lineNo);
            this.partial = '';
        }
        dedupe(this.result);
        return this.result;
    }
    decodeUtf16(piece) {
        let bytes = this.oddByte + piece;
        this.oddByte = bytes.length % 2 ? bytes.slice(-1) : '';
        if (this.oddByte)
            bytes = bytes.slice(0, -1);
        const buf = Buffer.from(bytes, 'latin1');
        if (this.utf16 === 'be')
            buf.swap16();
        // Characters beyond latin1 cannot be part of a key or a secret: keep one character per unit.
        // eslint-disable-next-line no-control-regex -- the range is every latin1 character, NUL included
        return buf.toString('utf16le').replace(/[^\x00-\xff]/g, '?');
    }
    analyseLine(raw, line) {
        const text = normaliseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
        this.analyseDecoded(text, line);
        // One level of base64 under a credential-like key (a Kubernetes Secret's `data:`, a
        // `.dockerconfigjson`'s `auth`): the decoded text is analysed as if it stood on this line.
        if (text.length >= 24 && B64_VALUE_AFTER_SEPARATOR.test(text) && CREDENTIAL_VALUE_HINT.test(text)) {
            CREDENTIAL_B64_VALUE.lastIndex = 0;
            for (let m = CREDENTIAL_B64_VALUE.exec(text); m; m = CREDENTIAL_B64_VALUE.exec(text)) {
                const decoded = decodeBase64Text(m[2]);
                if (decoded === null)
                    continue;
                const name = m[1];
                for (const part of decoded.split(/\r?\n/))
                    this.analyseDecoded(`${name}: ${normaliseLine(part)}`, line);
            }
        }
    }
    markerOf(text) {
        for (const m of this.markers)
            if (text.includes(m))
                return m;
        return null;
    }
    analyseDecoded(text, line) {
        let marker;
        if (text.indexOf('A') >= 0) {
            KEY_ID_TOKEN.lastIndex = 0;
            for (let m = KEY_ID_TOKEN.exec(text); m; m = KEY_ID_TOKEN.exec(text)) {
                if (marker === undefined)
                    marker = this.markerOf(text);
                this.result.keyIds.push({ keyId: m[0], line, marker });
            }
        }
        if (this.keyIdsOnly || text.length < 40)
            return;
        SECRET_TOKEN.lastIndex = 0;
        for (let m = SECRET_TOKEN.exec(text); m; m = SECRET_TOKEN.exec(text)) {
            if (!rules_hasSecretShape(m[0]))
                continue;
            const before = text.slice(Math.max(0, m.index - 64), m.index);
            const hit = { value: m[0], line, labelled: SECRET_LABEL.test(before) };
            if (rules_AWS_SECRET_LABEL.test(before))
                hit.awsLabelled = true;
            if (rules_isDocumentedSecret(m[0]))
                hit.documented = true;
            if (marker === undefined)
                marker = this.markerOf(text);
            if (marker)
                hit.marker = marker;
            this.result.secrets.push(hit);
        }
        if (text.length < 100)
            return;
        SESSION_TOKEN.lastIndex = 0;
        for (let m = SESSION_TOKEN.exec(text); m; m = SESSION_TOKEN.exec(text)) {
            if (looksLikeSessionToken(m[0], text))
                this.result.tokens.push({ value: m[0], line });
        }
    }
}
/**
 * Cheap tests before the base64 one, each true of every line it matches: a separator with a base64 run
 * of 24 after it (most lines have none, and this pattern is only tried where a `:` or `=` stands), and a
 * credential-like name. CREDENTIAL_B64_VALUE tries every start of every word, which made it the
 * costliest pattern of a history scan.
 */
const B64_VALUE_AFTER_SEPARATOR = /[:=]\s*["']?[A-Za-z0-9+/]{24}/;
/** The line names a credential-like key. */
const CREDENTIAL_VALUE_HINT = /secret|key|token|auth|cred|passw|dockerconfig/i;
/** A credential-like key and its base64 value (YAML, JSON or `KEY=value`). */
const CREDENTIAL_B64_VALUE = /([A-Za-z0-9_.-]*(?:secret|key|token|auth|cred|passw|dockerconfig)[A-Za-z0-9_.-]*)["']?\s*[:=]\s*["']?([A-Za-z0-9+/]{24,}={0,2})(?![A-Za-z0-9+/=])/gi;
/** Base64 digit values by character code (-1 for anything else). */
const BASE64_VALUE = Int8Array.from({ length: 128 }, (_, c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(String.fromCharCode(c)));
/** Of the digit at each place of a group of four, the bit that becomes a byte's top bit. */
const TOP_BIT = [0x20, 0x08, 0x02, 0];
/**
 * Whether every byte a base64 run decodes to is below 0x80, as text must be: a test of its digits that
 * rejects most names (`AuthorizeSecurityGroupIngress`) at their second letter, before decoding.
 */
function decodesToAscii(value) {
    // A byte is decoded from a digit's bits only when the next digit is there too.
    for (let i = 0; i + 1 < value.length; i++) {
        const v = BASE64_VALUE[value.charCodeAt(i)];
        if (v === undefined || v < 0)
            return true;
        if (v & TOP_BIT[i & 3])
            return false;
    }
    return true;
}
/** Base64 that decodes to printable text, or null (binary, or not base64 at all). */
function decodeBase64Text(value) {
    if (value.length % 4 === 1)
        return null;
    const text = Buffer.from(value, 'base64').toString('latin1');
    return /^[\t\n\r\x20-\x7e]+$/.test(text) ? text : null;
}
/**
 * Whether bytes (read as latin1) are UTF-16: a byte-order mark, or text whose every other byte is NUL
 * among the first ones (Windows tools write UTF-16 LE without a mark).
 */
function utf16Of(head) {
    if (head.startsWith('\xff\xfe'))
        return 'le';
    if (head.startsWith('\xfe\xff'))
        return 'be';
    const n = Math.min(head.length, 64) & ~1;
    if (n < 8)
        return null;
    let le = 0;
    let be = 0;
    for (let i = 0; i < n; i += 2) {
        if (head.charCodeAt(i + 1) === 0 && head.charCodeAt(i) !== 0)
            le++;
        if (head.charCodeAt(i) === 0 && head.charCodeAt(i + 1) !== 0)
            be++;
    }
    if (le === n / 2)
        return 'le';
    if (be === n / 2)
        return 'be';
    return null;
}
/** The items whose key is seen first, in order. */
function uniqueBy(items, key) {
    const seen = new Set();
    return items.filter((t) => {
        const k = key(t);
        if (seen.has(k))
            return false;
        seen.add(k);
        return true;
    });
}
function dedupe(a) {
    a.keyIds = uniqueBy(a.keyIds, (k) => `${k.keyId}:${k.line}`);
    a.secrets = uniqueBy(a.secrets, (s) => `${s.value}:${s.line}`);
    a.tokens = uniqueBy(a.tokens, (t) => t.value);
}
/** Full analysis of a whole text in memory. */
function analyseText(text) {
    const a = new detect_LineAnalyzer();
    a.push(text);
    return a.end();
}

;// CONCATENATED MODULE: ./src/scan/passes.ts


/** Bytes carried over a piece boundary: enough for a key id or a secret label split across two pieces. */
const CARRY = Math.max(KEY_ID_LENGTH, AWS_SECRET_LABEL_LENGTH) - 1;
/** A key id, or a label a lone secret may stand under (detect.ts mayHoldSecretLabel). */
function mayMatter(text) {
    return mayHoldKeyId(text) || mayHoldSecretLabel(text);
}
/**
 * Reads objects once and keeps only the ids of those that may hold a key id. This is the hot path of a
 * full-history scan: one latin1 decode and one regex per piece, nothing kept but a short carry-over so a
 * key id split across two pieces is still seen.
 */
class PrefilterSink {
    onPiece;
    hits = new Map();
    objects = 0;
    commits = 0;
    bytes = 0;
    trees = 0;
    oid = '';
    type = 'blob';
    skip = false;
    hit = false;
    carry = '';
    constructor(onPiece) {
        this.onPiece = onPiece;
    }
    begin(oid, type, size) {
        this.oid = oid;
        this.type = type;
        this.skip = type === 'tree';
        if (this.skip)
            this.trees++;
        this.hit = false;
        this.carry = '';
        if (!this.skip) {
            this.objects++;
            this.bytes += size;
            if (type === 'commit')
                this.commits++;
        }
    }
    data(piece) {
        if (this.skip)
            return;
        this.onPiece?.(piece.length);
        if (this.hit)
            return;
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
    end() {
        if (this.hit)
            this.hits.set(this.oid, this.type);
    }
}
/**
 * First pass over `oids`, split into `jobs` contiguous shares read by parallel `git cat-file` processes
 * (contiguous so each process keeps pack locality and its delta cache warm).
 */
async function prefilter(git, oids, jobs, onProgress, weights) {
    const shares = splitShares(oids, Math.max(1, jobs), weights);
    const sinks = shares.map(() => new PrefilterSink(onProgress));
    const missing = (await Promise.all(shares.map((s, i) => git.readObjects(s, sinks[i])))).flat();
    const result = { hits: new Map(), missing, objects: 0, commits: 0, bytes: 0, trees: 0 };
    for (const s of sinks) {
        for (const [k, v] of s.hits)
            result.hits.set(k, v);
        result.objects += s.objects;
        result.commits += s.commits;
        result.bytes += s.bytes;
        result.trees += s.trees;
    }
    return result;
}
function splitShares(oids, jobs, weights) {
    if (jobs === 1 || oids.length < 64)
        return [oids.slice()];
    const w = weights ?? oids.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    const shares = [];
    let start = 0;
    let acc = 0;
    for (let j = 1; j <= jobs; j++) {
        const target = (total * j) / jobs;
        let end = start;
        while (end < oids.length && (acc + w[end] <= target || j === jobs))
            acc += w[end++];
        if (end === start && end < oids.length)
            acc += w[end++];
        shares.push(oids.slice(start, end));
        start = end;
    }
    return shares.filter((s) => s.length > 0);
}
/**
 * The headers of a commit or annotated tag object, in order, and its message: `name value` lines up to the
 * first empty line (git's Documentation/gitformat-signature.txt). Lines that start with a space continue
 * the header before them (a signature, a merged tag) and are left out: nothing here reads them. The one
 * parser of object headers: the pack reader's check of a commit's tree and parents uses it too.
 */
function objectHeaders(text) {
    const sep = text.indexOf('\n\n');
    const head = sep < 0 ? text : text.slice(0, sep);
    const headers = [];
    for (const line of head.split('\n')) {
        if (line.startsWith(' '))
            continue;
        const sp = line.indexOf(' ');
        headers.push(sp < 0 ? [line, ''] : [line.slice(0, sp), line.slice(sp + 1)]);
    }
    return { headers, message: sep < 0 ? '' : text.slice(sep + 2) };
}
function parseCommitObject(text) {
    return parseSigned(objectHeaders(text), 'author');
}
/** An annotated tag's tagger, date and message, with the name its own header gives. */
function parseTagObject(text) {
    const parsed = objectHeaders(text);
    const name = parsed.headers.find(([n, v]) => n === 'tag' && v !== '')?.[1] ?? '';
    return { ...parseSigned(parsed, 'tagger'), name };
}
const SIGNATURE = /^(.*) (\d+) ([+-]\d{4})$/;
function parseSigned({ headers, message }, who) {
    let m = null;
    for (const [name, value] of headers)
        if (name === who && (m = SIGNATURE.exec(value)))
            break;
    let author = '';
    let date = '';
    if (m) {
        author = m[1];
        const offset = m[3];
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
function analyseFlagged(content, markers, prefilterMatched = true) {
    if (prefilterMatched) {
        const keyIds = passes_analyseText(content, true, markers);
        if (keyIds.keyIds.length > 0 || !mayHoldLabelledSecret(content.toString('latin1')))
            return keyIds;
        return passes_analyseText(content, false, markers);
    }
    const text = content.toString('latin1');
    if (mayHoldLabelledSecret(text)) {
        // Key ids found, the file's report needs nothing else: as the analysis for key ids alone gives.
        const full = passes_analyseText(content, false, markers);
        return full.keyIds.length > 0 ? { keyIds: full.keyIds, secrets: [], tokens: [] } : full;
    }
    return mayHoldDecodedKeyId(text) ? passes_analyseText(content, true, markers) : detect_EMPTY_ANALYSIS;
}
function passes_analyseText(content, keyIdsOnly, markers) {
    const a = new detect_LineAnalyzer(keyIdsOnly, markers);
    for (let at = 0; at < content.length; at += ANALYSIS_PIECE)
        a.push(content.toString('latin1', at, Math.min(content.length, at + ANALYSIS_PIECE)));
    return a.end();
}
/** Analysis of each object in `oids`: blobs as text, commits and annotated tags by their message. */
async function analyseObjects(git, oids, opts = {}) {
    const analyses = new Map();
    const commits = new Map();
    const tags = new Map();
    let oid = '';
    let type = 'blob';
    let analyzer = null;
    let commitBuf = [];
    let size = 0;
    const sink = {
        begin(o, t, n) {
            oid = o;
            type = t;
            size = n;
            analyzer = t === 'blob' ? new LineAnalyzer(opts.keyIdsOnly, opts.markers) : null;
            commitBuf = [];
        },
        data(piece) {
            if (analyzer)
                analyzer.push(piece.toString('latin1'));
            else if (type === 'commit' || type === 'tag')
                commitBuf.push(Buffer.from(piece));
        },
        end() {
            if (analyzer)
                analyses.set(oid, analyzer.end());
            else if (type === 'commit') {
                const parsed = parseCommitObject(Buffer.concat(commitBuf).toString('utf8'));
                commits.set(oid, parsed);
                const a = new LineAnalyzer(false, opts.markers);
                a.push(parsed.message);
                analyses.set(oid, a.end());
            }
            else if (type === 'tag') {
                const parsed = parseTagObject(Buffer.concat(commitBuf).toString('utf8'));
                tags.set(oid, parsed);
                const a = new LineAnalyzer();
                a.push(parsed.message);
                analyses.set(oid, a.end());
            }
            else
                analyses.set(oid, EMPTY_ANALYSIS);
            opts.onObject?.(size);
        },
    };
    const unique = [...new Set(oids)];
    const missing = await git.readObjects(unique, sink);
    return { analyses, commits, tags, missing };
}

;// CONCATENATED MODULE: ./src/scan/spans.ts

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
class Windows {
    size;
    search;
    from = -1;
    to = -1;
    constructor(size, search) {
        this.size = size;
        this.search = search;
    }
    want(s, e) {
        const from = Math.max(0, s);
        const to = Math.min(this.size, e);
        if (this.from >= 0 && from <= this.to + MERGE_GAP) {
            if (to > this.to)
                this.to = to;
            return;
        }
        if (this.from >= 0)
            this.search(this.from, this.to);
        this.from = from;
        this.to = to;
    }
    end() {
        if (this.from >= 0)
            this.search(this.from, this.to);
        this.from = -1;
    }
}
/**
 * Where the prefilter matches in `buf[from, to)`, overlapping ones included, appended to `out` as
 * offsets from `origin`. Every match, not only the leftmost of a run: a delta may copy the second of
 * two overlapping matches without the first.
 */
function matchStarts(buf, from, to, out, origin = 0) {
    const text = buf.toString('latin1', from, to);
    const re = rules_KEY_ID_PREFILTER;
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
function labelStarts(buf, from, to, out, origin = 0) {
    // Most windows name no secret: looked for in the bytes, where no string needs to be made for them.
    const bytes = from === 0 && to === buf.length ? buf : buf.subarray(from, to);
    if (bytes.indexOf(ECRET_LOWER) < 0 && bytes.indexOf(ECRET_UPPER) < 0)
        return;
    const text = buf.toString('latin1', from, to);
    visitSecretLabels(text, 0, text.length, (at, length) => {
        out.push(from - origin + at + length - AWS_SECRET_LABEL_LENGTH);
    });
}
/** Index of the first of the sorted `xs` at or after `v`. */
function firstAtOrAfter(xs, v) {
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (xs[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
function isKeyChar(b) {
    return (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39);
}
function isLabelChar(b) {
    return isKeyChar(b) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2d || b === 0x2e || b === 0x20;
}
const KEY_SPANS = { length: KEY_ID_LENGTH, isChar: isKeyChar, slack: 0 };
const LABEL_SPANS = {
    length: AWS_SECRET_LABEL_LENGTH,
    isChar: isLabelChar,
    slack: AWS_SECRET_LABEL_LENGTH,
};
/**
 * The start of every prefilter match in a delta's target, given those of its base (`baseSpans`): a match
 * inside one copied range is carried over from the base; any other touches inserted bytes, or the seam
 * where two copies meet, and is found by searching around those alone. `mem[baseAt…]` is the base;
 * `search` reads the target.
 */
function deltaSpans(ops, targetSize, mem, baseAt, baseSpans, search, rule = KEY_SPANS) {
    return deltaSpansOf(ops, targetSize, mem, baseAt, [rule], [baseSpans], (from, to, outs) => search(from, to, outs[0]))[0];
}
/**
 * deltaSpans for spans of several kinds at once (`rules[k]`, with `baseSpans[k]` in the base): each
 * window is searched once for all of them, so a delta whose target is not built has each window read
 * once. A window is what any kind needs, at the longest reach: a kind searched in more bytes than its
 * own windows finds there only matches the target holds, which its own windows or copies give too.
 */
function deltaSpansOf(ops, targetSize, mem, baseAt, rules, baseSpans, search) {
    const reach = Math.max(...rules.map((r) => r.length)) - 1;
    const outs = rules.map(() => []);
    const windows = new Windows(targetSize, (from, to) => search(from, to, outs));
    // A match across the seam of two copies holds both bytes at the seam; most seams fall elsewhere.
    const seamMatters = (a, b) => {
        for (const rule of rules)
            if (rule.isChar(a) && rule.isChar(b))
                return true;
        return false;
    };
    let prevCopy = false;
    const d = ops.data;
    for (let k = 0; k < ops.length; k += 3) {
        const t = d[k];
        const n = d[k + 1];
        const src = d[k + 2];
        if (src < 0) {
            windows.want(t - reach, t + n + reach);
            prevCopy = false;
            continue;
        }
        // The base's matches are sorted: find the first inside this copy, so a delta of many copies over a
        // base of many matches costs a search per copy, not a walk of every match.
        // A label span may start before the copy (its start is virtual): carrying it flags more, never less.
        for (let r = 0; r < rules.length; r++) {
            const rule = rules[r];
            const base = baseSpans[r];
            const spans = outs[r];
            const end = src + n - rule.length;
            for (let j = firstAtOrAfter(base, src - rule.slack); j < base.length && base[j] <= end; j++)
                spans.push(t + base[j] - src);
        }
        if (prevCopy && seamMatters(mem[baseAt + d[k - 1] + d[k - 2] - 1], mem[baseAt + src]))
            windows.want(t - reach, t + reach);
        prevCopy = true;
    }
    windows.end();
    // A match found by a search may also lie inside a copy: keep each start once.
    for (const spans of outs) {
        if (spans.length < 2)
            continue;
        spans.sort((x, y) => x - y);
        let w = 1;
        for (let i = 1; i < spans.length; i++)
            if (spans[i] !== spans[w - 1])
                spans[w++] = spans[i];
        spans.length = w;
    }
    return outs;
}

;// CONCATENATED MODULE: external "node:url"
const external_node_url_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");
;// CONCATENATED MODULE: ./src/scan/tree-changes.ts



/**
 * Attribution read from a history's packs: which commits put given objects (the file versions with keys,
 * the missing objects to locate) at which paths, the changes `git log --raw` would list for them, without
 * git diffing every commit's whole tree (aws-cli: git's walk, about 2 s on two git processes, becomes a
 * listing of the commits, 0.25 s of git, and 1.9 s on one thread here).
 *
 * A tree names an entry as `<mode> <name>\0<20-byte id>`, so "a tree holds X" is "its bytes hold a NUL
 * followed by X's id". That is searched the way the pack pass searches for key ids: each tree's delta
 * chain from its base outwards, only inserted bytes and the seams between copies read, matches inside a
 * copy carried over from the base. The trees holding the objects are found first, then the trees holding
 * those, up to the roots; only the trees found are read whole. A commit's changes are then its tree diffed
 * against its first parent's, as git's log does, through those trees alone: a subtree that holds none of
 * the objects cannot hold a change to one.
 */
/** An entry's id with the NUL before it: a match of this many bytes starts at that NUL. */
const ENTRY_ID = 21;
const ID_BYTES = 20;
const OID = /^[0-9a-f]{40}$/;
const KNOWN_KINDS = new Set([packs_KIND.commit, packs_KIND.tree, packs_KIND.blob, packs_KIND.tag]);
/** How far around inserted bytes and seams an entry may start or end (spans.ts deltaSpans' reach). */
const REACH = ENTRY_ID - 1;
/** Bytes held for the open part of one tree's delta chain; a chain that needs more is not answered. */
const HELD_BUDGET = 16 << 20;
/**
 * Stored bytes of trees read ahead at most (see PackFile.preload); past it, each is read on its own. The
 * memory is what bounds it: boto3's 2.3 MB of trees, scattered among its blobs, are read in a few hundred
 * system calls instead of one per tree (17,000), while aws-cli's 16.7 MB would add to what the reading
 * thread already holds, and are read one at a time.
 */
const PRELOAD_BUDGET = 8 << 20;
/** The reading yields to the event loop this often, so the thread's other work keeps moving. */
const YIELD_MS = 25;
/** Trees are searched and diffed up to this many levels deep; a deeper history is left to git's walk. */
const MAX_DEPTH = 2048;
const EMPTY_LIST = new Int32Array(0);
/** Thrown inside the reader when a chain cannot be held: the question is left unanswered. */
class Unanswerable extends Error {
}
/**
 * The first four bytes of an id, as the search keys entries by: ids are hashes, so a key names one id of
 * any history's trees but for the odd collision, and a collision only makes a tree read whole that holds
 * nothing wanted (the entries read are matched on their whole ids).
 */
function keyOf(buf, at) {
    return (buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3] | 0;
}
function keyOfHex(oid) {
    return Number.parseInt(oid.slice(0, 8), 16) | 0;
}
/** A growable list of 32-bit integers (typed arrays, so a million entries stay a few MB). */
class IntList {
    /** Filled pieces of LIST_PIECE numbers, and the one being filled: growing copies nothing. */
    full = [];
    piece = new Int32Array(LIST_PIECE);
    at = 0;
    get length() {
        return this.full.length * LIST_PIECE + this.at;
    }
    push(v) {
        if (this.at === LIST_PIECE) {
            this.full.push(this.piece);
            this.piece = new Int32Array(LIST_PIECE);
            this.at = 0;
        }
        this.piece[this.at++] = v;
    }
    /** The numbers in one array of their own size. */
    done() {
        const out = new Int32Array(this.length);
        this.full.forEach((p, k) => out.set(p, k * LIST_PIECE));
        out.set(this.piece.subarray(0, this.at), this.full.length * LIST_PIECE);
        this.full = [];
        return out;
    }
}
const LIST_PIECE = 1 << 16;
/** Modes as git's diff compares them (its canon_mode): a tree, a link, a submodule, or a file. */
const TREE = 0o040000;
const LINK = 0o120000;
const GITLINK = 0o160000;
function canonicalMode(mode) {
    const type = mode & 0o170000;
    if (type === TREE || type === LINK || type === GITLINK)
        return type;
    return 0o100000 | (mode & 0o100 ? 0o755 : 0o644);
}
/**
 * Gives `onCommit` each of `commits` (in their order) with its changes to the objects `find` looks for:
 * the paths where its tree holds one and its first parent's tree (none for a root commit) does not hold
 * it with the same mode, as `git log --raw --no-renames --diff-merges=first-parent` lists them. A
 * change's `srcOid` is the path's former object where that is one of the objects, else null. False,
 * having called `onCommit` for nothing, when the packs cannot answer for every tree: a tree whose chain
 * is based outside its pack, one too large to hold, one that does not decode, or an object wanted that a
 * tree names as a subtree (a missing tree: git's walk says what it cannot read).
 */
async function changesFromPacks(
/** Reads the trees and diffs the pairs it is given (diffFromPacks, here or on another thread). */
find, commits, onCommit) {
    // git lists the commits while the trees are read.
    const listed = commits();
    const pairs = listed.then((list) => {
        // A parent outside the list is beyond a shallow clone's boundary, where git's log diffs against nothing.
        const treeOf = new Map(list.map((c) => [c.sha, c.tree]));
        return list.map((c) => [
            c.tree,
            c.parents.length > 0 ? (treeOf.get(c.parents[0]) ?? null) : null,
        ]);
    });
    pairs.catch(() => { }); // awaited below; not left unhandled if the trees cannot answer
    const found = await find(pairs);
    if (!found)
        return false;
    const list = await listed;
    const at = new Map(found);
    for (const [k, c] of list.entries())
        onCommit({ sha: c.sha, parents: c.parents, author: c.author, date: c.date, changes: at.get(k) ?? [] });
    return true;
}
/** The trees of `packs` holding `objects`, then the changes to them of each pair: null where they cannot tell. */
async function tree_changes_diffFromPacks(packs, objects, pairs) {
    const trees = await treesHolding(packs, objects);
    if (!trees)
        return null;
    const list = await pairs;
    try {
        return diffPairs(trees, objects, list);
    }
    catch (e) {
        // Directories nested deeper than this reader follows (a hostile history): git's walk says what it can.
        if (e instanceof RangeError || e instanceof Unanswerable)
            return null;
        throw e;
    }
}
/** Each pair's changes to `objects`, through the trees that hold them. */
function diffPairs(trees, objects, pairs) {
    const diff = (tree, before, prefix, out, depth) => {
        if (depth > MAX_DEPTH)
            throw new Unanswerable();
        const entries = trees.get(tree);
        if (!entries)
            return;
        const old = before === null ? undefined : trees.get(before);
        for (const e of entries) {
            const was = old?.find((o) => o.name === e.name);
            if (e.mode === TREE) {
                if (was?.mode === TREE && was.oid === e.oid)
                    continue;
                diff(e.oid, was?.mode === TREE ? was.oid : null, `${prefix}${e.name}/`, out, depth + 1);
            }
            else if (e.mode !== GITLINK && objects.has(e.oid)) {
                if (was && was.oid === e.oid && was.mode === e.mode)
                    continue;
                const srcOid = was && was.mode !== TREE && was.mode !== GITLINK ? was.oid : null;
                // git prints a path's bytes; read as UTF-8, as its output is.
                out.push({ path: Buffer.from(prefix + e.name, 'latin1').toString('utf8'), oid: e.oid, srcOid });
            }
        }
    };
    const out = [];
    for (const [k, [tree, before]] of pairs.entries()) {
        // Trees that did not change hold no change.
        if (tree === before)
            continue;
        const changes = [];
        diff(tree, before, '', changes, 0);
        if (changes.length > 0)
            out.push([k, changes]);
    }
    return out;
}
/**
 * Stored bytes of trees past which a history's trees are not read: what reading them holds grows with
 * them (aws-cli's 16.7 MB of trees: about 120 MB on the thread reading them; git's 77 MB: 180 MB), and
 * past this the scan's own memory bound would not hold. git walks such a history instead.
 */
const TREE_READ_LIMIT = (/* unused pure expression or super */ null && (24 << 20));
let treeReadLimit = (/* unused pure expression or super */ null && (TREE_READ_LIMIT));
/** Sets the limit (tests read tiny histories' trees past one); returns the previous value. */
function setTreeReadLimit(bytes) {
    const before = treeReadLimit;
    treeReadLimit = bytes;
    return before;
}
/** Whether the trees of `packs` are few enough to be read (TREE_READ_LIMIT), and the packs readable. */
function treesWithinLimit(packs) {
    let bytes = 0;
    try {
        for (const pack of packs) {
            const { rootKind } = planOf(pack);
            for (let i = 0; i < pack.count; i++)
                if (rootKind[i] === KIND.tree)
                    bytes += pack.ends[i] - pack.starts[i];
        }
    }
    catch (e) {
        // A pack this reader cannot plan (a cycle of deltas) is git's to read.
        if (e instanceof PackFormatError)
            return false;
        throw e;
    }
    return bytes <= treeReadLimit;
}
/**
 * The trees of `packs` that hold one of `objects`, directly or below, each with its entries that name one
 * of them or another such tree; null when the packs cannot answer for every tree (see changesFromPacks).
 */
async function treesHolding(packs, objects) {
    try {
        return await holdingIn(packs, objects);
    }
    catch (e) {
        if (e instanceof Unanswerable || e instanceof ObjectReadError || e instanceof packs_DeltaError)
            return null;
        if (e instanceof packs_PackFormatError)
            return null;
        throw e;
    }
    finally {
        // Trees lie scattered among the blobs: their stored bytes were read ahead (indexTrees), for both
        // reads of them.
        for (const pack of packs)
            pack.forget();
    }
}
async function holdingIn(packs, objects) {
    const indexes = [];
    for (const pack of packs) {
        const index = await indexTrees(pack);
        if (!index)
            return null;
        indexes.push(index);
    }
    // Trees holding the objects, then trees holding those, until a level finds none; with where in each
    // tree an entry may name one (the NUL before its id), at every level it was found at.
    let wanted = new Set([...objects].filter((o) => OID.test(o)).map(keyOfHex));
    const found = new Map(indexes.map((x) => [x, new Map()]));
    const holding = new Set();
    for (let depth = 0; wanted.size > 0; depth++) {
        if (depth > MAX_DEPTH)
            throw new Unanswerable();
        const level = new Set();
        for (const index of indexes) {
            const mine = found.get(index);
            for (const [i, at] of matchingTrees(index, wanted)) {
                const known = mine.get(i);
                mine.set(i, known ? [...known, ...at] : at);
                const oid = index.pack.oid(i);
                if (holding.has(oid))
                    continue;
                holding.add(oid);
                level.add(keyOfHex(oid));
            }
        }
        wanted = level;
    }
    // What the search needed is not needed to read the trees found.
    for (const index of indexes)
        index.candPos = index.candKey = index.copies = EMPTY_LIST;
    // Each tree found read whole, for the entries at the places found (matched on their whole ids).
    const trees = new Map();
    for (const index of indexes) {
        const mine = found.get(index);
        if (mine.size === 0)
            continue;
        await readTrees(index, new Set(mine.keys()), (i, tree) => {
            const entries = [];
            entriesAt(tree, mine.get(i), (mode, nameFrom, nameTo, idAt) => {
                const oid = tree.toString('hex', idAt, idAt + ID_BYTES);
                if (mode === TREE ? !holding.has(oid) : !objects.has(oid)) {
                    // A tree the objects name (one missing from the store): git's walk is to say it cannot read it.
                    if (mode === TREE && objects.has(oid))
                        throw new Unanswerable();
                    return;
                }
                entries.push({ mode, name: tree.toString('latin1', nameFrom, nameTo), oid });
            });
            trees.set(index.pack.oid(i), entries);
        });
    }
    return trees;
}
/**
 * Calls `onEntry` for the entries of `tree` (git's tree format) whose NUL is at one of `places`, with its
 * mode as git's diff compares it, where its name is and where its id starts. A place inside an id (a
 * match that was not an entry) names none. The entries are stepped through only up to the last place.
 */
function entriesAt(tree, places, onEntry) {
    const sorted = places.length > 1 ? [...new Set(places)].sort((x, y) => x - y) : places;
    let j = 0;
    for (let p = 0; p < tree.length && j < sorted.length;) {
        const nul = tree.indexOf(0, p);
        if (nul < 0 || nul + 1 + ID_BYTES > tree.length)
            throw new Unanswerable();
        while (j < sorted.length && sorted[j] < nul)
            j++;
        if (sorted[j] === nul) {
            const space = tree.indexOf(0x20, p);
            if (space < 0 || space > nul)
                throw new Unanswerable();
            let mode = 0;
            for (let k = p; k < space; k++)
                mode = mode * 8 + (tree[k] - 0x30);
            onEntry(canonicalMode(mode), space + 1, nul, nul + 1);
            j++;
        }
        p = nul + 1 + ID_BYTES;
    }
}
/** The trees of `index` whose bytes hold a NUL followed by an id keyed in `wanted`, with where. */
function matchingTrees(index, wanted) {
    const { order, base, candStart, candPos, candKey, copyStart, copies } = index;
    // Where each object holds a match, for the objects that hold one; a delta carries its base's.
    const matches = new Map();
    for (let k = 0; k < order.length; k++) {
        const i = order[k];
        let here = null;
        for (let c = candStart[k]; c < candStart[k + 1]; c++)
            if (wanted.has(candKey[c]))
                (here ??= []).push(candPos[c]);
        const b = base[i];
        const from = b >= 0 ? matches.get(b) : undefined;
        if (from) {
            for (let c = copyStart[k]; c < copyStart[k + 1]; c += 3) {
                const t = copies[c];
                const n = copies[c + 1];
                const src = copies[c + 2];
                for (const q of from)
                    if (q >= src && q + ENTRY_ID <= src + n)
                        (here ??= []).push(t + q - src);
            }
        }
        if (here) {
            here.sort((x, y) => x - y);
            matches.set(i, here);
        }
    }
    return matches;
}
/**
 * Reads every tree chain of `pack` once and notes, for each tree, the entry ids in the bytes that are
 * its own (a base's whole content; a delta's inserts and the seams between its copies) and its copies.
 * Null when a tree's chain starts outside the pack (its kind, and so whether it is a tree, is git's).
 */
async function indexTrees(pack) {
    const plan = pack_plan_planOf(pack);
    // A chain based outside the pack is of a kind only git can tell: it may be a tree.
    for (let i = 0; i < pack.count; i++)
        if (!KNOWN_KINDS.has(plan.rootKind[i]))
            return null;
    const order = new IntList();
    const base = new Int32Array(pack.count).fill(-1);
    const candStart = new IntList();
    const candPos = new IntList();
    const candKey = new IntList();
    const copyStart = new IntList();
    const copies = new IntList();
    // Entry ids in `buf[from, to)`, each at the NUL before it, as offsets from `origin`.
    const search = (buf, from, to, origin) => {
        for (let p = buf.indexOf(0, from); p >= 0 && p + ENTRY_ID <= to; p = buf.indexOf(0, p + 1)) {
            candPos.push(p - origin);
            candKey.push(keyOf(buf, p + 1));
        }
    };
    const trees = [];
    for (let i = 0; i < pack.count; i++)
        if (plan.rootKind[i] === packs_KIND.tree)
            trees.push(i);
    pack.preload(trees, PRELOAD_BUDGET);
    await walkTrees(pack, plan, trees, {
        root(i, mem, at, size) {
            order.push(i);
            candStart.push(candPos.length);
            copyStart.push(copies.length);
            search(mem, at, at + size, at);
        },
        delta(i, b, ops, size, mem, _baseAt, at) {
            order.push(i);
            base[i] = b;
            candStart.push(candPos.length);
            copyStart.push(copies.length);
            // An entry inside one copy is its base's; any other touches inserted bytes or the seam of two
            // copies, and is searched for in the bytes around those (spans.ts deltaSpans, for entries: every
            // seam matters, as an entry is any bytes at all).
            const windows = new Windows(size, (from, to) => search(mem, at + from, at + to, at));
            const d = ops.data;
            for (let k = 0; k < ops.length; k += 3) {
                const t = d[k];
                const n = d[k + 1];
                if (d[k + 2] < 0)
                    windows.want(t - REACH, t + n + REACH);
                else {
                    copies.push(t);
                    copies.push(n);
                    copies.push(d[k + 2]);
                    if (k > 0 && d[k - 1] >= 0)
                        windows.want(t - REACH, t + REACH);
                }
            }
            windows.end();
        },
    });
    candStart.push(candPos.length);
    copyStart.push(copies.length);
    return {
        pack,
        plan,
        order: order.done(),
        base,
        candStart: candStart.done(),
        candPos: candPos.done(),
        candKey: candKey.done(),
        copyStart: copyStart.done(),
        copies: copies.done(),
    };
}
/** Calls `onTree` with the whole content of each tree of `index` in `which` (a view, valid in the call). */
async function readTrees(index, which, onTree) {
    // Only the chains holding a tree wanted are read: in `order`, a chain is its root and what follows
    // until the next root.
    const chains = [];
    let chain = [];
    let wanted = false;
    for (const i of index.order) {
        if (index.base[i] === -1) {
            if (wanted)
                chains.push(chain);
            chain = [];
            wanted = false;
        }
        chain.push(i);
        if (which.has(i))
            wanted = true;
    }
    if (wanted)
        chains.push(chain);
    await walkTrees(index.pack, index.plan, chains.flat(), {
        root(i, mem, at, size) {
            if (which.has(i))
                onTree(i, mem.subarray(at, at + size));
        },
        delta(i, _b, _ops, size, mem, _baseAt, at) {
            if (which.has(i))
                onTree(i, mem.subarray(at, at + size));
        },
    });
}
/** Lets the event loop run (git's output, progress) every so often during a long computation. */
function pauser() {
    let last = performance.now();
    return async () => {
        if (performance.now() - last < YIELD_MS)
            return;
        await new Promise((r) => setImmediate(r));
        last = performance.now();
    };
}
/**
 * Walks the chains of `trees` (objects of `pack`, whole chains, roots first in pack order), each base
 * before its deltas, each built above its base.
 */
async function walkTrees(pack, plan, trees, visit) {
    const { childStart, children } = plan;
    // The open part of a chain, grown as deep chains of large trees need (offsets stay valid in a copy).
    let mem = Buffer.allocUnsafeSlow(1 << 20);
    const ops = new DeltaOps();
    let deltaBuf = Buffer.allocUnsafeSlow(1 << 16);
    const reserve = (at, size) => {
        if (at + size > HELD_BUDGET)
            throw new Unanswerable();
        if (at + size > mem.length) {
            const grown = Buffer.allocUnsafeSlow(Math.min(HELD_BUDGET, Math.max(at + size, mem.length * 2)));
            mem.copy(grown, 0, 0, at);
            mem = grown;
        }
        return at;
    };
    const wanted = new Set(trees);
    const pause = pauser();
    for (const r of trees) {
        if (pack.kinds[r] !== packs_KIND.tree)
            continue;
        reserve(0, pack.sizes[r] + 1);
        const content = pack.read(r, mem, 0);
        visit.root(r, mem, 0, content.length);
        const stack = [{ i: r, at: 0, size: content.length, next: childStart[r] }];
        while (stack.length > 0) {
            const f = stack[stack.length - 1];
            if (f.next >= childStart[f.i + 1]) {
                stack.pop();
                continue;
            }
            const c = children[f.next++];
            if (!wanted.has(c))
                continue;
            if (pack.sizes[c] + 1 > deltaBuf.length)
                deltaBuf = Buffer.allocUnsafeSlow(Math.max(pack.sizes[c] + 1, deltaBuf.length * 2));
            const delta = pack.read(c, deltaBuf);
            const size = parseDelta(delta, f.size, ops);
            // Trees are small: each is built whole above its base, so its windows are read where it lies.
            const out = reserve(f.at + f.size, size);
            buildTarget(mem, f.at, out, delta, ops);
            visit.delta(c, f.i, ops, size, mem, f.at, out);
            if (childStart[c] !== childStart[c + 1])
                stack.push({ i: c, at: out, size, next: childStart[c] });
        }
        await pause();
    }
}

;// CONCATENATED MODULE: ./src/scan/threads.ts







/**
 * The threads a pack is read on: how many a pack is worth, and the messages between the thread that
 * plans the pass and those that read shares of its chains, or attribution's trees (src/pack-worker.ts).
 *
 * A thread costs its start-up (a heap, the reader's code loaded again: tens of milliseconds) and earns it
 * only on enough bytes. Small packs are read on the calling thread, one after another; `jobs` is the most
 * a large one gets.
 */
/** The old generation of a pack-reading thread, in MB (see runShareOnWorker). */
const WORKER_OLD_SPACE_MB = 96;
/** Stored bytes of chains each pack-reading thread should have, at least, to be worth starting. */
const THREAD_MIN_WORK = (/* unused pure expression or super */ null && (16 << 20));
let minWork = (/* unused pure expression or super */ null && (THREAD_MIN_WORK));
/** Threads for a pack whose chains weigh `work` stored bytes, with at most `jobs` allowed. */
function threads_threadsFor(work, jobs) {
    return Math.max(1, Math.min(jobs, Math.floor(work / minWork)));
}
/** Sets the work a thread needs (tests read tiny packs on threads with 1); returns the previous value. */
function setThreadMinWork(bytes) {
    const before = minWork;
    minWork = bytes;
    return before;
}
/**
 * The script pack-reading threads run: `pack-worker.js` beside `entry` (a path or a file URL; the action
 * and the CLI are bundles in dist/ beside it), or null when it is not there (a test runner, src/), and
 * every share is then read on the calling thread.
 */
function packWorkerBeside(entry) {
    if (!entry)
        return null;
    let real;
    try {
        // `npx keyleak` runs the CLI through a link in node_modules/.bin.
        real = realpathSync(entry.startsWith('file:') ? fileURLToPath(entry) : entry);
    }
    catch {
        return null;
    }
    const script = join(dirname(real), 'pack-worker.js');
    return existsSync(script) ? script : null;
}
function isPackWorkerData(d) {
    return typeof d === 'object' && d !== null && d.keyleakPackWorker === true;
}
/** The reading side of a thread: runs `scan` and posts its progress (at most every 100 ms) and result. */
async function serveShare(scan) {
    const port = external_node_worker_threads_namespaceObject.parentPort;
    try {
        let objects = 0;
        let bytes = 0;
        let last = performance.now();
        const result = await scan((n, b) => {
            objects += n;
            bytes += b;
            const now = performance.now();
            if (now - last > 100) {
                port.postMessage({ type: 'progress', objects, bytes });
                objects = 0;
                bytes = 0;
                last = now;
            }
        });
        if (objects > 0)
            port.postMessage({ type: 'progress', objects, bytes });
        port.postMessage({ type: 'done', result });
    }
    catch (e) {
        const err = e;
        port.postMessage({ type: 'error', name: err.name, message: err.message });
    }
}
/** Errors a thread reports by name, raised again here as the same kind. */
const RAISED = { DeltaError: packs_DeltaError, PackFormatError: packs_PackFormatError, ObjectReadError: ObjectReadError };
/** Reads a share of a pack's chains on a new thread started from `script`. */
function threads_runShareOnWorker(script, data, onObjects, cancel) {
    return runOnWorker(script, { keyleakPackWorker: true, job: 'share', ...data }, onObjects, cancel);
}
/**
 * The changes to `objects` of each pair of trees (tree-changes.ts diffFromPacks), read on a thread of
 * their own when `script` is there: reading the trees makes much short-lived garbage, which a thread's
 * small nursery frees as it goes, where this thread's would grow by tens of MB for the rest of the scan
 * (aws-cli's history: the scan's peak 20-30 MB higher). Read here when no thread can start or it dies.
 */
async function changesOnThread(script, packs, objects, pairs) {
    if (script) {
        try {
            return await changesOnWorker(script, packs, objects, pairs);
        }
        catch (e) {
            // The pairs could not be listed: nothing to read here either.
            if (await pairs.then(() => false, () => true))
                throw e;
        }
    }
    return diffFromPacks(packs, objects, pairs);
}
/** changesOnThread's thread: rejects when it cannot start or dies. */
function changesOnWorker(script, packs, objects, pairs) {
    return runOnWorker(script, {
        keyleakPackWorker: true,
        job: 'changes',
        shares: packs.map((p) => p.shared()),
        plans: packs.map((p) => planOf(p)),
        objects: [...objects],
    }, () => { }, new AbortController().signal, pairs);
}
function runOnWorker(script, data, onObjects, cancel, 
/** Posted to the thread once settled; its failure ends the thread and is the result. */
then) {
    return new Promise((resolve, reject) => {
        // A small nursery: the inflated deltas a thread drops are freed sooner, and its memory stays small.
        // A bounded old generation makes V8 grow the heap in small steps, collecting before it doubles (a
        // thread keeps a few MB of results; on aws-cli's history the process peaks 30-40 MB lower). A share
        // that outgrows it ends the thread like any other failure: this thread reads it instead.
        const worker = new Worker(script, {
            workerData: data,
            resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB },
        });
        // Another share failed: this one's result would be thrown away.
        cancel.addEventListener('abort', () => void worker.terminate(), { once: true });
        let settled = false;
        then?.then((value) => worker.postMessage(value), (e) => {
            settled = true;
            void worker.terminate();
            reject(e);
        });
        worker.on('message', (m) => {
            if (m.type === 'progress')
                onObjects(m.objects, m.bytes);
            else if (m.type === 'done') {
                settled = true;
                resolve(m.result);
            }
            else {
                settled = true;
                const Err = RAISED[m.name] ?? Error;
                reject(new Err(m.message));
            }
        });
        worker.on('error', (e) => {
            settled = true;
            reject(e);
        });
        worker.on('exit', (code) => {
            if (!settled)
                reject(new Error(`pack reader thread exited with code ${code} before finishing`));
        });
    });
}

;// CONCATENATED MODULE: ./src/scan/pack-pass.ts






/** Bound on the bytes held for the open part of a delta chain; what does not fit goes to git. */
const pack_pass_HELD_BUDGET = 32 << 20;
/**
 * Objects are searched this many bytes at a time. A search reads its bytes as one string, and a string
 * of more than about a megabyte is copied outside the heap, where every thread leaves its own high-water
 * mark behind; pieces this size stay in the young generation and are freed within moments.
 */
const SEARCH_PIECE = 64 << 10;
/** The pass yields to the event loop this often, so progress and child processes keep moving. */
const pack_pass_YIELD_MS = 25;
/**
 * `find` over `buf[from, to)` piece by piece, with the same result as over the whole: each piece is
 * searched with the longest match (KEY_ID_LENGTH, which no label exceeds) more bytes after it, and the
 * matches starting in those bytes, found again by the next piece, are dropped. The patterns look at no
 * byte outside their match, and matches come in order of their start, so those are the last ones found.
 */
function inPieces(find, buf, from, to, out, origin = 0) {
    for (let at = from; at < to; at += SEARCH_PIECE) {
        const own = Math.min(to, at + SEARCH_PIECE);
        const end = Math.min(to, own + KEY_ID_LENGTH - 1);
        find(buf, at, end, out, origin);
        if (end > own) {
            const next = [];
            find(buf, own, end, next, origin);
            out.length -= next.length;
        }
    }
}
/** The spans a leaf's windows are searched for: key ids, then labels. */
const LEAF_RULES = [KEY_SPANS, LABEL_SPANS];
const pack_pass_matchStarts = (buf, from, to, out, origin) => inPieces(matchStarts, buf, from, to, out, origin);
const pack_pass_labelStarts = (buf, from, to, out, origin) => inPieces(labelStarts, buf, from, to, out, origin);
/**
 * Memory for the open part of a delta chain, one buffer so that building a target from its base is a
 * series of memmoves. Objects are stacked: a target is placed above its base and freed before it.
 */
class Arena {
    // Reserved whole and unzeroed: its pages become resident only as chains reach them, so what it costs
    // is the deepest point a chain reached, never a series of grown copies left for the collector.
    mem = Buffer.allocUnsafeSlow(pack_pass_HELD_BUDGET);
    top = 0;
    /** Where `size` bytes were reserved, or -1 past the budget. */
    reserve(size) {
        if (this.top + size > this.mem.length)
            return -1;
        const at = this.top;
        this.top += size;
        return at;
    }
    release(at) {
        this.top = at;
    }
}
function emptyShare() {
    return { hits: [], analyses: [], absent: [], objects: 0, commits: 0, bytes: 0, deferred: [], errors: [] };
}
/**
 * Runs the first pass over `packs`, a pack's chains shared between threads when it is worth them.
 * Throws PackFormatError or DeltaError on a pack it cannot read.
 */
async function packPass(packs, opts) {
    const { jobs, workerScript, markers, onProgress, toGit, onPlanned } = opts;
    const all = emptyShare();
    const planned = packs.map((pack) => {
        const plan = planOf(pack);
        return { pack, plan, ...chainRoots(pack) };
    });
    const early = planned.flatMap(({ pack, plan, early }) => early.flatMap((i) => subtree(pack, plan, i)));
    if (toGit)
        toGit(early);
    else
        all.deferred.push(...early);
    if (onProgress) {
        let count = 0;
        for (const { pack, plan } of planned)
            for (let i = 0; i < pack.count; i++)
                if (WANTED_ROOTS.has(plan.rootKind[i]))
                    count++;
        onProgress.plan(count - early.length);
    }
    // An object in two packs is counted in both; as a hit it is one key of the map.
    const onObjects = (n, b) => onProgress?.objects(n, b);
    const workOf = planned.map(({ weights }) => weights.reduce((a, w) => a + w, 0));
    const threadCounts = workOf.map((work) => (workerScript ? threadsFor(work, jobs) : 1));
    onPlanned?.(Math.max(1, ...threadCounts), workOf.reduce((a, w) => a + w, 0));
    for (const [p, { pack, plan, roots, weights }] of planned.entries()) {
        const threads = threadCounts[p];
        const shares = threads > 1 ? splitRoots(roots, weights, threads) : [roots];
        // A pack read on one thread is read here; shares of a larger one each on a worker thread, all at
        // once, this thread only gathering their results. Its heap, whose nursery node sizes for throughput
        // (tens of MB) and cannot be told otherwise once started, then holds results, not the garbage of
        // reading; a worker's nursery is kept small. A thread that cannot start or dies (not a pack it cannot
        // read) leaves its share to this thread.
        const cancel = new AbortController();
        const parts = await Promise.all(shares.map((share) => shares.length === 1
            ? scanShare(pack, plan, share, markers, onObjects)
            : runShareOnWorker(workerScript, { share: pack.shared(), plan, roots: share, markers }, onObjects, cancel.signal).catch((e) => {
                if (e instanceof PackFormatError || e instanceof DeltaError || cancel.signal.aborted)
                    throw e;
                return scanShare(pack, plan, share, markers);
            }))).catch((e) => {
            cancel.abort();
            throw e;
        });
        for (const part of parts) {
            for (const oid of part.deferred)
                all.deferred.push(oid);
            for (const oid of part.absent)
                all.absent.push(oid);
            for (const m of part.errors)
                all.errors.push(m);
            for (const h of part.hits)
                all.hits.push(h);
            for (const a of part.analyses)
                all.analyses.push(a);
            all.objects += part.objects;
            all.commits += part.commits;
            all.bytes += part.bytes;
        }
    }
    return { ...all, hits: new Map(all.hits), analyses: new Map(all.analyses) };
}
/**
 * Scans the chains that start at `roots` (chainRoots' choice: objects of this pack small enough to hold),
 * each object once; deltas found too large on the way are left to git.
 */
async function scanShare(pack, plan, roots, markers, onObjects) {
    const { rootKind, childStart, children } = plan;
    const result = emptyShare();
    // A commit's tree and parents, read from its header: whether the pack stands on its own.
    const checkCommit = (buf, from, to) => {
        const blank = buf.subarray(from, to).indexOf('\n\n');
        const { headers } = objectHeaders(buf.toString('latin1', from, blank < 0 ? to : from + blank));
        for (const [name, value] of headers) {
            if (name !== 'tree' && name !== 'parent')
                return;
            if (/^[0-9a-f]{40}$/.test(value) && !pack.has(value))
                result.absent.push(value);
        }
    };
    let lastYield = performance.now();
    const maybeYield = async () => {
        const now = performance.now();
        if (now - lastYield < pack_pass_YIELD_MS)
            return;
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
    };
    const arena = new Arena();
    const ops = new DeltaOps();
    let scratch = Buffer.allocUnsafe(1 << 16);
    const hasChildren = (i) => childStart[i] !== childStart[i + 1];
    // A flagged file version is analysed here, while its content is at hand: attribution then reads it
    // again through git only for the few that report a key. `content` gives it whole.
    // `keyIds` and `labels`: how many prefilter matches and secret labels the object holds (labels are
    // not looked for once a key id is found); a file with only labels needs no search for key ids.
    const record = (i, size, keyIds, labels, content) => {
        const kind = rootKind[i];
        result.objects++;
        result.bytes += size;
        if (kind === packs_KIND.commit)
            result.commits++;
        if (keyIds + labels > 0) {
            const oid = pack.oid(i);
            result.hits.push([oid, kind === packs_KIND.commit ? 'commit' : kind === packs_KIND.tag ? 'tag' : 'blob']);
            if (kind === packs_KIND.blob)
                result.analyses.push([oid, analyseFlagged(content(), markers, keyIds > 0)]);
        }
        onObjects?.(1, size);
    };
    const defer = (from) => {
        for (const oid of pack_plan_subtree(pack, plan, from))
            result.deferred.push(oid);
    };
    // An object this reader cannot decode is git's to read, with everything built on it; git then reads it
    // or reports it unreadable.
    const undecodable = (e, i) => {
        if (!(e instanceof ObjectReadError || e instanceof packs_DeltaError))
            return false;
        result.errors.push(e instanceof packs_DeltaError ? `${pack.describe(i)}: ${e.message}` : e.message);
        defer(i);
        return true;
    };
    // Deltas are inflated into one buffer, reused: a pass over every object leaves nothing per object.
    let deltaBuf = Buffer.allocUnsafeSlow(1 << 16);
    for (let k = 0; k < roots.length; k++) {
        const r = roots[k];
        // The root is inflated straight into the arena, where its deltas are built from it.
        arena.release(0);
        const at = arena.reserve(pack.sizes[r] + 1);
        if (at < 0) {
            defer(r);
            continue;
        }
        let content;
        try {
            content = pack.read(r, arena.mem, at);
        }
        catch (e) {
            if (undecodable(e, r))
                continue;
            throw e;
        }
        arena.release(at + content.length);
        const spans = [];
        pack_pass_matchStarts(content, 0, content.length, spans);
        const labels = [];
        pack_pass_labelStarts(content, 0, content.length, labels);
        record(r, content.length, spans.length, labels.length, () => content);
        if (rootKind[r] === packs_KIND.commit)
            checkCommit(content, 0, content.length);
        if (!hasChildren(r))
            continue;
        const stack = [{ i: r, at, size: content.length, spans, labels, next: childStart[r] }];
        while (stack.length > 0) {
            const f = stack[stack.length - 1];
            if (f.next >= childStart[f.i + 1]) {
                stack.pop();
                arena.release(f.at);
                continue;
            }
            const c = children[f.next++];
            let delta;
            let size;
            try {
                if (pack.sizes[c] + 1 > deltaBuf.length && pack.sizes[c] <= MAX_INFLATE)
                    deltaBuf = Buffer.allocUnsafeSlow(Math.max(pack.sizes[c] + 1, deltaBuf.length * 2));
                delta = pack.read(c, deltaBuf);
                size = parseDelta(delta, f.size, ops);
            }
            catch (e) {
                if (undecodable(e, c))
                    continue;
                throw e;
            }
            if (size > LARGE_OBJECT) {
                defer(c);
                continue;
            }
            let cs;
            let ls;
            if (hasChildren(c)) {
                // A base for more deltas: build it whole, above its own base.
                const out = arena.reserve(size);
                if (out < 0) {
                    defer(c);
                    continue;
                }
                buildTarget(arena.mem, f.at, out, delta, ops);
                const view = arena.mem;
                cs = deltaSpans(ops, size, arena.mem, f.at, f.spans, (s, e, o) => pack_pass_matchStarts(view, out + s, out + e, o, out));
                ls = deltaSpans(ops, size, arena.mem, f.at, f.labels, (s, e, o) => pack_pass_labelStarts(view, out + s, out + e, o, out), LABEL_SPANS);
                if (rootKind[c] === packs_KIND.commit)
                    checkCommit(view, out, out + size);
                record(c, size, cs.length, ls.length, () => view.subarray(out, out + size));
                if (f.next >= childStart[f.i + 1]) {
                    // The base's last delta: the base is needed no more, and the delta takes its place. A chain
                    // of versions holds two of them at a time, not the whole chain.
                    arena.mem.copyWithin(f.at, out, out + size);
                    arena.release(f.at + size);
                    stack.pop();
                    stack.push({ i: c, at: f.at, size, spans: cs, labels: ls, next: childStart[c] });
                }
                else {
                    stack.push({ i: c, at: out, size, spans: cs, labels: ls, next: childStart[c] });
                }
            }
            else {
                // A leaf: only the windows searched are ever built, each once for key ids and labels. A leaf
                // with a key id is flagged already: its labels need not be looked for.
                [cs, ls] = deltaSpansOf(ops, size, arena.mem, f.at, LEAF_RULES, [f.spans, f.labels], (s, e, outs) => {
                    if (e - s > scratch.length)
                        scratch = Buffer.allocUnsafe(e - s);
                    const window = readTarget(arena.mem, f.at, delta, ops, s, e, scratch);
                    pack_pass_matchStarts(window, 0, e - s, outs[0], -s);
                    if (outs[0].length === 0)
                        pack_pass_labelStarts(window, 0, e - s, outs[1], -s);
                });
                if (rootKind[c] === packs_KIND.commit) {
                    if (size > scratch.length)
                        scratch = Buffer.allocUnsafe(size);
                    checkCommit(readTarget(arena.mem, f.at, delta, ops, 0, size, scratch), 0, size);
                }
                record(c, size, cs.length, ls.length, () => {
                    if (size > scratch.length)
                        scratch = Buffer.allocUnsafe(size);
                    return readTarget(arena.mem, f.at, delta, ops, 0, size, scratch);
                });
            }
            await maybeYield();
        }
        await maybeYield();
    }
    return result;
}

;// CONCATENATED MODULE: ./src/pack-worker.ts






// Entry of the threads that read shares of a pack during a full-history scan, and that find the trees
// attribution needs (bundled as dist/pack-worker.js, beside the action and the CLI that start them).
if (isPackWorkerData(external_node_worker_threads_namespaceObject.workerData)) {
    const data = external_node_worker_threads_namespaceObject.workerData;
    if (data.job === 'share') {
        const pack = PackFile.fromShare(data.share);
        void serveShare((onObjects) => scanShare(pack, data.plan, data.roots, data.markers, onObjects)).finally(() => pack.close());
    }
    else {
        const packs = data.shares.map((share) => PackFile.fromShare(share));
        packs.forEach((pack, k) => adoptPlan(pack, data.plans[k]));
        // The pairs of trees to diff come once git has listed the commits.
        const pairs = new Promise((resolve) => external_node_worker_threads_namespaceObject.parentPort.once('message', resolve));
        void serveShare(() => tree_changes_diffFromPacks(packs, new Set(data.objects), pairs)).finally(() => {
            for (const pack of packs)
                pack.close();
        });
    }
}

