import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeltaError,
  DeltaOps,
  PackFile,
  PackFormatError,
  applyDelta,
  parseDelta,
  readTarget,
} from '../../src/adapters/packs.js';
import { AWS_SECRET_LABEL, KEY_ID_PREFILTER } from '../../src/core/rules.js';
import { packPass } from '../../src/scan/pack-pass.js';
import { analyseFlagged } from '../../src/scan/passes.js';
import { packWorkerBeside, setThreadMinWork, THREAD_MIN_WORK } from '../../src/scan/threads.js';
import {
  KEY_SPANS,
  LABEL_SPANS,
  deltaSpans,
  deltaSpansOf,
  labelStarts,
  matchStarts,
} from '../../src/scan/spans.js';
import { bundle } from '../helpers/bundle.js';
import { makeKeyId, makeSecret } from '../helpers/keys.js';

/** A small deterministic generator, so a failure names the seed that reproduces it. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
  };
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const mayHold = (s: string) => new RegExp(KEY_ID_PREFILTER.source).test(s);

/**
 * Versions of a file edited the way that makes delta seams matter: key ids that appear only when two
 * lines holding their two halves are joined (two copies meet), or when one character of a broken id is
 * repaired (a one-byte insert between copies), and that disappear again when broken or deleted; so
 * about half the versions hold one and half do not.
 */
