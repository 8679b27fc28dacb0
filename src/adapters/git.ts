import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptions } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../core/errors.js';

/**
 * The only code in keyleak that runs git. It exposes what the scanner and the flows need, as verbs in
 * keyleak's terms (objects, commits and the files they changed, refs holding a commit, the whole history
 * fetched), and hides how git is asked for them: argv is built here alone, and every child goes through
 * one spawn with its watchdog.
 */

export type ObjectType = 'blob' | 'commit' | 'tree' | 'tag';

export interface ObjectInfo {
  oid: string;
  type: ObjectType;
  size: number;
}

/** Receives one object's content from a streaming reader, in pieces of any size. */
export interface ObjectSink {
  begin(oid: string, type: ObjectType, size: number): void;
  data(piece: Buffer): void;
  end(): void;
}

/** A file version a commit introduced (an added or modified path). */
export interface Change {
  path: string;
  oid: string;
  /** The blob the path held before, or null when the path was added. */
  srcOid: string | null;
}

/** What Git.listCommits asks git's log for: the fields of a CommitTree. */
const COMMIT_TREE_FORMAT = '%H%x02%P%x02%T%x02%an <%ae>%x02%aI';

/** A commit with its tree (Git.listCommits). */
export interface CommitTree {
  sha: string;
  parents: string[];
  tree: string;
  author: string;
  date: string;
}

export interface CommitChanges {
  sha: string;
  parents: string[];
  author: string;
  date: string;
  /** For merges, the changes against the first parent. */
  changes: Change[];
}

/**
 * Which history a scan covers, in keyleak's terms; only this adapter turns it into git's revisions.
 * - `all`: every branch and tag, and `HEAD`; with `remotes`, the remote-tracking branches too (a
 *   checkout whose other branches were fetched as `origin/*`).
 * - `range`: the commits reachable from `include` and not from `exclude`.
 */
export type HistorySelection =
  { mode: 'all'; remotes: boolean } | { mode: 'range'; include: string[]; exclude: string[] };

export class GitError extends Error {
  override name = 'GitError';
}

const ZERO_OID = /^0+$/;
const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** Title of git's progress lines, kept out of error messages. */
const PROGRESS = 'keyleak-walk';

/**
 * For the git children that read many objects (cat-file, log, rev-list): pack windows mapped a little at
 * a time and a smaller delta-base cache, so a child's memory stays bounded instead of mapping every pack
 * whole (resident as it is read: the size of the history).
 */
const BOUNDED_READS = [
  '-c',
  'core.packedGitWindowSize=16m',
  '-c',
  'core.packedGitLimit=64m',
  '-c',
  'core.deltaBaseCacheLimit=48m',
];

/**
 * A git child that writes nothing (output, errors or progress) for this long is stopped: a damaged or
 * hostile store, or a remote that never answers, must not hang the run. Idle time, not total time, so
 * the limit grows with the work: a long walk or a large read keeps writing. KEYLEAK_GIT_IDLE_SECONDS
 * overrides it, read at each spawn.
 */
const idleMs = (): number => (Number(process.env.KEYLEAK_GIT_IDLE_SECONDS) || 600) * 1000;

/**
 * A git child whose resident memory passes this is stopped: git loops on a cycle of deltas, growing its
 * memory by some 200 MB a second while writing nothing, and would take the machine's memory long before
 * the idle limit. Half the machine's memory, 2 GiB at least; KEYLEAK_GIT_MEMORY_MB overrides it. Read
 * from /proc, so on Linux only.
 */
const memoryLimit = (): number => {
  // A container's limit, where there is one, is the machine's memory for this purpose.
  const machine = Math.min(totalmem(), process.constrainedMemory() || Infinity);
  return (
    (Number(process.env.KEYLEAK_GIT_MEMORY_MB) || Math.max(2048, Math.floor(machine / 2 ** 21))) * 2 ** 20
  );
};
const MEMORY_POLL_MS = 250;

/** Spawns git with the idle and memory watchdogs: `stalled` says why it was stopped, or stays null. */
function spawnGit(
  args: string[],
  opts: SpawnOptions,
): ChildProcessWithoutNullStreams & { stalled: string | null } {
  // Every caller pipes stderr; stdout is piped, or a file (a kept walk), whose growth is progress.
  const child = Object.assign(spawn('git', args, opts) as ChildProcessWithoutNullStreams, {
    stalled: null as string | null,
  });
  const outFile = Array.isArray(opts.stdio) && typeof opts.stdio[1] === 'number' ? opts.stdio[1] : null;
  const stop = (why: string, knob: string): void => {
    if (child.stalled) return;
    child.stalled = `git ${commandOf(args)} ${why} and was stopped (a damaged or hostile object store can do this: run \`git fsck\`; ${knob} raises the limit)`;
    child.kill('SIGKILL');
  };
  let timer: NodeJS.Timeout;
  const idle = idleMs();
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => stop(`made no progress for ${idle / 1000} s`, 'KEYLEAK_GIT_IDLE_SECONDS'), idle);
    timer.unref();
  };
  arm();
  child.stdout?.on('data', arm);
  child.stderr.on('data', arm);
  let written = 0;
  const growth =
    outFile === null
      ? undefined
      : setInterval(() => {
          let size: number;
          try {
            size = fstatSync(outFile).size;
          } catch {
            return clearInterval(growth); // the file is closed: the walk is over
          }
          if (size !== written) arm();
          written = size;
        }, MEMORY_POLL_MS);
  growth?.unref();
  const limit = memoryLimit();
  const poll =
    process.platform === 'linux' && child.pid
      ? setInterval(() => {
          readFile(`/proc/${child.pid}/status`, 'utf8').then(
            (status) => {
              const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
              if (kb * 1024 > limit)
                stop(`used more than ${limit / 2 ** 20} MiB of memory`, 'KEYLEAK_GIT_MEMORY_MB');
            },
            () => {}, // the child is gone already
          );
        }, MEMORY_POLL_MS)
      : undefined;
  poll?.unref();
  child.on('close', () => {
    clearTimeout(timer);
    clearInterval(poll);
    clearInterval(growth);
  });
  return child;
}

