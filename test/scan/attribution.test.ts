import { afterEach, describe, expect, it, vi } from 'vitest';
import { Git, PARALLEL_WALK, setParallelWalk } from '../../src/adapters/git.js';
import { scanRepository } from '../../src/commands/scan.js';
import { KEPT_WALK_MIN_WORK, setKeptWalkMinWork } from '../../src/scan/history.js';
import { TREE_READ_LIMIT, setTreeReadLimit } from '../../src/scan/tree-changes.js';
import { parseScanArgs } from '../../src/settings.js';
import { makeKeyId, makePair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

const creds = (p: { keyId: string; secret: string }) =>
  `[default]\naws_access_key_id = ${p.keyId}\naws_secret_access_key = ${p.secret}\n`;

/** AWS's own documentation key id, assembled so no key-shaped literal sits in the source. */
const DOC_KEY_ID = ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('');

interface Where {
  commit: string;
  path: string | null;
  line: number;
}

/**
 * A history with a key at every kind of place attribution has to get right: a merge resolution, a clean
 * merge, a rename, a file deleted later, a commit reachable only from a tag, a commit message, an
 * annotated tag's message, a pair split over two files of one commit, many versions of one file, and
 * documentation keys (suppressed) in many versions of another.
 */
function buildHistory() {
  const r = TestRepo.create();
  repos.push(r);
  const expected = new Map<string, Where[]>();
  const suppressed = new Map<string, Where[]>();
  const add = (m: Map<string, Where[]>, keyId: string, w: Where) =>
    m.set(keyId, [...(m.get(keyId) ?? []), w]);

  const base = r.commit('init', { 'README.md': 'hello\n', 'app.cfg': 'x=1\n' });
  void base;

  // A file with many versions: the key stays, the rest of the file changes; each version is introduced by
  // its own commit (same line each time).
  const often = makePair();
  for (let v = 0; v < 25; v++) {
    const sha = r.commit(`settings v${v}`, {
      'settings.ini': `${creds(often)}version = ${v}\n${'filler line\n'.repeat(v)}`,
    });
    add(expected, often.keyId, { commit: sha, path: 'settings.ini', line: 2 });
  }

  // Documentation example key in many versions of a doc page: suppressed, every version located.
  for (let v = 0; v < 12; v++) {
    const sha = r.commit(`docs v${v}`, {
      'docs/usage.rst': `${'intro\n'.repeat(v + 1)}export AWS_ACCESS_KEY_ID=${DOC_KEY_ID}\n`,
    });
    add(suppressed, DOC_KEY_ID, { commit: sha, path: 'docs/usage.rst', line: v + 2 });
  }

  // Rename: the version is introduced again under its new path by the renaming commit.
  const renamed = makeKeyId();
  const cAdd = r.commit('add env', { 'old/a.env': `KEY=${renamed}\n` });
  r.git('mv', 'old/a.env', 'new-a.env');
  const cMv = r.commit('rename env');
  add(expected, renamed, { commit: cAdd, path: 'old/a.env', line: 1 });
  add(expected, renamed, { commit: cMv, path: 'new-a.env', line: 1 });

  // Deleted later: still found where it was added.
  const deleted = makeKeyId();
  const cDel = r.commit('oops', { 'tmp/secret.txt': `\n\nk=${deleted}\n` });
  r.commit('remove oops', { 'tmp/secret.txt': null });
  add(expected, deleted, { commit: cDel, path: 'tmp/secret.txt', line: 3 });

  // A pair split over two files of one commit.
  const split = makePair();
  const cSplit = r.commit('split pair', {
    'conf/id.txt': `AWS_ACCESS_KEY_ID=${split.keyId}\n`,
    'conf/secret.txt': `AWS_SECRET_ACCESS_KEY=${split.secret}\n`,
  });
  add(expected, split.keyId, { commit: cSplit, path: 'conf/id.txt', line: 1 });

  // A real key whose only secret sits beside a documentation key in another file of the commit: that
  // file is read in full although its own key is suppressed.
  const mixed = makePair();
  const cMixed = r.commit('mixed', {
    'deploy/id.txt': `id: ${mixed.keyId}\n`,
    'docs/example.ini': `aws_access_key_id = ${DOC_KEY_ID}\naws_secret_access_key = ${mixed.secret}\n`,
  });
  add(expected, mixed.keyId, { commit: cMixed, path: 'deploy/id.txt', line: 1 });
  add(suppressed, DOC_KEY_ID, { commit: cMixed, path: 'docs/example.ini', line: 1 });

  // A commit message.
  const inMessage = makeKeyId();
  const cMsg = r.commit(`deploy fix\n\ntested with ${inMessage}`, { 'README.md': 'hello again\n' });
  add(expected, inMessage, { commit: cMsg, path: null, line: 3 });

  // A clean merge of a side branch: attributed to the side commit, not the merge.
  const onSide = makeKeyId();
  r.git('checkout', '-q', '-b', 'side');
  const cSide = r.commit('side work', { 'side.env': `K=${onSide}\n` });
  r.git('checkout', '-q', 'main');
  r.commit('main work', { 'main.txt': 'm\n' });
  r.git('merge', '-q', '--no-edit', 'side');
  add(expected, onSide, { commit: cSide, path: 'side.env', line: 1 });

  // A merge resolution: the key exists only in the merge commit.
  r.git('checkout', '-q', '-b', 'conflict');
  r.commit('conflict side', { 'app.cfg': 'x=2\n' });
  r.git('checkout', '-q', 'main');
  r.commit('conflict main', { 'app.cfg': 'x=3\n' });
  try {
    r.git('merge', '-q', 'conflict');
  } catch {
    // the conflict is the point
  }
  const resolved = makePair();
  const cMerge = r.commit('merge with resolution', { 'app.cfg': creds(resolved) });
  add(expected, resolved.keyId, { commit: cMerge, path: 'app.cfg', line: 2 });
  r.git('branch', '-q', '-D', 'conflict', 'side');

  // A commit reachable only from a tag.
  const onTag = makeKeyId();
  r.git('checkout', '-q', '-b', 'release-tmp');
  const cTag = r.commit('tagged work', { 'release/notes.txt': `id ${onTag}\n` });
  r.git('tag', '-a', 'v1', '-m', 'release');
  r.git('checkout', '-q', 'main');
  r.git('branch', '-q', '-D', 'release-tmp');
  add(expected, onTag, { commit: cTag, path: 'release/notes.txt', line: 1 });

  // An annotated tag's message, located at the tag object.
  const inTagMessage = makeKeyId();
  r.git('tag', '-a', 'v2', '-m', `release 2\n\nrotated ${inTagMessage}`);
  add(expected, inTagMessage, { commit: r.git('rev-parse', 'v2').trim(), path: null, line: 3 });

  r.commit('tail', { 'README.md': 'bye\n' });
  return {
    r,
    expected,
    suppressed,
    secrets: {
      [split.keyId]: split.secret,
      [resolved.keyId]: resolved.secret,
      [often.keyId]: often.secret,
      [mixed.keyId]: mixed.secret,
    },
  };
}

const sortWhere = (ws: Where[]) =>
  [...ws].sort((a, b) => `${a.commit}${a.path}${a.line}`.localeCompare(`${b.commit}${b.path}${b.line}`));

describe.each([
  'loose objects',
  'one pack, its trees read for the walk',
  'one pack and a loose object, the walk shared between git processes',
  'one pack whose trees are past the read limit, walked by git',
  'one pack, the history walked while it is read',
])('attribution of a full-history scan (%s)', (storage) => {
  it('reports every key at every place that introduced it, and every suppressed one', async () => {
    const { r, expected, suppressed, secrets } = buildHistory();
    if (storage !== 'loose objects') r.git('repack', '-a', '-d', '-f', '-q', '--depth=50', '--window=50');
    const meanwhile = storage.includes('while it is read');
    const fromTrees = storage.includes('trees read');
    const overLimit = storage.includes('past the read limit');
    // The merge that stopped on a conflict left loose objects behind (a tree among them): the pack reader
    // would leave those to git, and git would walk.
    if (fromTrees || overLimit) r.git('prune', '--expire=now');
    // A loose object the pack reader leaves to git: its trees may not all be in the pack, and git walks,
    // the walk limited to the versions with keys shared between two git processes, a few commits each.
    const shared = storage.includes('shared');
    if (shared) r.git('hash-object', '-w', 'README.md');
    const s = parseScanArgs(['--repo', r.dir, '--all', '--jobs', meanwhile || shared ? '2' : '1'], {
      cwd: r.dir,
      isTTY: false,
    });
    const kept = vi.spyOn(Git.prototype, 'keepChanges');
    const walks = vi.spyOn(Git.prototype, 'logChanges');
    const listed = vi.spyOn(Git.prototype, 'listCommits');
    // A history this small is otherwise walked after its pack is read.
    const minWork = setKeptWalkMinWork(meanwhile ? 1 : KEPT_WALK_MIN_WORK);
    const sharing = setParallelWalk(shared ? { min: 1, block: 3 } : PARALLEL_WALK);
    const readLimit = setTreeReadLimit(overLimit ? 1 : TREE_READ_LIMIT);
    let scanned: Awaited<ReturnType<typeof scanRepository>> | null = null;
    try {
      scanned = await scanRepository(s);
      // The walk kept while the pack was read is the one attribution uses: git walks the history once;
      // with the trees read from the pack, git lists the commits alone.
      expect(kept).toHaveBeenCalledTimes(meanwhile ? 1 : 0);
      expect(walks).toHaveBeenCalledTimes(meanwhile || fromTrees ? 0 : 1);
      expect(listed).toHaveBeenCalledTimes(fromTrees ? 1 : 0);
    } finally {
      setKeptWalkMinWork(minWork);
      setParallelWalk(sharing);
      setTreeReadLimit(readLimit);
      kept.mockRestore();
      walks.mockRestore();
      listed.mockRestore();
    }
    const { report, secrets: material } = scanned!;

    const got = new Map(
      report.findings.map((f) => [
        f.keyId,
        sortWhere(f.locations.map(({ commit, path, line }) => ({ commit: commit!, path, line }))),
      ]),
    );
    expect(got).toEqual(new Map([...expected].map(([k, ws]) => [k, sortWhere(ws)])));
    const gotSuppressed = new Map(
      report.suppressed.map((x) => [
        `${x.keyId} ${x.reason}`,
        sortWhere(x.locations.map(({ commit, path, line }) => ({ commit: commit!, path, line }))),
      ]),
    );
    expect(gotSuppressed).toEqual(
      new Map([...suppressed].map(([k, ws]) => [`${k} aws-example`, sortWhere(ws)])),
    );
    for (const [keyId, secret] of Object.entries(secrets))
      expect(material.get(keyId)!.secrets[0]).toBe(secret);
    expect(report.incomplete).toBe(false);
  });
});
