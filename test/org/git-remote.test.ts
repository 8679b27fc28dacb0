import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Git } from '../../src/adapters/git.js';
import { TestRepo } from '../helpers/repo.js';

// A server that refuses every request but remembers what it was sent: enough to see how git authenticates.
let server: Server;
let base: string;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('talking to a remote with a token', () => {
  const token = `ghs_${'x'.repeat(20)}${Date.now()}`;

  it('sends the token as a basic Authorization header, never in the URL, and keeps it out of errors', async () => {
    seen.length = 0;
    const err = await Git.lsRemote(`${base}/acme/api.git`, { token }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^git ls-remote failed: /);
    expect(err!.message).not.toContain(token);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.url).toBe('/acme/api.git/info/refs?service=git-upload-pack');
    expect(seen[0]!.url).not.toContain(token);
    const auth = Buffer.from(
      String(seen[0]!.headers.authorization).replace(/^basic /i, ''),
      'base64',
    ).toString();
    expect(auth).toBe(`x-access-token:${token}`);
  });

  it('without a token, sends no Authorization header', async () => {
    seen.length = 0;
    await Git.cloneBare(`${base}/acme/api.git`, `/tmp/keyleak-never-${Date.now()}`, {}).catch(() => null);
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('clones every branch and tag of a repository into a bare one, and reads tips without cloning', async () => {
    const src = TestRepo.create();
    const dest = TestRepo.create();
    try {
      src.commit('one', { a: '1\n' });
      src.git('checkout', '-q', '-b', 'feature');
      src.commit('two', { b: '2\n' });
      src.git('tag', '-a', 'v1', '-m', 'release');
      const remote = await Git.lsRemote(src.dir);
      expect([...remote.keys()].sort()).toEqual(['refs/heads/feature', 'refs/heads/main', 'refs/tags/v1']);
      const git = await Git.cloneBare(src.dir, `${dest.dir}/clone.git`, { token });
      expect((await git.refTips()).sort()).toEqual([...remote.values()].sort());
      expect(await git.existingObjects([remote.get('refs/heads/main')!, 'f'.repeat(40)])).toEqual(
        new Set([remote.get('refs/heads/main')]),
      );
    } finally {
      src.cleanup();
      dest.cleanup();
    }
  });
});