/** The git command `args` run (`fetch` in `-c protocol.version=2 fetch …`), for messages. */
function commandOf(args: string[]): string {
  return args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? args[0]!;
}

/**
 * Runs git to the end and returns its stdout; a non-zero exit becomes a GitError carrying git's own
 * message, with `secret` (a token in the environment) blanked out of it.
 */
function runGit(
  args: string[],
  opts: { cwd?: string; env: NodeJS.ProcessEnv },
  input?: string,
  secret?: string | null,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(args, {
      ...opts,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`)));
    child.on('close', (code) => {
      if (child.stalled) return reject(new GitError(child.stalled));
      if (code === 0) return resolve(Buffer.concat(out));
      let msg = Buffer.concat(err).toString('utf8').trim() || `exit code ${code}`;
      if (secret) msg = msg.split(secret).join('***');
      reject(new GitError(`git ${commandOf(args)} failed: ${msg}`));
    });
    if (input !== undefined) {
      child.stdin.on('error', () => {}); // git may exit before reading all input; the exit code tells.
      child.stdin.end(input);
    }
  });
}

/** How many times one read restarts git past an object it could not read. */
const MAX_RESTARTS = 1000;

/**
 * Environment that keeps git from prompting or lazily fetching missing objects behind our back, and
 * takes every path keyleak passes as a literal path: a file named `:(glob)…` is a file, not pathspec
 * magic that makes git refuse the whole command.
 */
const GIT_ENV = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_NO_LAZY_FETCH: '1',
  GIT_LITERAL_PATHSPECS: '1',
  LC_ALL: 'C',
};

/** Which refs a question is about: `local` branches and tags, `remote`-tracking branches, `tags`, or `all`. */
export type RefScope = 'local' | 'remote' | 'tags' | 'all';

const REF_NAMESPACES: Record<RefScope, string[]> = {
  local: ['refs/heads', 'refs/tags'],
  remote: ['refs/remotes'],
  tags: ['refs/tags'],
  all: ['refs/heads', 'refs/remotes', 'refs/tags'],
};

export class Git {
  private constructor(readonly dir: string) {}

  /** Opens the repository at `dir`, or throws a UsageError saying why it is not one. */
  static async open(dir: string): Promise<Git> {
    const git = new Git(dir);
    try {
      await git.run(['rev-parse', '--git-dir']);
    } catch (e) {
      throw new UsageError(`'${dir}' is not a git repository (${(e as Error).message.split('\n')[0]})`);
    }
    return git;
  }

  /** Runs git and returns its stdout; a non-zero exit becomes a GitError carrying git's own message. */
  private async run(args: string[], input?: string): Promise<string> {
    return (await runGit(args, { cwd: this.dir, env: GIT_ENV }, input)).toString('utf8');
  }

  /** True when git exits with 0 (the yes/no questions: `cat-file -e`, `merge-base --is-ancestor`). */
  private succeeds(args: string[]): Promise<boolean> {
    return this.run(args).then(
      () => true,
      () => false,
    );
  }

  async isShallow(): Promise<boolean> {
    return (await this.run(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
  }

  /**
   * The object directory, when this reader can read it directly (SHA-1 objects); null otherwise, and
   * the caller asks git for every object.
   */
  async objectDirectory(): Promise<string | null> {
    const out = await this.run(['rev-parse', '--show-object-format', '--git-path', 'objects']).catch(
      () => '',
    );
    const [format, path] = out.split('\n');
    if (format !== 'sha1' || !path) return null;
    return resolvePath(this.dir, path);
  }

  /** The shallow boundary: commits whose parents the clone does not have (empty when not shallow). */
  async shallowCommits(): Promise<Set<string>> {
    const path = (await this.run(['rev-parse', '--git-path', 'shallow'])).trim();
    const text = await readFile(resolvePath(this.dir, path), 'utf8').catch(() => '');
    return new Set(text.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l)));
  }

  /** True for a partial clone (objects may be missing by design). */
  async isPartial(): Promise<boolean> {
    const out = await this.run([
      'config',
      '--get-regexp',
      '^(remote\\..*\\.promisor|extensions\\.partialclone)$',
    ]).catch(() => '');
    return out.split('\n').some((l) => /\s(true|\S+)$/.test(l) && !/\sfalse$/.test(l));
  }

  /** The full SHA of a commit, or a UsageError naming the revision that does not resolve. */
  async resolveCommit(rev: string): Promise<string> {
    if (rev.startsWith('-')) throw new UsageError(`invalid revision '${rev}'`);
    try {
      return (
        await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])
      ).trim();
    } catch {
      throw new UsageError(`unknown revision '${rev}': no such commit in ${this.dir}`);
    }
  }

  /** True when the object store has `sha` as a commit. */
  hasCommit(sha: string): Promise<boolean> {
    return this.succeeds(['cat-file', '-e', `${sha}^{commit}`]);
  }

  /** True when `sha` is an annotated tag object. */
  isTagObject(sha: string): Promise<boolean> {
    return this.succeeds(['cat-file', '-e', `${sha}^{tag}`]);
  }

  /** True when `ancestor` is in the history of `of` (a commit is its own ancestor). */
  isAncestor(ancestor: string, of: string): Promise<boolean> {
    return this.succeeds(['merge-base', '--is-ancestor', ancestor, of]);
  }

  /** `for-each-ref` over `namespaces`, one line a ref, symbolic `…/HEAD` refs left out. */
  private async forEachRef(format: string, filters: string[], namespaces: RefScope): Promise<string[][]> {
    const out = await this.run([
      'for-each-ref',
      `--format=%(refname) ${format}`,
      ...filters,
      ...REF_NAMESPACES[namespaces],
    ]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '))
      .filter((f) => !f[0]!.endsWith('/HEAD'));
  }

  /** Tips of every branch and tag (a tag's tip is its tag object, as in a clone). */
  async refTips(): Promise<string[]> {
    return (await this.forEachRef('%(objectname)', [], 'local')).map((f) => f[1]!);
  }

  /** Annotated tag objects named by tag refs, each with the first ref naming it. */
  async tagRefs(): Promise<Map<string, string>> {
    const refs = new Map<string, string>();
    for (const [ref, type, oid] of await this.forEachRef('%(objecttype) %(objectname)', [], 'tags')) {
      if (type === 'tag' && oid && !refs.has(oid)) refs.set(oid, ref!);
    }
    return refs;
  }

  /** Every branch (local and remote-tracking) and tag, with tags peeled to their commit. */
  async refs(): Promise<{ ref: string; sha: string }[]> {
    return (await this.forEachRef('%(objectname) %(*objectname)', [], 'all')).map((f) => ({
      ref: f[0]!,
      sha: f[2] || f[1]!,
    }));
  }

  /** Refs in `scope` whose history holds `commit`, by full name. */
  async refsHolding(commit: string, scope: RefScope = 'all'): Promise<string[]> {
    return (await this.forEachRef('', [`--contains=${commit}`], scope)).map((f) => f[0]!);
  }

  /** Refs (every branch, remote-tracking ones included, and tag) whose tips `commit`'s history holds. */
  async refsMergedInto(commit: string): Promise<string[]> {
    return (await this.forEachRef('', [`--merged=${commit}`], 'all')).map((f) => f[0]!);
  }

  /** True when the repository has a remote called `name`. */
  async hasRemote(name = 'origin'): Promise<boolean> {
    const out = await this.run(['remote']).catch(() => '');
    return out.split('\n').includes(name);
  }

  /** Fetches `commits` (SHAs or refs of origin) without tags; the error names what was asked for. */
  fetchCommits(commits: string[]): Promise<void> {
    return this.fetchOrigin(['origin', ...commits]);
  }

  /** Deepens a shallow checkout by `depth` commits behind `commit`. */
  deepen(depth: number, commit: string): Promise<void> {
    return this.fetchOrigin([`--deepen=${depth}`, 'origin', commit]);
  }

  /**
   * Makes the checkout hold the repository's whole history: actions/checkout fetches one commit of one
   * branch unless told otherwise, and a scan of that would pass over everything else. A shallow checkout
   * is unshallowed, with every branch of origin as `origin/*` (and every tag with `tags`); `always`
   * fetches the branches even into a checkout that is not shallow. `why` says what needs the history.
   */
  async fetchWholeHistory(
    why: string,
    log: (m: string) => void,
    opts: { tags?: boolean; always?: boolean } = {},
  ): Promise<void> {
    const shallow = await this.isShallow();
    if (!(await this.hasRemote())) {
      if (!shallow) return;
      throw new Error(
        `the checkout is shallow and has no 'origin' remote to fetch the whole history from (${why}). Use fetch-depth: 0 on actions/checkout.`,
      );
    }
    if (!shallow && !opts.always) return;
    log(`fetching the whole history from origin (${why})`);
    try {
      await this.fetchOrigin([
        ...(shallow ? ['--unshallow'] : []),
        ...(opts.tags ? ['--tags'] : []),
        'origin',
        '+refs/heads/*:refs/remotes/origin/*',
      ]);
    } catch (e) {
      throw new Error(
        `could not fetch the whole history from origin (${why}): ${(e as Error).message}. Use fetch-depth: 0 on actions/checkout.`,
      );
    }
  }

  /** Runs `git fetch` against origin; the error names what was asked for and git's reason. */
  private async fetchOrigin(args: string[]): Promise<void> {
    try {
      await this.run(['-c', 'protocol.version=2', 'fetch', '--no-tags', '--quiet', ...args]);
    } catch (e) {
      throw new GitError(
        `git fetch ${args.join(' ')}: ${(e as Error).message.replace(/^git fetch failed: /, '')}`,
      );
    }
  }

  /** Sizes of the objects in `oids` that the store has. */
  async objectSizes(oids: readonly string[]): Promise<Map<string, number>> {
    const out = await this.run(
      ['cat-file', '--batch-check=%(objectname) %(objectsize)'],
      oids.join('\n') + '\n',
    );
    const sizes = new Map<string, number>();
    for (const [oid, size] of out.split('\n').map((l) => l.split(' '))) {
      if (oid && size !== undefined && /^[0-9]+$/.test(size)) sizes.set(oid, Number(size));
    }
    return sizes;
  }

  /**
   * Objects of `types` in the object store, in pack order (fast to read back in that order). An object
   * git lists but cannot read is in `unreadable` (an index naming objects its pack does not hold).
   * Objects in `skip` are left out without git looking into them: git resolves a delta chain to tell an
   * object's type, and loops without end on a cycle of deltas.
   */
  async listObjects(
    types: ReadonlySet<ObjectType>,
    unreadable: string[] = [],
    skip: ReadonlySet<string> = new Set(),
  ): Promise<ObjectInfo[]> {
    const list: ObjectInfo[] = [];
    const all = ['cat-file', '--batch-all-objects', '--unordered'];
    const check = '--batch-check=%(objectname) %(objecttype) %(objectsize)';
    // Names alone need no object read; the others' types are then asked for one by one.
    const names: string[] = [];
    if (skip.size > 0)
      await this.streamLines([...all, '--batch-check=%(objectname)'], (l) => {
        if (l && !skip.has(l)) names.push(l);
      });
    await this.streamLines(
      skip.size > 0 ? ['cat-file', check] : [...all, check],
      (line) => {
        const a = line.indexOf(' ');
        const b = line.indexOf(' ', a + 1);
        if (a > 0 && b < 0) {
          // `<oid> missing` (or another one-word status): listed, not readable.
          if (line.length > a + 1) unreadable.push(line.slice(0, a));
          return;
        }
        const type = line.slice(a + 1, b) as ObjectType;
        if (types.has(type)) list.push({ oid: line.slice(0, a), type, size: Number(line.slice(b + 1)) });
      },
      skip.size > 0 ? names.map((n) => `${n}\n`).join('') : undefined,
    );
    return list;
  }

  /** Objects the commits of `sel` refer to (for a range, those its start does not: new in the range). */
  async listNewObjects(sel: HistorySelection): Promise<string[]> {
    const oids: string[] = [];
    const args = [
      'rev-list',
      '--objects',
      '--no-object-names',
      '--missing=print',
      ...(await this.revisions(sel)),
    ];
    await this.streamLines(args, (line) => {
      if (line) oids.push(line.startsWith('?') ? line.slice(1) : line);
    });
    return oids;
  }

  /**
   * Objects that the history of `sel` refers to but the store lacks (corruption, a snapshot without
   * large objects). A full walk of the history: run it alongside the object pass.
   */
  async missingObjects(sel: HistorySelection): Promise<string[]> {
    const missing: string[] = [];
    const revs = await this.revisions(sel);
    // --quiet keeps the present objects out of the output; only the missing ones are printed.
    try {
      await this.streamLines(
        // Progress on stderr tells the idle watchdog the walk is moving (--quiet prints nothing else).
        [
          'rev-list',
          '--objects',
          '--no-object-names',
          '--missing=print',
          '--quiet',
          `--progress=${PROGRESS}`,
          ...revs,
        ],
        (line) => {
          if (line.startsWith('?')) missing.push(line.slice(1));
        },
      );
    } catch (e) {
      // A missing commit stops the walk (--missing covers trees and blobs only): it is missing too, and
      // what lies behind it could not be walked.
      const commit = /Could not read ([0-9a-f]{40})/.exec((e as Error).message)?.[1];
      if (!commit) throw e;
      missing.push(commit);
    }
    return missing;
  }

  /**
   * Streams `git cat-file --batch` for `oids` into `sink`. Returns the oids git reported missing or could
   * not read: git stops at an object it cannot read (a corrupt pack entry), and the rest is read by a new
   * process, so one bad object never hides the others. Memory stays bounded by the pipe's chunk size
   * whatever the size of the objects.
   */
  async readObjects(oids: readonly string[], sink: ObjectSink): Promise<string[]> {
    const missing: string[] = [];
    let rest = oids;
    for (let restarts = 0; rest.length > 0; restarts++) {
      const got = await this.readObjectsOnce(rest, sink);
      missing.push(...got.missing);
      if (got.failedAt < 0) break;
      missing.push(rest[got.failedAt]!);
      // Bounded: a store that breaks git this often is reported as unread past this point.
      if (restarts >= MAX_RESTARTS) {
        missing.push(...rest.slice(got.failedAt + 1));
        break;
      }
      rest = rest.slice(got.failedAt + 1);
    }
    return missing;
  }

  private readObjectsOnce(
    oids: readonly string[],
    sink: ObjectSink,
  ): Promise<{ missing: string[]; failedAt: number }> {
    return new Promise((resolve, reject) => {
      const child = spawnGit([...BOUNDED_READS, 'cat-file', '--batch'], {
        cwd: this.dir,
        env: GIT_ENV,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const parser = new BatchParser(sink);
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => {
        try {
          parser.push(b);
        } catch (e) {
          child.kill();
          reject(e);
        }
      });
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`)));
      child.on('close', (code) => {
        if (code === 0 && parser.idle()) return resolve({ missing: parser.missing, failedAt: -1 });
        // git stopped, or was stopped by a watchdog (a cycle of deltas it loops on), at the object it was
        // answering: the one whose header came last, if its content was cut short, or the next one.
        const failedAt = parser.idle() ? parser.answered : parser.answered - 1;
        if (failedAt < 0 || failedAt >= oids.length) {
          if (child.stalled) return reject(new GitError(child.stalled));
          return reject(
            new GitError(
              `git cat-file failed: ${Buffer.concat(err).toString('utf8').trim() || `exit ${code}`}`,
            ),
          );
        }
        parser.reset();
        resolve({ missing: parser.missing, failedAt });
      });
      child.stdin.on('error', () => {});
      // One write: git reads as it goes, node buffers the rest (41 bytes an object).
      child.stdin.end(oids.length > 0 ? oids.join('\n') + '\n' : '');
    });
  }

  /**
   * Streams the commits of `sel` with the files each one added or modified, newest first (merges diffed
   * against their first parent: the caller decides what a merge itself introduced); with `paths` (raw
   * bytes, or text), only the changes to those paths and what lies below them, every commit that made
   * one listed (no history simplification).
   */
  async logChanges(
    sel: HistorySelection,
    onCommit: (c: CommitChanges) => void,
    paths: readonly (string | Buffer)[] = [],
    objects: readonly string[] = [],
    /** git processes to share the walk between, when it is limited to `objects` and not to paths. */
    parallel = 1,
  ): Promise<void> {
    // With `objects`, git lists only the commits that changed a path to or from one of them, and only
    // those changes: what it prints (and this process parses) follows them, not the history.
    const find = objects.filter((o) => OID.test(o)).map((o) => `--find-object=${o}`);
    const revs = await this.revisions(sel);
    if (paths.length > 0) {
      const spec = pathspecInput(paths);
      // A path git's input cannot carry leaves the walk unlimited: more changes, never fewer.
      if (spec) return this.log([...find, '--full-history', '--stdin', ...revs], onCommit, spec);
    }
    if (find.length === 0 || parallel < 2) return this.log([...find, ...revs], onCommit);
    // Diffing each commit's trees is the walk's cost, and each commit is diffed on its own: the commits,
    // listed in the walk's order, are shared out between processes in blocks dealt in turn (newer commits
    // have larger trees: a process given the newest half would take most of the time), and what they
    // find is given in the walk's order. They print a few commits: holding them until their turn costs
    // nothing.
    const commits: string[] = [];
    await this.streamLines(['rev-list', ...revs], (line) => {
      if (line) commits.push(line);
    });
    const runs = Math.min(parallel, Math.ceil(commits.length / parallelWalk.min));
    if (runs < 2) return this.log([...find, ...revs], onCommit);
    const blockOf = new Map<string, number>();
    const { block: blockSize } = parallelWalk;
    const blocks = Math.ceil(commits.length / blockSize);
    const dealt: string[][] = Array.from({ length: runs }, () => []);
    for (let b = 0; b < blocks; b++) {
      const block = commits.slice(b * blockSize, (b + 1) * blockSize);
      for (const sha of block) blockOf.set(sha, b);
      dealt[b % runs]!.push(...block);
    }
    const found: CommitChanges[][] = Array.from({ length: blocks }, () => []);
    await Promise.all(
      dealt.map(async (mine) => {
        const parse = commitParser((c) => found[blockOf.get(c.sha)!]!.push(c));
        await this.streamTokens(
          logArgs(['--no-walk=unsorted', '--stdin', ...find]),
          '\0',
          parse.token,
          mine.join('\n') + '\n',
        );
        parse.end();
      }),
    );
    for (const block of found) for (const c of block) onCommit(c);
  }

  /**
   * The commits of `sel` in the order `logChanges` gives them (newest first), each with its parents, tree,
   * author and date: a walk of the commits alone, reading no tree.
   */
  listCommits(sel: HistorySelection): Promise<CommitTree[]> {
    // Kept in a file as git writes it: a caller busy meanwhile (reading trees) does not hold git back.
    const kept = this.keep(
      this.revisions(sel).then((revs) => ['log', '-z', `--format=${COMMIT_TREE_FORMAT}`, ...revs, '--']),
      Number.MAX_SAFE_INTEGER,
    );
    return kept.done
      .then(() => {
        const out: CommitTree[] = [];
        const tokens = new TokenSplitter('\0', (token) => {
          const t = token.replace(/^\n+/, '');
          if (!t) return;
          const [sha, parents, tree, author, date] = t.split('\x02');
          out.push({
            sha: sha!,
            parents: parents ? parents.split(' ') : [],
            tree: tree!,
            author: author!,
            date: date!,
          });
        });
        kept.read((s) => tokens.push(s));
        tokens.end();
        return out;
      })
      .finally(kept.discard);
  }

  /** Which of `commits` the history of `sel` holds: a walk of the commits alone, reading no tree. */
  async commitsAmong(sel: HistorySelection, commits: ReadonlySet<string>): Promise<Set<string>> {
    const found = new Set<string>();
    await this.streamLines(['rev-list', ...(await this.revisions(sel))], (line) => {
      if (commits.has(line)) found.add(line);
    });
    return found;
  }

  /** The changes of exactly these commits (no walk), in the order given. */
  async changesOf(commits: string[], onCommit: (c: CommitChanges) => void): Promise<void> {
    await this.log(['--no-walk=unsorted', ...commits], onCommit);
  }

  /** git's revision arguments for a selection: the one place "the whole history" is spelled. */
  private async revisions(sel: HistorySelection): Promise<string[]> {
    if (sel.mode === 'range') {
      return [...sel.include, ...(sel.exclude.length > 0 ? ['--not', ...sel.exclude] : [])];
    }
    const head = (await this.headCommit()) ? ['HEAD'] : [];
    return ['--branches', ...(sel.remotes ? ['--remotes'] : []), '--tags', ...head];
  }

  /** git log over `revs`; `input` is what its `--stdin` reads (revisions, then `--` and paths). */
  private async log(revs: string[], onCommit: (c: CommitChanges) => void, input?: Buffer): Promise<void> {
    const parse = commitParser(onCommit);
    await this.streamTokens(logArgs(revs), '\0', parse.token, input);
    parse.end();
  }

  /**
   * The walk `logChanges(sel, …)` makes, started now and kept (at most `limit` bytes of git's output) to
   * be replayed later: a scan with a core to spare runs it while it reads the packs, and replays it only
   * when it has something to attribute. Past `limit` git is stopped, and a replay walks again.
   */
  keepChanges(sel: HistorySelection, limit: number): KeptWalk {
    const kept = this.keep(
      this.revisions(sel).then((revs) => logArgs(revs)),
      limit,
    );
    return {
      whole: () =>
        kept.done.then(
          () => true,
          (e: unknown) => !(e instanceof Overflow),
        ),
      replay: async (onCommit) => {
        try {
          await kept.done;
        } catch (e) {
          if (!(e instanceof Overflow)) throw e;
          return this.logChanges(sel, onCommit);
        }
        const parse = commitParser(onCommit);
        const tokens = new TokenSplitter('\0', parse.token);
        kept.read((s) => tokens.push(s));
        tokens.end();
        parse.end();
      },
      discard: kept.discard,
    };
  }

  /**
   * Runs git with its output kept in a file of its own (at most `limit` bytes; past it git is stopped and
   * `done` rejects with an Overflow), so nothing here has to take the output as it comes: the process
   * works on whatever this one is busy with. `read` hands the output over as text once `done` settles.
   */
  private keep(
    args: Promise<string[]>,
    limit: number,
  ): { done: Promise<void>; read: (onData: (s: string) => void) => void; discard: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'keyleak-walk-'));
    const fd = openSync(join(dir, 'log'), 'w+', 0o600);
    // Held open, the file needs no name: removed now, nothing is left behind however this process ends
    // (where an open file cannot be removed, it is removed when discarded).
    let removed = false;
    try {
      rmSync(dir, { recursive: true, force: true });
      removed = true;
    } catch {
      // removed when discarded
    }
    let child: ReturnType<typeof spawnGit> | null = null;
    let discarded = false;
    let overflow = false;
    const done = args.then(
      (own) =>
        new Promise<void>((resolve, reject) => {
          if (discarded) return reject(new GitError('git was stopped'));
          const all = [...BOUNDED_READS, ...own];
          const c = spawnGit(all, { cwd: this.dir, env: GIT_ENV, stdio: ['ignore', fd, 'pipe'] });
          child = c;
          const err: Buffer[] = [];
          c.stderr.on('data', (b: Buffer) => err.push(b));
          const bound = setInterval(() => {
            try {
              if (fstatSync(fd).size <= limit) return;
            } catch {
              return clearInterval(bound); // the file is closed: the output was discarded
            }
            overflow = true;
            c.kill();
          }, 50);
          c.on('error', (e) => {
            clearInterval(bound);
            reject(new GitError(`could not run git: ${e.message}`));
          });
          c.on('close', (code) => {
            clearInterval(bound);
            if (overflow || fstatSync(fd).size > limit) return reject(new Overflow());
            const failure = gitFailure(own, code, c.stalled, err);
            if (discarded) return reject(new GitError('git was stopped'));
            return failure ? reject(failure) : resolve();
          });
        }),
    );
    done.catch(() => {}); // awaited by a reader; not left unhandled when discarded
    const free = (): void => {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
      if (!removed) rmSync(dir, { recursive: true, force: true });
    };
    return {
      done,
      read: (onData) => {
        const decoder = new StringDecoder('utf8');
        const piece = Buffer.allocUnsafe(1 << 20);
        for (let at = 0, n = 0; (n = readSync(fd, piece, 0, piece.length, at)) > 0; at += n)
          onData(decoder.write(piece.subarray(0, n)));
        onData(decoder.end());
      },
      discard: () => {
        if (discarded) return;
        discarded = true;
        if (child && child.exitCode === null && child.signalCode === null) {
          (child as ReturnType<typeof spawnGit>).once('close', free);
          (child as ReturnType<typeof spawnGit>).kill();
        } else done.finally(free).catch(() => {});
      },
    };
  }

  /** Files staged in the index that differ from HEAD (or every staged file before the first commit). */
  async stagedChanges(): Promise<Change[]> {
    const base = (await this.headCommit()) ? 'HEAD' : await this.emptyTree();
    const out = await this.run(['diff', '--cached', '--raw', '--no-abbrev', '--no-renames', '-z', base]);
    const changes: Change[] = [];
    const raw = new RawDiffReader((ch) => changes.push({ ...ch, srcOid: null }));
    for (const token of out.split('\0')) raw.push(token);
    return changes;
  }

  private async emptyTree(): Promise<string> {
    return (await this.run(['hash-object', '-t', 'tree', '--stdin'])).trim();
  }

  /** The blob at `path` in each of `revs`, or null where there is none; one process for all of them. */
  async blobsAt(specs: string[]): Promise<(string | null)[]> {
    if (specs.length === 0) return [];
    const out = await this.run(
      ['cat-file', '--batch-check=%(objectname) %(objecttype)'],
      specs.join('\n') + '\n',
    );
    return out
      .split('\n')
      .slice(0, specs.length)
      .map((l) => (/^[0-9a-f]{40,64} blob$/.test(l) ? l.split(' ')[0]! : null));
  }

  private streamLines(
    args: string[],
    onLine: (line: string) => void,
    input?: string | Buffer,
  ): Promise<void> {
    return this.streamTokens(args, '\n', onLine, input);
  }

  private streamTokens(
    args: string[],
    sep: string,
    onToken: (t: string) => void,
    input?: string | Buffer,
  ): Promise<void> {
    const tokens = new TokenSplitter(sep, onToken);
    return this.stream(args, (s) => tokens.push(s), input).then(() => tokens.end());
  }

  /**
   * Runs git, handing its stdout to `onData` as text as it comes; a non-zero exit, a watchdog's stop or
   * a throw from `onData` (which stops git) rejects.
   */
  private stream(args: string[], onData: (s: string) => void, input?: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawnGit([...BOUNDED_READS, ...args], {
        cwd: this.dir,
        env: GIT_ENV,
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      if (input !== undefined) {
        child.stdin.on('error', () => {}); // git may exit before reading all input; the exit code tells.
        child.stdin.end(input);
      }
      const err: Buffer[] = [];
      let failed: unknown = null;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (s: string) => {
        if (failed) return;
        try {
          onData(s);
        } catch (e) {
          failed = e;
          child.kill();
        }
      });
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`)));
      child.on('close', (code) => {
        if (child.stalled) return reject(new GitError(child.stalled));
        if (failed) return reject(failed);
        const failure = gitFailure(args, code, null, err);
        return failure ? reject(failure) : resolve();
      });
    });
  }

  /**
   * The branch a clone checks out: `origin/HEAD` when the remote told us, otherwise the branch `HEAD`
   * names (in a bare mirror that is the remote's default). Null on a detached HEAD without a remote.
   */
  async defaultBranch(): Promise<string | null> {
    for (const ref of ['refs/remotes/origin/HEAD', 'HEAD']) {
      const name = await this.run(['symbolic-ref', '--quiet', ref]).then(
        (out) => out.trim(),
        () => '',
      );
      if (name) return name.replace(/^refs\/remotes\/origin\//, 'refs/heads/');
    }
    return null;
  }

  /** The branch `HEAD` names (full ref name), or null when `HEAD` is detached. */
  async currentBranch(): Promise<string | null> {
    return this.run(['symbolic-ref', '--quiet', 'HEAD']).then(
      (out) => out.trim() || null,
      () => null,
    );
  }

  /** The SHA `HEAD` points at, or null in a repository without commits. */
  async headCommit(): Promise<string | null> {
    return this.run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).then(
      (out) => out.trim() || null,
      () => null,
    );
  }

  /** The fetch URL of `remote`, or null when there is no such remote. */
  async remoteUrl(remote = 'origin'): Promise<string | null> {
    return this.run(['config', '--get', `remote.${remote}.url`]).then(
      (out) => out.trim() || null,
      () => null,
    );
  }

  /** The raw bytes of a blob (`<commit>:<path>`), or of a commit or tag object (its SHA). */
  readBytes(spec: string, type: 'blob' | 'commit' | 'tag' = 'blob'): Promise<Buffer> {
    return runGit(['cat-file', type, spec], { cwd: this.dir, env: GIT_ENV });
  }

  /** The text of the file at `path` in `rev`, or null when there is none. */
  async readFileAt(rev: string, path: string): Promise<string | null> {
    const [blob] = await this.blobsAt([`${rev}:${path}`]);
    return blob ? (await this.readBytes(blob)).toString('utf8') : null;
  }

  /** True when a line of a text file in `commit`'s tree holds both `a` and `b` (fixed strings). */
  hasLineWithBoth(commit: string, a: string, b: string): Promise<boolean> {
    return this.succeeds(['grep', '-q', '-F', '-I', '-e', a, '--and', '-e', b, commit, '--']);
  }

  /** Paths in `commit`'s tree whose content holds any of `needles` (fixed strings). */
  async filesContaining(commit: string, needles: string[]): Promise<string[]> {
    if (needles.length === 0) return [];
    // The needles go through stdin, never argv, so they never show up in a process list.
    const out = await this.run(
      ['grep', '-z', '-l', '-I', '-F', '--full-name', '-f', '-', commit, '--'],
      needles.join('\n') + '\n',
    ).catch((e: Error) => {
      if (/exit code 1$/.test(e.message)) return ''; // git grep's "nothing matched"
      throw e;
    });
    return out
      .split('\0')
      .filter(Boolean)
      .map((s) => s.slice(commit.length + 1));
  }

  /** Every blob `path` held on any branch or tag. */
  async blobsOfPath(path: string): Promise<string[]> {
    const revs = await this.revisions({ mode: 'all', remotes: false });
    const out = await this.run([
      'log',
      ...revs,
      '--format=',
      '--raw',
      '--no-abbrev',
      '--no-renames',
      '-z',
      '--',
      path,
    ]);
    const oids = new Set<string>();
    const raw = new RawDiffReader((ch) => oids.add(ch.oid));
    for (const token of out.split('\0')) raw.push(token);
    return [...oids];
  }

  /**
   * Branch and tag tips of a remote repository (unpeeled: a tag's tip is its tag object, as in a clone),
   * read without cloning so an unchanged repository costs one round trip.
   */
  static async lsRemote(url: string, opts: RemoteAuth = {}): Promise<Map<string, string>> {
    const out = await Git.runRemote(['ls-remote', '--heads', '--tags', '--refs', '--', url], opts, url);
    const tips = new Map<string, string>();
    for (const line of out.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0) tips.set(line.slice(tab + 1), line.slice(0, tab));
    }
    return tips;
  }

  /** Clones every branch and tag of `url` into a new bare repository at `dir` (no work tree, no pull refs). */
  static async cloneBare(url: string, dir: string, opts: RemoteAuth = {}): Promise<Git> {
    await Git.runRemote(['clone', '--bare', '--quiet', '--', url, dir], opts, url);
    return new Git(dir);
  }

  /** Which of `oids` the object store has (a force push can take a recorded tip away). */
  async existingObjects(oids: readonly string[]): Promise<Set<string>> {
    if (oids.length === 0) return new Set();
    const out = await this.run(['cat-file', '--batch-check=%(objectname)'], oids.join('\n') + '\n');
    return new Set(out.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l)));
  }

  /**
   * Runs a git command that talks to a remote. The token travels as an `http.<origin>/.extraHeader`
   * set through git's environment config (GIT_CONFIG_COUNT), the way actions/checkout authenticates,
   * but never written to a config file, never in the URL, the command line or an error message.
   */
  private static runRemote(args: string[], opts: RemoteAuth, url: string): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...GIT_ENV };
    const token = opts.token ?? null;
    if (token) {
      let origin: string;
      try {
        const u = new URL(url);
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http');
        origin = `${u.protocol}//${u.host}/`;
      } catch {
        origin = '';
      }
      if (origin) {
        const n = Number(env.GIT_CONFIG_COUNT ?? 0) || 0;
        const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
        env.GIT_CONFIG_COUNT = String(n + 1);
        env[`GIT_CONFIG_KEY_${n}`] = `http.${origin}.extraHeader`;
        env[`GIT_CONFIG_VALUE_${n}`] = `AUTHORIZATION: basic ${basic}`;
      }
    }
    return runGit(args, { env }, undefined, token).then((b) => b.toString('utf8'));
  }
}

