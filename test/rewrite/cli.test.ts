import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli-main.js';
import { Git } from '../../src/adapters/git.js';
import { planRewrite } from '../../src/commands/rewrite-plan.js';
import { scanRepository } from '../../src/commands/scan.js';
import { makePair } from '../helpers/keys.js';
import { TestRepo } from '../helpers/repo.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length) cleanup.pop()!();
});

function repo(): TestRepo {
  const r = TestRepo.create();
  cleanup.push(() => r.cleanup());
  return r;
}

async function plan(dir: string) {
  const result = await scanRepository({
    repo: dir,
    mode: 'all',
    range: null,
    config: null,
    jobs: 1,
  });
  return planRewrite(await Git.open(dir), result);
}

describe('keyleak rewrite-plan', () => {
  it('prints "nothing to remove" and exits 0 when the history holds no key', async () => {
    const r = repo();
    r.commit('clean', { 'README.md': 'hello\n' });
    const out = join(mkdtempSync(join(tmpdir(), 'keyleak-out-')), 'plan.md');
    cleanup.push(() => rmSync(join(out, '..'), { recursive: true, force: true }));
    expect(await main(['rewrite-plan', '--repo', r.dir, '--output', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('Nothing to remove');
  });

  it('exits 2 on a directory that is not a repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyleak-norepo-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['rewrite-plan', '--repo', dir, '--output', join(dir, 'x')])).toBe(2);
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/keyleak: error: '.*' is not a git repository/);
    } finally {
      stderr.mockRestore();
    }
  });

  it('offers the short path for a key only in the newest commit not yet pushed, and not once pushed', async () => {
    const pair = makePair();
    const origin = repo();
    origin.commit('first', { 'README.md': 'hello\n' });
    const clone = repo();
    clone.git('remote', 'add', 'origin', origin.dir);
    clone.git('fetch', '-q', 'origin');
    clone.git('checkout', '-q', '-B', 'main', 'origin/main');
    clone.commit('oops', { 'app.env': `KEY=${pair.keyId}\nSECRET=${pair.secret}\n` });

    const before = await plan(clone.dir);
    expect(before.source).toBe(origin.dir);
    expect(before.shortPath).toEqual({ kind: 'amend', branch: 'refs/heads/main', commits: [clone.head()] });
    expect(before.spans).toEqual([
      expect.objectContaining({
        kind: 'secret',
        commit: clone.head(),
        path: 'app.env',
        line: 2,
        start: 8,
        end: 47,
      }),
    ]);

    clone.git('push', '-q', 'origin', 'main:shared');
    clone.git('fetch', '-q', 'origin');
    expect((await plan(clone.dir)).shortPath).toBeNull();
  });

  it('finds a secret paired from another file of the commit, and credential files to remove', async () => {
    const pair = makePair();
    const r = repo();
    r.commit('split', {
      'config/id.txt': `key id: ${pair.keyId}\n`,
      '.aws/credentials': `[default]\naws_secret_access_key = ${pair.secret}\n`,
      'settings/.env': `AWS_ACCESS_KEY_ID=${pair.keyId}\nAWS_REGION=eu-west-1\n`,
    });
    const p = await plan(r.dir);
    expect(p.spans.map((s) => [s.path, s.line])).toEqual([['.aws/credentials', 2]]);
    // .aws/credentials holds no key id, so no location points at it; settings/.env holds a region.
    expect(p.removePaths).toEqual([]);
  });
});
