import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Git } from '../../src/adapters/git.js';
import { exitCodeFor, scanRepository } from '../../src/commands/scan.js';
import { renderJson } from '../../src/core/render/json.js';
import { renderMarkdown } from '../../src/core/render/markdown.js';
import { renderText } from '../../src/core/render/text.js';
import { describeMissing } from '../../src/scan/missing.js';
import { parseScanArgs } from '../../src/settings.js';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

/**
 * Objects a scan could not read are reported with where the history references them: the commits and
 * paths that name them, found without reading them.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const creds = (p: KeyPair) => `aws_access_key_id = ${p.keyId}\naws_secret_access_key = ${p.secret}\n`;

function repo(): TestRepo {
  const r = TestRepo.create();
  dirs.push(r.dir);
  return r;
}

async function scan(dir: string, ...args: string[]) {
  const s = parseScanArgs(['--repo', dir, '--jobs', '1', ...args], { cwd: dir, isTTY: false });
  const { report } = await scanRepository(s);
  return { report, keys: report.findings.map((f) => f.keyId).sort(), exit: exitCodeFor(report) };
}

/** A history with a key in `old/secret.env` that was later removed, and another key still present. */
function history(): { r: TestRepo; old: KeyPair; recent: KeyPair; leak: string } {
  const r = repo();
  const [old, recent] = [makePair(), makePair()];
  r.commit('init', { 'README.md': 'hello\n' });
  const leak = r.commit('old leak', { 'old/secret.env': creds(old) });
  r.commit('fix', { 'old/secret.env': null });
  r.commit('recent leak', { 'new.env': creds(recent) });
  return { r, old, recent, leak };
}

/** A blob-less partial clone of `from` (a local file:// remote that allows filters), its tip's blobs fetched. */
function partialClone(from: TestRepo): string {
  from.git('config', 'uploadpack.allowFilter', 'true');
  const dir = mkdtempSync(join(tmpdir(), 'keyleak-partial-'));
  dirs.push(dir);
  execFileSync('git', ['clone', '-q', '--filter=blob:none', `file://${from.dir}`, dir], { stdio: 'ignore' });
  return dir;
}