/** A walk of changes kept for later (Git.keepChanges). */
export interface KeptWalk {
  /**
   * Whether the walk was kept whole (or failed, as a walk would again): false when it outgrew its bound,
   * and a caller that can walk less than the whole history had better do that.
   */
  whole(): Promise<boolean>;
  /** The walk's commits, as logChanges gives them; rejects as logChanges would. */
  replay(onCommit: (c: CommitChanges) => void): Promise<void>;
  /** Stops the walk and frees what it kept: it is not needed. */
  discard(): void;
}

/** Commits a process of a shared walk is given at least (Git.logChanges), and dealt at a time. */
export const PARALLEL_WALK = Object.freeze({ min: 2000, block: 256 });

let parallelWalk: { min: number; block: number } = PARALLEL_WALK;

/** Sets how a walk is shared (tests share tiny histories); returns the previous setting. */
export function setParallelWalk(sizes: { min: number; block: number }): { min: number; block: number } {
  const before = parallelWalk;
  parallelWalk = sizes;
  return before;
}

/** A kept walk's output outgrew its bound. */
class Overflow extends Error {}

/** Why a git process that has closed failed (a watchdog's stop, or a non-zero exit and what it said), or null. */
function gitFailure(
  args: string[],
  code: number | null,
  stalled: string | null,
  stderr: Buffer[],
): GitError | null {
  if (stalled) return new GitError(stalled);
  if (code === 0) return null;
  const said = Buffer.concat(stderr)
    .toString('utf8')
    .split(/[\r\n]+/)
    .filter((l) => l && !l.startsWith(PROGRESS))
    .join('\n');
  return new GitError(`git ${args[0]} failed: ${said || `exit ${code}`}`);
}