function versions(seed: number, count: number): string[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd(n));
  const run = (n: number) => Array.from({ length: n }, () => UPPER[int(UPPER.length)]!).join('');
  const plain = () => `plain text line ${int(1e6)} of the ${run(3)} config`;
  const fragments = (): string[] => {
    const k = int(17);
    return [`tail AKIA${run(k)}`, `${run(16 - k)} head`];
  };
  const broken = () => `broken AKIA${run(7)}x${run(8)}`;
  let lines: string[] = Array.from({ length: 60 }, plain);
  for (let i = 0; i < 8; i++) lines.splice(int(lines.length), 0, ...fragments(), broken());
  const out: string[] = [];
  for (let v = 0; v < count; v++) {
    for (let e = 0, edits = 1 + int(3); e < edits; e++) {
      const r = rnd(8);
      const at = int(lines.length);
      if (r < 1.5) {
        // Join a tail with its head: the key id exists only across the seam of two copies.
        const i = lines.findIndex((l, j) => l.startsWith('tail ') && lines[j + 1]?.endsWith(' head'));
        if (i >= 0) lines.splice(i, 2, lines[i]! + lines[i + 1]!);
      } else if (r < 3) {
        // Repair a broken id: one inserted byte between two copies.
        const i = lines.findIndex((l) => l.startsWith('broken '));
        if (i >= 0) lines[i] = lines[i]!.replace('x', run(1));
      } else if (r < 4.5) {
        // Break every whole id again, or drop the lines that hold one.
        lines = lines.flatMap((l) =>
          mayHold(l) ? (rnd(2) < 1 ? [] : [l.replace(/AKIA([A-Z0-9]{5})/, 'AKIA$1x')]) : [l],
        );
      } else if (r < 5.5) lines.splice(at, 0, ...fragments(), broken());
      else if (r < 6.5) lines.splice(at, 0, plain());
      else if (r < 7.5 && lines.length > 20) lines.splice(at, 1);
      else lines = [...lines.slice(at), ...lines.slice(0, at)];
    }
    out.push(lines.join('\n') + '\n');
  }
  return out;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyleak-packs-'));
  execFileSync('git', ['init', '-q', '--bare', dir]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `contents` as blobs and packs them with deep delta chains; returns the pack and the blob ids. */
function packOf(contents: string[], name: string): { pack: PackFile; oids: string[] } {
  const files = contents.map((c, i) => {
    const f = join(dir, `${name}-${i}`);
    writeFileSync(f, c);
    return f;
  });
  const oids = execFileSync('git', ['hash-object', '-w', '--stdin-paths'], {
    cwd: dir,
    input: files.join('\n') + '\n',
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
  const prefix = join(dir, 'objects', 'pack', name);
  const hash = execFileSync('git', ['pack-objects', '-q', '--window=250', '--depth=50', prefix], {
    cwd: dir,
    input: oids.map((o, i) => `${o} file${i % 3}`).join('\n') + '\n',
    encoding: 'utf8',
  }).trim();
  for (const f of files) rmSync(f);
  return { pack: PackFile.open(`${prefix}-${hash}.idx`, `${prefix}-${hash}.pack`), oids };
}

describe('reading packs directly', () => {
  it.each([1, 2, 3])(
    'finds exactly the objects that may hold a key id, through delta chains and their seams (seed %i)',
    async (seed) => {
      const contents = versions(seed, 150);
      const { pack, oids } = packOf(contents, `seed${seed}`);
      try {
        let deltas = 0;
        for (let i = 0; i < pack.count; i++) if (pack.kinds[i]! >= 6) deltas++;
        expect(deltas).toBeGreaterThan(100); // the pack really is chains of deltas
        const truth = new Set(oids.filter((_, i) => mayHold(contents[i]!)));
        const without = new Set(oids.filter((o) => !truth.has(o)));
        expect(truth.size).toBeGreaterThan(10);
        expect(without.size).toBeGreaterThan(10);
        const result = await packPass([pack], { jobs: 1, workerScript: null });
        const hits = new Set(result.hits.keys());
        expect(hits).toEqual(truth);
        // Each flagged version is analysed whole as it is read, as if read on its own.
        const byOid = new Map(oids.map((o, i) => [o, contents[i]!]));
        expect(new Map(result.analyses)).toEqual(
          new Map([...truth].map((o) => [o, analyseFlagged(Buffer.from(byOid.get(o)!, 'latin1'))])),
        );
        expect(result.objects).toBe(new Set(oids).size);
        expect(result.bytes).toBe(
          [...new Map(oids.map((o, i) => [o, contents[i]!.length])).values()].reduce((a, b) => a + b, 0),
        );
        expect(result.deferred).toEqual([]);
      } finally {
        pack.close();
      }
    },
  );

  it('finds key ids and labels wherever they fall in an object searched piece by piece', async () => {
    // Objects of 200 KiB are searched 64 KiB at a time: a key id or a label may start just before a
    // piece ends, straddle its end, or start just after it.
    const piece = 64 << 10;
    const filler = ('x'.repeat(63) + '\n').repeat((200 << 10) / 64);
    const place = (at: number, text: string) => filler.slice(0, at) + text + filler.slice(at + text.length);
    const keyId = makeKeyId();
    const contents = [filler];
    for (const boundary of [piece, 2 * piece])
      for (const at of [boundary - 25, boundary - 20, boundary - 19, boundary - 1, boundary, boundary + 1]) {
        contents.push(place(at, keyId), place(at, 'secret_access_key'), place(at, keyId.slice(0, 19)));
      }
    const { pack, oids } = packOf(contents, 'pieces');
    try {
      const label = new RegExp(AWS_SECRET_LABEL.source);
      const truth = new Set(oids.filter((_, i) => mayHold(contents[i]!) || label.test(contents[i]!)));
      expect(truth.size).toBe(24);
      const result = await packPass([pack], { jobs: 1, workerScript: null });
      expect(new Set(result.hits.keys())).toEqual(truth);
    } finally {
      pack.close();
    }
  });

  it('analyses files flagged for a secret label alone as it analyses any flagged file', async () => {
    // Versions of an API model naming `SecretAccessKey` on every line, to which edits add a labelled
    // secret, a key id in escaped base64 under a label (which the prefilter does not see), or a plain key id.
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    const escapedB64 = (id: string) =>
      `${b64(id).slice(0, 2)}\\u00${b64(id).charCodeAt(2).toString(16)}${b64(id).slice(3)}`;
    const rnd = prng(7);
    const model = Array.from(
      { length: 80 },
      (_, i) =>
        `  "SecretAccessKey${i}": {"shape": "AccessKeySecretType", "documentation": "<p>key ${i}</p>"},`,
    );
    const extras = [
      () => `  "aws_secret_access_key": "${makeSecret()}",`,
      () => `  "SecretAccessKeyBlob": "${escapedB64(makeKeyId())}",`,
      () => `  "AccessKeyId": "${makeKeyId()}",`,
      () => `  "aws_secret_access_key": "${makeSecret()}", "token": "${escapedB64(makeKeyId())}",`,
    ];
    let lines = model.slice();
    const contents: string[] = [];
    for (let v = 0; v < 120; v++) {
      const r = Math.floor(rnd(10));
      if (r < extras.length) lines.splice(Math.floor(rnd(lines.length)), 0, extras[r]!());
      else if (r < 7) lines = model.slice();
      else lines.splice(Math.floor(rnd(lines.length)), 1);
      contents.push(`{\n${lines.join('\n')}\n}\n`);
    }
    const { pack, oids } = packOf(contents, 'labels');
    try {
      const result = await packPass([pack], { jobs: 1, workerScript: null });
      const byOid = new Map(oids.map((o, i) => [o, contents[i]!]));
      expect(new Set(result.analyses.keys())).toEqual(new Set(oids));
      const labelOnly = oids.filter((o) => !mayHold(byOid.get(o)!));
      expect(labelOnly.some((o) => result.analyses.get(o)!.keyIds.length > 0)).toBe(true);
      expect(labelOnly.some((o) => result.analyses.get(o)!.secrets.length > 0)).toBe(true);
      expect(labelOnly.some((o) => result.analyses.get(o)!.keyIds.length === 0)).toBe(true);
      for (const [oid, a] of result.analyses)
        expect(a, oid).toEqual(analyseFlagged(Buffer.from(byOid.get(oid)!, 'latin1')));
    } finally {
      pack.close();
    }
  });

  it('leaves objects too large to hold to git, with the deltas based on them', async () => {
    const big = 'x'.repeat(9 << 20) + `\n${makeKeyId()}\n`;
    const { pack, oids } = packOf([big, big + 'more\n', 'small\n'], 'large');
    try {
      const result = await packPass([pack], { jobs: 1, workerScript: null });
      expect(result.deferred.sort()).toEqual([oids[0]!, oids[1]!].sort());
      expect([...result.hits.keys()]).toEqual([]);
      expect(result.objects).toBe(1);
    } finally {
      pack.close();
    }
  });

  it('reads shares of a pack on worker threads and finds the same objects', async () => {
    const contents = versions(7, 200);
    const { pack, oids } = packOf(contents, 'threads');
    // The worker bundle, named as in dist/ and looked up beside the entry that starts the threads.
    const built = bundle('src/pack-worker.ts');
    copyFileSync(join(built, 'index.js'), join(built, 'pack-worker.js'));
    writeFileSync(join(built, 'entry.js'), '');
    const workerScript = packWorkerBeside(pathToFileURL(join(built, 'entry.js')).href);
    expect(workerScript).toBe(join(built, 'pack-worker.js'));
    setThreadMinWork(1); // a pack this small would be read on this thread alone
    try {
      const result = await packPass([pack], { jobs: 3, workerScript });
      const truth = new Set(oids.filter((_, i) => mayHold(contents[i]!)));
      expect(new Set(result.hits.keys())).toEqual(truth);
      expect(result.objects).toBe(new Set(oids).size);
      const alone = await packPass([pack], { jobs: 1, workerScript: null });
      expect(new Map(result.analyses)).toEqual(new Map(alone.analyses));
    } finally {
      setThreadMinWork(THREAD_MIN_WORK);
      pack.close();
    }
  });

  it('reads a share on this thread when its worker thread dies', async () => {
    const contents = versions(8, 120);
    const { pack, oids } = packOf(contents, 'dying');
    const broken = mkdtempSync(join(tmpdir(), 'keyleak-broken-worker-'));
    writeFileSync(join(broken, 'pack-worker.js'), "throw new Error('this thread fails to start');\n");
    setThreadMinWork(1);
    try {
      const result = await packPass([pack], { jobs: 2, workerScript: join(broken, 'pack-worker.js') });
      expect(new Set(result.hits.keys())).toEqual(new Set(oids.filter((_, i) => mayHold(contents[i]!))));
      expect(result.objects).toBe(new Set(oids).size);
    } finally {
      setThreadMinWork(THREAD_MIN_WORK);
      rmSync(broken, { recursive: true, force: true });
      pack.close();
    }
  });

  it('rejects a pack whose index is not version 2, and a truncated pack', () => {
    const { pack } = packOf(['a\n', 'b\n'], 'formats');
    pack.close();
    const packDir = join(dir, 'objects', 'pack');
    const file = readdirSync(packDir).find((f) => f.startsWith('formats') && f.endsWith('.pack'))!;
    const idx = join(packDir, file.replace(/\.pack$/, '.idx'));
    const v1 = join(dir, 'v1.idx');
    execFileSync('git', ['index-pack', '--index-version=1', '-o', v1, join(packDir, file)], { cwd: dir });
    expect(() => PackFile.open(v1, join(packDir, file))).toThrow(PackFormatError);
    const cut = join(dir, 'cut.pack');
    writeFileSync(cut, readFileSync(join(packDir, file)).subarray(0, 20));
    expect(() => PackFile.open(idx, cut)).toThrow(PackFormatError);
  });
});

describe('matches carried through a delta', () => {
  /** Spans of a target built from `base` by `ops` ([target, length, base offset] copies only). */
  function spansOf(base: string, copies: [number, number][]): number[] {
    const mem = Buffer.from(base, 'latin1');
    const ops = new DeltaOps();
    let t = 0;
    for (const [src, n] of copies) {
      ops.push(t, n, src);
      t += n;
    }
    const target = Buffer.concat(copies.map(([src, n]) => mem.subarray(src, src + n)));
    const baseSpans: number[] = [];
    matchStarts(mem, 0, mem.length, baseSpans);
    return deltaSpans(ops, t, mem, 0, baseSpans, (from, to, out) => matchStarts(target, from, to, out));
  }
  const id = () => 'AKIA' + 'Q'.repeat(8) + '23456789';

  it('carries a match that ends exactly where its copy does', () => {
    const base = `${id()}\nzz`;
    expect(
      spansOf(base, [
        [0, 20],
        [21, 2],
      ]),
    ).toEqual([0]);
  });

  it('carries the second of two overlapping matches when only it is copied', () => {
    const base = `AKIA${id()}`;
    expect(spansOf(base, [[4, 20]])).toEqual([0]);
  });

  it('finds a match made by two copies meeting, and none where no match crosses the seam', () => {
    const k = id();
    const base = `${k.slice(0, 9)}\n${k.slice(9)}\n`;
    expect(
      spansOf(base, [
        [0, 9],
        [10, 12],
      ]),
    ).toEqual([0]);
    expect(
      spansOf(base, [
        [0, 10],
        [10, 12],
      ]),
    ).toEqual([]);
  });
});

describe('key ids and labels carried through a delta together', () => {
  it.each([1, 2, 3, 4, 5, 6])(
    'finds what searching for each on its own finds, and every match of the target (seed %i)',
    (seed) => {
      const rnd = prng(seed);
      const int = (n: number) => Math.floor(rnd(n));
      // Copies of whole pieces of key ids and labels, and short inserts, so that spans are made where
      // two copies meet or an insert ends one; filler no span is made of keeps windows apart.
      const pieces = [
        ...['AKIA', 'QQQQ2345', '67QQQQ23', 'secret_', 'access_key', 'AWS_', 'SECRET', 'SecretAccessKey'],
        ...['~'.repeat(90), '~'.repeat(150)],
      ];
      const inserts = ['Q', '23', 'key', 'A', 'AKIA'];
      for (let round = 0; round < 40; round++) {
        const starts: number[] = [];
        let text = '';
        for (let i = 0; i < 80; i++) {
          starts.push(text.length);
          text += pieces[int(pieces.length)];
        }
        starts.push(text.length);
        const mem = Buffer.from(text, 'latin1');
        const ops = new DeltaOps();
        const parts: Buffer[] = [];
        let t = 0;
        for (let k = 0, count = 4 + int(30); k < count; k++) {
          const first = int(starts.length - 1);
          const last = Math.min(starts.length - 1, first + 1 + int(3));
          const [src, end] = [starts[first]!, starts[last]!];
          const inserted = rnd(4) < 1;
          const bytes = inserted
            ? Buffer.from(inserts[int(inserts.length)]!, 'latin1')
            : mem.subarray(src, end);
          ops.push(t, bytes.length, inserted ? -1 : src);
          parts.push(bytes);
          t += bytes.length;
        }
        const target = Buffer.concat(parts);
        const base = [KEY_SPANS, LABEL_SPANS].map((rule) => {
          const out: number[] = [];
          (rule === KEY_SPANS ? matchStarts : labelStarts)(mem, 0, mem.length, out);
          return out;
        });
        const [keys, labels] = deltaSpansOf(
          ops,
          t,
          mem,
          0,
          [KEY_SPANS, LABEL_SPANS],
          base,
          (from, to, outs) => {
            matchStarts(target, from, to, outs[0]!);
            labelStarts(target, from, to, outs[1]!);
          },
        );
        expect(keys).toEqual(deltaSpans(ops, t, mem, 0, base[0]!, (f, e, o) => matchStarts(target, f, e, o)));
        expect(labels).toEqual(
          deltaSpans(ops, t, mem, 0, base[1]!, (f, e, o) => labelStarts(target, f, e, o), LABEL_SPANS),
        );
        const truth: number[] = [];
        matchStarts(target, 0, t, truth);
        expect(keys).toEqual(truth);
        const labelTruth: number[] = [];
        labelStarts(target, 0, t, labelTruth);
        expect(labels).toEqual(expect.arrayContaining(labelTruth));
      }
    },
  );
  it('reaches back the length of a key id from an insert, though labels are shorter', () => {
    const mem = Buffer.from(`AKIAQQQQ234567QQQQ2${'~'.repeat(100)}`, 'latin1');
    const ops = new DeltaOps();
    ops.push(0, 19, 0);
    ops.push(19, 1, -1);
    ops.push(20, 100, 19);
    const target = Buffer.concat([mem.subarray(0, 19), Buffer.from('3'), mem.subarray(19)]);
    const [keys] = deltaSpansOf(
      ops,
      target.length,
      mem,
      0,
      [LABEL_SPANS, KEY_SPANS],
      [[], []],
      (f, e, outs) => {
        labelStarts(target, f, e, outs[0]!);
        matchStarts(target, f, e, outs[1]!);
      },
    ).reverse();
    expect(keys).toEqual([0]);
  });
});

describe('git deltas', () => {
  /** A delta in git's format: sizes, then copy (offset, length) and insert (bytes) instructions. */
  function delta(baseSize: number, targetSize: number, ...ops: ([number, number] | string)[]): Buffer {
    const size = (n: number) => {
      const out: number[] = [];
      do {
        let b = n & 0x7f;
        n = Math.floor(n / 128);
        if (n > 0) b |= 0x80;
        out.push(b);
      } while (n > 0);
      return out;
    };
    const bytes = [...size(baseSize), ...size(targetSize)];
    for (const op of ops) {
      if (typeof op === 'string') bytes.push(op.length, ...Buffer.from(op, 'latin1'));
      else bytes.push(0x80 | 0x01 | 0x10, op[0], op[1]);
    }
    return Buffer.from(bytes);
  }

  it('copies from the base and inserts new bytes', () => {
    const base = Buffer.from('hello world');
    expect(applyDelta(base, delta(11, 11, [0, 6], 'there')).toString()).toBe('hello there');
  });

  it('reads any range of a target without building it, through short and long copies and inserts', () => {
    const rnd = prng(11);
    const base = Buffer.from(Array.from({ length: 240 }, () => Math.floor(rnd(256))));
    const long = 'i'.repeat(100);
    const d = delta(240, 5 + 3 + 120 + 100 + 60 + 1, [10, 5], 'abc', [0, 120], long, [170, 60], 'z');
    const target = applyDelta(base, d);
    const ops = new DeltaOps();
    expect(parseDelta(d, base.length, ops)).toBe(target.length);
    const out = Buffer.alloc(target.length);
    for (let from = 0; from < target.length; from += 7)
      for (let to = from + 1; to <= target.length; to += 11)
        expect(
          readTarget(base, 0, d, ops, from, to, out).equals(target.subarray(from, to)),
          `${from}-${to}`,
        ).toBe(true);
  });

  it('rejects a delta for another base, a copy past the base, a reserved instruction and a short result', () => {
    const base = Buffer.from('hello world');
    expect(() => applyDelta(base, delta(10, 6, [0, 6]))).toThrow(DeltaError);
    expect(() => applyDelta(base, delta(11, 12, [0, 12]))).toThrow(DeltaError);
    expect(() => applyDelta(base, Buffer.from([11, 1, 0]))).toThrow(DeltaError);
    expect(() => applyDelta(base, delta(11, 7, [0, 6]))).toThrow(DeltaError);
    expect(() => applyDelta(base, Buffer.from([0x8b]))).toThrow(DeltaError);
  });
});