describe('missing objects are located where the history references them', () => {
  it.each([['--all'], ['--range', 'HEAD~3..HEAD']])(
    'a partial clone lacking the blob that holds a key (%s): the blob, its commit and path are said',
    async (...args) => {
      const { r, old, recent, leak } = history();
      const blob = r.head(`${leak}:old/secret.env`);
      const dir = partialClone(r);
      const got = await scan(dir, ...args);
      expect(got.report.incomplete).toBe(true);
      expect(got.keys).toEqual([recent.keyId]);
      expect(got.keys).not.toContain(old.keyId);
      expect(got.report.missing).toEqual([
        { oid: blob, referencedBy: [{ commit: leak, path: 'old/secret.env' }] },
      ]);
      const said = got.report.warnings.join('\n');
      expect(said).toContain(`${blob} ("old/secret.env" in ${leak.slice(0, 12)})`);
      // Every output people read carries it, and the JSON report the structured list.
      expect(renderText(got.report)).toContain(`"old/secret.env" in ${leak.slice(0, 12)}`);
      expect(renderMarkdown(got.report)).toContain('old/secret.env');
      expect(JSON.parse(renderJson(got.report)).missing[0].referencedBy[0]).toEqual({
        commit: leak,
        path: 'old/secret.env',
      });
    },
  );

  it('a partial clone with nothing else found exits 2: nothing found is not clean', async () => {
    const r = repo();
    const k = makePair();
    r.commit('init', { 'README.md': 'hello\n' });
    const leak = r.commit('leak', { 'a.env': creds(k) });
    r.commit('fix', { 'a.env': null });
    const got = await scan(partialClone(r), '--all');
    expect(got.keys).toEqual([]);
    expect(got.exit).toBe(2);
    expect(got.report.missing?.[0]?.referencedBy).toEqual([{ commit: leak, path: 'a.env' }]);
  });

  it('a loose object deleted from the store: the blob is located and the other key still found', async () => {
    const { r, recent, leak } = history();
    const blob = r.head(`${leak}:old/secret.env`);
    rmSync(join(r.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const got = await scan(r.dir, '--all');
    expect(got.report.incomplete).toBe(true);
    expect(got.keys).toEqual([recent.keyId]);
    expect(got.exit).toBe(1);
    expect(got.report.missing).toEqual([
      { oid: blob, referencedBy: [{ commit: leak, path: 'old/secret.env' }] },
    ]);
  });

  it('with a key to attribute too, the history is walked once: git is asked about both in one walk', async () => {
    const { r, recent, leak } = history();
    const blob = r.head(`${leak}:old/secret.env`);
    rmSync(join(r.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const walks = vi.spyOn(Git.prototype, 'logChanges');
    try {
      const got = await scan(r.dir, '--all');
      expect(got.keys).toEqual([recent.keyId]);
      expect(got.report.missing).toEqual([
        { oid: blob, referencedBy: [{ commit: leak, path: 'old/secret.env' }] },
      ]);
      expect(walks).toHaveBeenCalledTimes(1);
      expect(walks.mock.calls[0]![3]).toContain(blob);
    } finally {
      walks.mockRestore();
    }
  });

  it('in a partial clone the one walk names no object to git, which would fetch what it lacks', async () => {
    const { r, recent, leak } = history();
    const blob = r.head(`${leak}:old/secret.env`);
    const dir = partialClone(r);
    const walks = vi.spyOn(Git.prototype, 'logChanges');
    try {
      const got = await scan(dir, '--all');
      expect(got.keys).toEqual([recent.keyId]);
      expect(got.report.missing).toEqual([
        { oid: blob, referencedBy: [{ commit: leak, path: 'old/secret.env' }] },
      ]);
      expect(walks).toHaveBeenCalledTimes(1);
      expect(walks.mock.calls[0]![3] ?? []).toEqual([]);
    } finally {
      walks.mockRestore();
    }
  });

  it('a hostile path is quoted in the warning, never split across lines', async () => {
    const r = repo();
    const k = makePair();
    const name = 'x\n::error::forged, "y").env';
    r.commit('init', { 'README.md': 'hello\n' });
    const leak = r.commit('leak', { [name]: creds(k) });
    const blob = r.head(`${leak}:${name}`);
    rmSync(join(r.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const got = await scan(r.dir, '--all');
    expect(got.report.missing?.[0]?.referencedBy).toEqual([{ commit: leak, path: name }]);
    const w = got.report.warnings.find((x) => x.includes(blob))!;
    expect(w).not.toContain('\n');
    expect(w).toContain(JSON.stringify(name));
  });

  it('when the walk that locates them fails, the objects are still reported and the scan goes on', async () => {
    const { r, leak } = history();
    // A tree the walk needs: without it no commit's paths can be listed through it.
    const tree = r.head(`${leak}:old`);
    const blob = r.head(`${leak}:old/secret.env`);
    rmSync(join(r.dir, '.git', 'objects', tree.slice(0, 2), tree.slice(2)));
    const got = await scan(r.dir, '--all');
    expect(got.report.incomplete).toBe(true);
    expect(got.report.missing?.map((m) => m.oid)).toContain(tree);
    expect(got.report.missing?.every((m) => m.referencedBy === null)).toBe(true);
    expect(got.report.warnings.join('\n')).toMatch(/where they are referenced could not be found \(git log/);
    expect(got.report.warnings.join('\n')).not.toContain(blob + ' (');
  });

  it('a full history lists no missing objects', async () => {
    const { r } = history();
    const got = await scan(r.dir, '--all');
    expect(got.report.incomplete).toBe(false);
    expect(got.report.missing).toBeUndefined();
    expect(JSON.parse(renderJson(got.report))).not.toHaveProperty('missing');
  });
});

describe('the missing-objects warning', () => {
  const oid = (n: number) => n.toString(16).padStart(40, '0');
  it.each([
    [
      'names where each of the first few is referenced, and how many more there are',
      Array.from({ length: 7 }, (_, i) => ({ oid: oid(i + 1), referencedBy: [] })),
      '',
      /^7 object\(s\) .*: 0+1 \(no commit puts it at a path\), .*0+5 \(no commit puts it at a path\), and 2 more \(the JSON report/,
    ],
    [
      'says which were not looked for',
      [
        { oid: oid(1), referencedBy: [{ commit: oid(9), path: 'a' }] },
        { oid: oid(2), referencedBy: null },
      ],
      '',
      /0+1 \("a" in 000000000000\), 0+2; only the first 100 were looked for/,
    ],
    [
      'says why none could be located',
      [{ oid: oid(1), referencedBy: null }],
      'git log failed: fatal: bad tree',
      /0+1; where they are referenced could not be found \(git log failed: fatal: bad tree\)/,
    ],
  ])('%s', (_n, missing, failure, expected) => {
    expect(describeMissing(missing, failure)).toMatch(expected);
  });
});