/** `git log` listing each commit's changes (against its first parent) in the form commitParser reads. */
function logArgs(revs: string[]): string[] {
  return [
    'log',
    '--raw',
    '--no-abbrev',
    '--no-renames',
    '-z',
    '--diff-merges=first-parent',
    '--format=%x01%H%x02%P%x02%an <%ae>%x02%aI',
    ...revs,
    '--',
  ];
}

const NL = 0x0a;
const CR = 0x0d;
const SLASH = 0x2f;

/**
 * What `git log --stdin` reads to limit a walk to `paths`: `--`, then a path a line, as the raw bytes
 * of the tree entries (a name need not be UTF-8). git reads a line to its newline and drops a carriage
 * return before it, so a path holding either is given as the directory above it; a path whose first
 * name holds one, or that git would normalise (an empty, `.` or `..` name, which git's own checks
 * refuse), cannot be given, and the answer is null: the walk is not limited.
 */
export function pathspecInput(paths: readonly (string | Buffer)[]): Buffer | null {
  const lines = new Map<string, Buffer>();
  for (const p of paths) {
    let path = typeof p === 'string' ? Buffer.from(p) : p;
    const cut = path.findIndex((b) => b === NL || b === CR);
    if (cut >= 0) path = path.subarray(0, Math.max(0, path.lastIndexOf(SLASH, cut)));
    const names = path.toString('latin1').split('/');
    if (names.some((n) => n === '' || n === '.' || n === '..')) return null;
    lines.set(path.toString('latin1'), path);
  }
  const parts: Buffer[] = [Buffer.from('--\n')];
  for (const line of lines.values()) parts.push(line, Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** Reads logArgs' output, a NUL-separated token at a time, into commits with their changes. */
function commitParser(onCommit: (c: CommitChanges) => void): { token: (t: string) => void; end: () => void } {
  let current: CommitChanges | null = null;
  const raw = new RawDiffReader((ch) => current?.changes.push(ch));
  return {
    token: (token) => {
      const header = raw.push(token);
      if (header === null) return;
      const h = header.indexOf('\x01');
      if (h < 0) return;
      if (current) onCommit(current);
      const [sha, parents, author, date] = header.slice(h + 1).split('\x02');
      current = {
        sha: sha!,
        parents: parents ? parents.split(' ') : [],
        author: author!,
        date: date!.trim(),
        changes: [],
      };
    },
    end: () => {
      if (current) onCommit(current);
      current = null;
    },
  };
}

/** Splits text that arrives in pieces into `sep`-separated tokens; the last one is given at the end. */
class TokenSplitter {
  private rest = '';

  constructor(
    private readonly sep: string,
    private readonly onToken: (t: string) => void,
  ) {}

  push(s: string): void {
    const parts = (this.rest + s).split(this.sep);
    this.rest = parts.pop()!;
    for (const p of parts) this.onToken(p);
  }

  end(): void {
    if (this.rest) this.onToken(this.rest);
    this.rest = '';
  }
}

/**
 * Reads git's raw diff output (`--raw -z`) a NUL-separated token at a time: each `:<modes> <src> <dst>
 * <status>` header is followed by its path. Hands on every added or modified file version (deletions
 * have no version to read); any other token (a commit header from `--format`) is returned to the caller.
 */
class RawDiffReader {
  private pending: string | null = null;

  constructor(private readonly onChange: (c: Change) => void) {}

  push(token: string): string | null {
    if (this.pending !== null) {
      // The path, taken as it is: with -z git neither quotes nor escapes it.
      const fields = this.pending.split(' ');
      this.pending = null;
      const src = fields[2]!;
      const dst = fields[3]!;
      if (!ZERO_OID.test(dst))
        this.onChange({ path: token, oid: dst, srcOid: ZERO_OID.test(src) ? null : src });
      return null;
    }
    // Between commits git writes a newline before the next header.
    const t = token.replace(/^\n+/, '');
    if (t.startsWith(':')) {
      this.pending = t.slice(1);
      return null;
    }
    return t;
  }
}

/** Parses `git cat-file --batch` output: `<oid> <type> <size>\n<content>\n`, or `<oid> missing\n`. */
class BatchParser {
  readonly missing: string[] = [];
  /** Header lines read: objects answered, present or not. */
  answered = 0;
  private header: Buffer | null = null;
  private remaining = -1; // bytes of content still to deliver; -1 when reading a header
  private trailer = false;

  constructor(private readonly sink: ObjectSink) {}

  idle(): boolean {
    return this.remaining < 0 && !this.trailer && this.header === null;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.trailer) {
        pos++; // the newline after each object's content
        this.trailer = false;
        continue;
      }
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - pos);
        this.sink.data(chunk.subarray(pos, pos + n));
        pos += n;
        this.remaining -= n;
        if (this.remaining === 0) this.finishObject();
        continue;
      }
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        const piece = chunk.subarray(pos);
        this.header = this.header ? Buffer.concat([this.header, piece]) : Buffer.from(piece);
        return;
      }
      let line = chunk.toString('latin1', pos, nl);
      if (this.header) {
        line = this.header.toString('latin1') + line;
        this.header = null;
      }
      pos = nl + 1;
      this.startObject(line);
    }
  }

  /** Forgets an object cut short (its sink saw a begin without an end). */
  reset(): void {
    this.header = null;
    this.remaining = -1;
    this.trailer = false;
  }

  private startObject(line: string): void {
    this.answered++;
    const parts = line.split(' ');
    if (parts.length === 2 && (parts[1] === 'missing' || parts[1] === 'ambiguous')) {
      this.missing.push(parts[0]!);
      return;
    }
    if (parts.length !== 3) throw new GitError(`unexpected git cat-file output: '${line.slice(0, 80)}'`);
    const size = Number(parts[2]);
    this.sink.begin(parts[0]!, parts[1] as ObjectType, size);
    this.remaining = size;
    if (size === 0) this.finishObject();
  }

  private finishObject(): void {
    this.sink.end();
    this.remaining = -1;
    this.trailer = true;
  }
}

/** Credentials for a remote: a GitHub token (App installation token or PAT), or none. */
export interface RemoteAuth {
  token?: string | null;
}
