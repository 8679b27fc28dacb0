// The hostile cases of `npm run bench -- --hostile`: object stores built to make a scanner slow or
// large (valid deltas of many copies over a base of many matches, an object that inflates far past the
// size it declares, hundreds of small packs), each scanned by keyleak and read by git, side by side.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { measure } from './proc.mjs';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};

function git(cwd, args, input) {
  return execFileSync('git', args, { cwd, env: GIT_ENV, input, maxBuffer: 1 << 28 });
}

/** A repository with one commit, to which hostile packs are added. */
function baseRepo(root) {
  const dir = join(root, 'repo');
  mkdirSync(dir);
  git(dir, ['init', '-q']);
  writeFileSync(join(dir, 'README.md'), 'hostile objects live in the packs beside this commit\n');
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'init']);
  git(dir, ['repack', '-a', '-d', '-q']);
  return dir;
}

function varint(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A pack entry header: kind and inflated size. */
function entryHeader(kind, size) {
  const out = [(kind << 4) | (size & 15)];
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    out[out.length - 1] |= 0x80;
    out.push(rest & 0x7f);
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(out);
}

function ofsDistance(d) {
  const bytes = [d & 0x7f];
  d = Math.floor(d / 128);
  while (d > 0) {
    d -= 1;
    bytes.unshift(0x80 | (d & 0x7f));
    d = Math.floor(d / 128);
  }
  return Buffer.from(bytes);
}

/**
 * Writes `entries` ({ kind, data, base? } with `base` an earlier entry's index) as a pack, indexed by git;
 * or, for entries git refuses to index (`ids` given: the object id each claims), with an index written here.
 */
function writePack(repo, entries, declared = [], ids = null) {
  const parts = [Buffer.from('PACK'), Buffer.alloc(8)];
  parts[1].writeUInt32BE(2, 0);
  parts[1].writeUInt32BE(entries.length, 4);
  let at = 12;
  const offsets = [];
  entries.forEach((e, i) => {
    offsets.push(at);
    const head = entryHeader(e.base === undefined ? e.kind : 6, declared[i] ?? e.data.length);
    const ofs = e.base === undefined ? Buffer.alloc(0) : ofsDistance(at - offsets[e.base]);
    const body = e.deflated ?? deflateSync(e.data, { level: 1 });
    parts.push(head, ofs, body);
    at += head.length + ofs.length + body.length;
  });
  const pack = Buffer.concat(parts);
  const sum = createHash('sha1').update(pack).digest();
  const dir = join(repo, '.git', 'objects', 'pack');
  const name = join(dir, `pack-${sum.toString('hex')}.pack`);
  writeFileSync(name, Buffer.concat([pack, sum]));
  if (ids) writeIndex(name.replace(/\.pack$/, '.idx'), ids, offsets, sum);
  else git(repo, ['index-pack', name]);
  return name;
}

/** A version-2 pack index for objects `ids` (hex) at `offsets`, without CRCs (git checks them on repack). */
function writeIndex(path, ids, offsets, packSum) {
  const order = ids.map((id, i) => ({ id: Buffer.from(id, 'hex'), off: offsets[i] }));
  order.sort((a, b) => Buffer.compare(a.id, b.id));
  const head = Buffer.alloc(8 + 1024);
  head.writeUInt32BE(0xff744f63, 0);
  head.writeUInt32BE(2, 4);
  for (let b = 0; b < 256; b++) head.writeUInt32BE(order.filter((o) => o.id[0] <= b).length, 8 + b * 4);
  const crcs = Buffer.alloc(4 * order.length);
  const offs = Buffer.alloc(4 * order.length);
  order.forEach((o, i) => offs.writeUInt32BE(o.off, i * 4));
  const body = Buffer.concat([head, ...order.map((o) => o.id), crcs, offs, packSum]);
  writeFileSync(path, Buffer.concat([body, createHash('sha1').update(body).digest()]));
}

/**
 * Ten valid deltas of a base holding many matches of the key-id prefilter, each made of tens of
 * thousands of small copies: a scanner that walks the base's matches for every copy spends minutes.
 */
function pathologicalDeltas(repo) {
  const token = 'AKIA' + 'A'.repeat(16) + '\n';
  const base = Buffer.from(token.repeat(40_000));
  const copies = 60_000;
  const entries = [{ kind: 3, data: base }];
  for (let d = 0; d < 10; d++) {
    const ops = [...varint(base.length), ...varint(copies * 7)];
    for (let c = 0; c < copies; c++) {
      // Copy 7 bytes from a spread of offsets: every copy is a seam, and none holds a whole match.
      const off = ((c * 7919 + d * 13) % (base.length - 8)) >>> 0;
      ops.push(0x80 | 0x0f | 0x10, off & 255, (off >> 8) & 255, (off >> 16) & 255, (off >>> 24) & 255, 7);
    }
    entries.push({ kind: 3, data: Buffer.from(ops), base: 0 });
  }
  writePack(repo, entries);
}

/** A blob that declares 100 bytes and inflates to 512 MiB. */
function inflationBomb(repo) {
  const deflated = deflateSync(Buffer.alloc(512 << 20), { level: 9 });
  const id = createHash('sha1').update('an inflation bomb').digest('hex');
  writePack(repo, [{ kind: 3, data: Buffer.alloc(0), deflated }], [100], [id]);
}

/** 500 small packs: a history of 500 commits, each commit's new objects in a pack of its own. */
function manyPacks(repo) {
  let prev = null;
  for (let i = 0; i < 500; i++) {
    const blob = git(repo, ['hash-object', '-w', '--stdin'], `file ${i}\n`).toString().trim();
    const t = git(repo, ['mktree'], `100644 blob ${blob}\tf${i}.txt\n`).toString().trim();
    const c = git(repo, ['commit-tree', t, ...(prev ? ['-p', prev] : []), '-m', `c${i}`])
      .toString()
      .trim();
    git(repo, ['pack-objects', '-q', join(repo, '.git', 'objects', 'pack', 'pack')], `${blob}\n${t}\n${c}\n`);
    prev = c;
  }
  git(repo, ['update-ref', 'refs/heads/many', prev]);
  git(repo, ['prune-packed']);
  // Loose objects left by hash-object/mktree/commit-tree are now in packs.
  for (const d of readdirSync(join(repo, '.git', 'objects')))
    if (/^[0-9a-f]{2}$/.test(d)) rmSync(join(repo, '.git', 'objects', d), { recursive: true, force: true });
}

const CASES = [
  { name: 'pathological deltas', build: pathologicalDeltas },
  { name: 'inflation bomb', build: inflationBomb },
  { name: '500 small packs', build: manyPacks },
];

/** Builds each hostile store and times keyleak's scan and git's read of every object, with peak memory. */
export async function runHostileBench({ cli, jobs, log, timeoutSeconds = 300 }) {
  const rows = [];
  for (const c of CASES) {
    const root = mkdtempSync(join(tmpdir(), 'keyleak-bench-hostile-'));
    try {
      log(`hostile: building ${c.name}`);
      const repo = baseRepo(root);
      c.build(repo);
      const jobsArgs = jobs ? ['--jobs', String(jobs)] : [];
      log(`hostile: ${c.name}: keyleak scan --all`);
      const k = await measure(
        process.execPath,
        [cli, 'scan', '--all', '--format', 'json', '--no-progress', '--repo', repo, ...jobsArgs],
        { cwd: repo, timeoutSeconds },
      );
      log(`hostile: ${c.name}: git cat-file --batch-all-objects --batch`);
      const g = await measure('git', ['cat-file', '--batch-all-objects', '--batch', '--unordered'], {
        cwd: repo,
        timeoutSeconds,
      });
      rows.push({
        case: c.name,
        keyleak: summary(k),
        git: summary(g),
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return { rows, table: renderTable(rows) };
}

function summary(m) {
  return {
    exit: m.code,
    timedOut: m.timedOut,
    wallSeconds: m.wallSeconds,
    peakBytes: Math.max(m.memory.own.peak, m.memory.children.peak),
    stderr: m.stderr.split('\n').filter(Boolean).slice(-1)[0] ?? '',
  };
}

function renderTable(rows) {
  const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MB`;
  const s = (x) => (x.timedOut ? 'timed out' : `${x.wallSeconds.toFixed(2)} s`);
  const out = ['hostile case            keyleak (exit)          git cat-file (exit)'];
  for (const r of rows) {
    out.push(
      `${r.case.padEnd(22)}  ${`${s(r.keyleak)}, ${mb(r.keyleak.peakBytes)} (${r.keyleak.exit})`.padEnd(22)}  ${s(r.git)}, ${mb(r.git.peakBytes)} (${r.git.exit})`,
    );
  }
  return out.join('\n');
}
