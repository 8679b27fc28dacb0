// A deterministic synthetic history for the benchmark, written with `git fast-import` (tens of thousands
// of blobs in seconds). The same parameters always give the same objects, so figures taken on different
// machines or days compare; the repository is cached under .bench/ keyed by those parameters.
import { spawn, execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/** Bump when the generator changes, so a cache built by an older generator is not reused. */
const GENERATOR_VERSION = 2;

export const DEFAULT_SYNTH = Object.freeze({
  seed: 1,
  /** Commits on the main line (topic, release and tag commits come on top). */
  commits: 4000,
  /** Files in the first commit. */
  files: 1500,
  /** Mean number of files a commit adds or modifies. */
  changesPerCommit: 6,
  /** Large files (a text dump and a binary, alternately), each committed in two versions. */
  largeFiles: 3,
  /** Size of each large file in MiB. */
  largeMiB: 24,
  /** Whether to plant the generated keys (the org benchmark leaves most repositories clean). */
  plantKeys: true,
});

/** A small, fast, seedable generator (mulberry32): the whole history follows from the seed. */
export function seededRandom(seed) {
  let a = createHash('sha256').update(String(seed)).digest().readUInt32LE(0);
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  return next;
}

/** Incompressible bytes that still follow from the seed: AES-CTR over zeros is fast and deterministic. */
function pseudoRandomBytes(seed, label, size) {
  const key = createHash('sha256').update(`${seed}:${label}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A well-formed key id encoding a 12-digit account, as AWS does; generated, never a literal. */
function keyId(rand, prefix) {
  for (;;) {
    const account = BigInt(String(1e11 + rand.int(9e11)));
    const z = (account << 7n) | BigInt(rand.int(128));
    const bits = (z << 32n) | BigInt(rand.int(2 ** 32));
    let body = '';
    for (let i = 15; i >= 0; i--) body += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
    if (body[0] !== 'I' && body[0] !== 'J' && new Set(body).size >= 6) return prefix + body;
  }
}

function secret(rand) {
  for (;;) {
    let s = '';
    for (let i = 0; i < 40; i++) s += B64[rand.int(64)];
    if (/[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s) && new Set(s).size >= 16) return s;
  }
}

function sessionToken(rand) {
  let s = 'IQoJb3JpZ2luX2Vj';
  for (let i = 0; i < 300; i++) s += B64[rand.int(64)];
  return s;
}

const WORDS = (
  'the of and to in is that for it as with was on be by this are or from at which an but not have ' +
  'return value config index buffer stream commit object parent tree blob render update reader writer ' +
  'error result option default request response handler context session client server cache table ' +
  'const let function class import export async await yield static public private struct impl match'
).split(' ');
const EXTS = ['.c', '.h', '.ts', '.py', '.go', '.md', '.txt', '.json', '.sh', '.yml', '.rs', '.java'];
const DIRS = ['src', 'lib', 'docs', 'test', 'tools', 'contrib', 'builtin', 'compat', 't', 'po'];
const AUTHORS = [
  'Ada Lovelace <ada@example.com>',
  'Grace Hopper <grace@example.com>',
  'Ken Thompson <ken@example.com>',
  'Barbara Liskov <barbara@example.com>',
  'Linus Example <linus@example.com>',
];

function textLine(rand) {
  const kind = rand.int(20);
  if (kind === 0) {
    // A hex digest: looks like a secret to a naive scanner, never to keyleak.
    let h = '';
    for (let i = 0; i < 40; i++) h += '0123456789abcdef'[rand.int(16)];
    return `  sha1 = "${h}"`;
  }
  if (kind === 1) {
    let b = '';
    for (let i = 0; i < 64; i++) b += B64[rand.int(64)];
    return `  "integrity": "sha512-${b}"`;
  }
  const n = 3 + rand.int(10);
  const w = [];
  for (let i = 0; i < n; i++) w.push(rand.pick(WORDS));
  return ' '.repeat(rand.int(4) * 2) + w.join(' ') + (rand.int(3) === 0 ? ';' : '');
}

function newTextFile(rand) {
  // Heavy-tailed sizes: most files are small, a few are thousands of lines.
  const lines = 5 + Math.floor(rand() ** 3 * 3000);
  const out = new Array(lines);
  for (let i = 0; i < lines; i++) out[i] = textLine(rand);
  return out;
}

function mutate(rand, lines) {
  const next = lines.slice();
  const edits = 1 + rand.int(6);
  for (let e = 0; e < edits; e++) {
    const at = rand.int(next.length + 1);
    const op = rand.int(3);
    if (op === 0 && next.length > 1) next.splice(at, 1 + rand.int(3));
    else if (op === 1) next.splice(at, 0, textLine(rand), textLine(rand));
    else next[Math.min(at, next.length - 1)] = textLine(rand);
  }
  return next;
}

/** The planted credential texts, by where they are committed. Returns [content, keyIds]. */
function plantedContent(rand, kind) {
  const id = keyId(rand, kind === 'session' ? 'ASIA' : 'AKIA');
  const sec = secret(rand);
  switch (kind) {
    case 'env':
      return [`APP_ENV=production\naws_access_key_id=${id}\naws_secret_access_key=${sec}\n`, id];
    case 'python':
      return [
        `import boto3\n\nclient = boto3.client(\n    "s3",\n    aws_access_key_id="${id}",\n    aws_secret_access_key="${sec}",\n)\n`,
        id,
      ];
    case 'json':
      return [
        `{\n  "Credentials": {\n    "AccessKeyId": "${id}",\n    "SecretAccessKey": "${sec}"\n  }\n}\n`,
        id,
      ];
    case 'session':
      return [
        `[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${sec}\naws_session_token = ${sessionToken(rand)}\n`,
        id,
      ];
    default:
      return [`key ${id}\n`, id];
  }
}

/**
 * Writes the fast-import stream for the history `p` describes to `out` (a writable stream) and returns
 * the manifest: where each planted key id is.
 */
async function writeHistory(p, out) {
  const rand = seededRandom(`${p.seed}:history`);
  const keyRand = seededRandom(`${p.seed}:keys`);
  let mark = 0;
  let clock = 1_500_000_000;
  const planted = [];

  const write = async (chunk) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const data = async (buf) => {
    const b = typeof buf === 'string' ? Buffer.from(buf) : buf;
    await write(`data ${b.length}\n`);
    await write(b);
    await write('\n');
  };

  /** state: Map path -> string[] (text lines) | Buffer (binary or large); each branch holds its own. */
  const commit = async (ref, state, parents, changes, message) => {
    const m = ++mark;
    clock += 600 + rand.int(7200);
    const who = rand.pick(AUTHORS);
    await write(`commit ${ref}\nmark :${m}\nauthor ${who} ${clock} +0000\ncommitter ${who} ${clock} +0000\n`);
    await data(message);
    if (parents[0]) await write(`from :${parents[0]}\n`);
    for (const extra of parents.slice(1)) await write(`merge :${extra}\n`);
    for (const [path, content] of changes) {
      if (content === null) {
        state.delete(path);
        await write(`D ${path}\n`);
        continue;
      }
      state.set(path, content);
      await write(`M 100644 inline ${path}\n`);
      await data(Array.isArray(content) ? content.join('\n') + '\n' : content);
    }
    return m;
  };

  const newPath = (state) => {
    for (;;) {
      const dir = `${rand.pick(DIRS)}/${rand.pick(WORDS)}`;
      const path = `${dir}/${rand.pick(WORDS)}-${rand.int(100000)}${rand.pick(EXTS)}`;
      if (!state.has(path)) return path;
    }
  };

  const ordinaryChanges = (state, n) => {
    const paths = [...state.keys()].filter((k) => Array.isArray(state.get(k)));
    const changes = new Map();
    for (let i = 0; i < n; i++) {
      const r = rand.int(40);
      if (r === 0)
        changes.set(newPath(state), pseudoRandomBytes(p.seed, `bin${mark}:${i}`, 1024 + rand.int(64 << 10)));
      else if (r < 4) changes.set(newPath(state), newTextFile(rand));
      else if (r === 4 && paths.length > 50) changes.set(rand.pick(paths), null);
      else {
        const path = rand.pick(paths);
        changes.set(path, mutate(rand, changes.get(path) ?? state.get(path)));
      }
    }
    return changes;
  };

  const message = (i) => {
    const lines = [`${rand.pick(WORDS)}: ${textLine(rand).trim()} (#${i})`, ''];
    const body = rand.int(6);
    for (let j = 0; j < body; j++) lines.push(textLine(rand).trim());
    return lines.join('\n') + '\n';
  };

  // Where the planted keys go, by main-line commit index (spread over the history).
  const at = (f) => Math.max(1, Math.floor(p.commits * f));
  const plan = new Map(
    p.plantKeys
      ? [
          [at(0.07), 'env'],
          [at(0.31), 'topic'],
          [at(0.52), 'message'],
          [at(0.78), 'release-added-then-deleted'],
          [at(0.86), 'tag-only'],
          [at(0.93), 'release-session'],
        ]
      : [],
  );
  const largeAt = new Map();
  for (let k = 0; k < p.largeFiles; k++) largeAt.set(at(0.1 + (0.8 * k) / Math.max(1, p.largeFiles)), k);

  // The first commit.
  const main = new Map();
  const init = new Map();
  for (let i = 0; i < p.files; i++) init.set(newPath(init), newTextFile(rand));
  let tip = await commit('refs/heads/main', main, [], init, 'Initial import\n');

  const releases = [];
  let releaseNo = 0;
  for (let i = 1; i < p.commits; i++) {
    const n = Math.max(1, Math.round(p.changesPerCommit * (0.25 + rand() * 1.5)));
    const changes = ordinaryChanges(main, n);
    let msg = message(i);
    const plant = plan.get(i);
    const large = largeAt.get(i);

    if (typeof large === 'number') {
      // A large file, then a second version of it a few commits later.
      const path = large % 2 === 0 ? `data/dump-${large}.sql` : `assets/model-${large}.bin`;
      const size = p.largeMiB << 20;
      let content;
      if (large % 2 === 0) {
        const rows = [];
        let bytes = 0;
        for (let r = 0; bytes < size; r++) {
          const row = `INSERT INTO events VALUES (${r}, '${textLine(rand).trim()}', ${rand.int(1e9)});`;
          rows.push(row);
          bytes += row.length + 1;
        }
        content = Buffer.from(rows.join('\n') + '\n');
      } else content = pseudoRandomBytes(p.seed, path, size);
      changes.set(path, content);
      let again = i + 5 + rand.int(20);
      while (largeAt.has(again)) again++;
      largeAt.set(again, { path, content });
    } else if (large && typeof large === 'object') {
      // Second version: a changed region in the middle (the key is planted in one of them).
      const copy = Buffer.from(large.content);
      const mid = copy.length >> 1;
      let insert = Buffer.from(`\n-- updated ${i}\n`);
      if (p.plantKeys && !planted.some((x) => x.where === 'large-file')) {
        const [text, id] = plantedContent(keyRand, 'env');
        insert = Buffer.from(`\n-- restored from backup\n${text}`);
        planted.push({ keyId: id, where: 'large-file', path: large.path, mainIndex: i });
      }
      changes.set(large.path, Buffer.concat([copy.subarray(0, mid), insert, copy.subarray(mid)]));
    }

    if (plant === 'env') {
      const [text, id] = plantedContent(keyRand, 'env');
      changes.set('config/prod.env', text);
      planted.push({ keyId: id, where: 'file', path: 'config/prod.env', mainIndex: i });
    } else if (plant === 'message') {
      const [text, id] = plantedContent(keyRand, 'message');
      msg += `\nrotated the deploy ${text}`;
      planted.push({ keyId: id, where: 'commit-message', path: null, mainIndex: i });
    }

    tip = await commit('refs/heads/main', main, [tip], changes, msg);

    // Topic branches: a few commits off main, merged back with a merge commit (no fast-forward).
    if (rand.int(25) === 0 || plant === 'topic') {
      const name = `refs/heads/topic/${i}`;
      const topic = new Map(main);
      let ttip = tip;
      const touched = new Map();
      const k = 2 + rand.int(6);
      for (let c = 0; c < k; c++) {
        const tc = ordinaryChanges(topic, 1 + rand.int(4));
        if (plant === 'topic' && c === 1) {
          const [text, id] = plantedContent(keyRand, 'python');
          tc.set('deploy/settings.py', text);
          planted.push({ keyId: id, where: 'topic-branch', path: 'deploy/settings.py', mainIndex: i });
        }
        for (const [path, content] of tc) touched.set(path, content);
        ttip = await commit(name, topic, [ttip], tc, message(i));
      }
      // Main moves on meanwhile, then merges the topic (the topic's version wins any clash).
      const side = ordinaryChanges(main, 2);
      for (const path of touched.keys()) side.delete(path);
      tip = await commit('refs/heads/main', main, [tip], side, message(i));
      tip = await commit('refs/heads/main', main, [tip, ttip], touched, `Merge branch 'topic/${i}'\n`);
      // Merged topics are deleted, as on a real project; only the merge keeps them reachable.
      await write(`reset ${name}\nfrom 0000000000000000000000000000000000000000\n\n`);
    }

    // Long-lived release branches, never merged back.
    if (i % Math.max(2, Math.floor(p.commits / 4)) === 0 || plant?.startsWith('release')) {
      const name = `refs/heads/release/${++releaseNo}`;
      const rel = new Map(main);
      let rtip = tip;
      for (let c = 0; c < 3 + rand.int(5); c++) {
        const rc = ordinaryChanges(rel, 1 + rand.int(3));
        if (plant === 'release-added-then-deleted' && c === 0) {
          const [text, id] = plantedContent(keyRand, 'json');
          rc.set('tmp/credentials.json', text);
          planted.push({
            keyId: id,
            where: 'added-then-deleted',
            path: 'tmp/credentials.json',
            mainIndex: i,
          });
        } else if (plant === 'release-added-then-deleted' && c === 1) rc.set('tmp/credentials.json', null);
        if (plant === 'release-session' && c === 2) {
          const [text, id] = plantedContent(keyRand, 'session');
          rc.set('.aws/credentials', text);
          planted.push({ keyId: id, where: 'release-branch', path: '.aws/credentials', mainIndex: i });
        }
        rtip = await commit(name, rel, [rtip], rc, message(i));
      }
      releases.push(name);
    }

    // A commit only a tag reaches (an experiment someone tagged and never merged).
    if (plant === 'tag-only') {
      const [text, id] = plantedContent(keyRand, 'json');
      const exp = new Map(main);
      const t = await commit(
        'refs/tags/experiment-1',
        exp,
        [tip],
        new Map([['experiments/aws.json', text]]),
        'experiment\n',
      );
      planted.push({ keyId: id, where: 'tag-only', path: 'experiments/aws.json', mainIndex: i, mark: t });
    }

    if (i % 250 === 0) {
      await write(`tag v0.${i / 250}\nfrom :${tip}\ntagger ${AUTHORS[0]} ${clock} +0000\n`);
      await data(`Release v0.${i / 250}\n`);
    }
  }
  await write('done\n');
  return { planted, releases };
}

/** The cache key of a parameter set: same parameters and generator, same repository. */
export function synthKey(p) {
  const canon = JSON.stringify({ v: GENERATOR_VERSION, ...p }, Object.keys({ v: 0, ...p }).sort());
  return createHash('sha256').update(canon).digest('hex').slice(0, 12);
}

/**
 * Returns the synthetic repository for `params` (built on first use, then cached under `cacheDir`) and
 * its manifest of planted keys.
 */
export async function ensureSyntheticRepo(params, cacheDir, log = () => {}) {
  const p = { ...DEFAULT_SYNTH, ...params };
  const home = join(cacheDir, `synth-${synthKey(p)}`);
  const repo = join(home, 'repo.git');
  const manifestPath = join(home, 'manifest.json');
  if (existsSync(manifestPath))
    return { dir: repo, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) };

  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const tmp = join(home, 'building.git');
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', tmp], { env });
  log(`building synthetic history ${JSON.stringify(p)} in ${home}`);
  const started = Date.now();
  const fi = spawn('git', ['fast-import', '--quiet', '--done'], {
    cwd: tmp,
    env,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve, reject) => {
    fi.on('error', reject);
    fi.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}`)),
    );
  });
  const { planted, releases } = await writeHistory(p, fi.stdin);
  fi.stdin.end();
  await exited;
  // Repack as a server would before a clone: fast-import's pack is loosely deltified and unordered.
  log('repacking');
  execFileSync('git', ['repack', '-a', '-d', '-q', '--window=10', '--depth=50'], {
    cwd: tmp,
    env,
    stdio: 'inherit',
  });
  execFileSync('git', ['gc', '--auto', '-q'], { cwd: tmp, env });
  renameSync(tmp, repo);
  const manifest = { params: p, planted, releases, buildSeconds: (Date.now() - started) / 1000 };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { dir: repo, manifest };
}
