import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function hashTree(dir: string, h: ReturnType<typeof createHash>): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) hashTree(p, h);
    else h.update(p).update(readFileSync(p));
  }
}

/**
 * Bundles `entry` the way `npm run build` does (ncc) into a temp dir keyed by the sources, so test files
 * share one build and the committed dist/ is never touched. Returns the directory holding index.js.
 */
export function bundle(entry: string): string {
  const h = createHash('sha256').update(entry);
  hashTree(join(ROOT, 'src'), h);
  h.update(readFileSync(join(ROOT, 'package-lock.json')));
  const dir = join(tmpdir(), `keyleak-bundle-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, 'index.js'))) return dir;
  const work = mkdtempSync(join(tmpdir(), 'keyleak-bundle-build-'));
  execFileSync(
    join(ROOT, 'node_modules/.bin/ncc'),
    ['build', entry, '-o', work, '--target', 'es2022', '-q'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (!existsSync(join(work, 'package.json')))
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another test file built it first
  }
  return dir;
}
