// Bundles the action (dist/index.js), the CLI (dist/cli.js) and the pack-reading threads both start
// (dist/pack-worker.js) with ncc. All are committed: the action runner and `npx keyleak` run dist/,
// never src/.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ncc = join('node_modules', '.bin', 'ncc');
rmSync('dist', { recursive: true, force: true });

/**
 * One ncc build into a temp dir. The three run at once, each without ncc's shared cache (so that they
 * cannot race on it); a fresh machine has no cache anyway.
 */
async function bundle(entry) {
  const out = mkdtempSync(join(tmpdir(), 'keyleak-build-'));
  const args = [
    'build',
    entry,
    '-o',
    out,
    '--target',
    'es2022',
    '--license',
    'licenses.txt',
    '-q',
    '--no-cache',
  ];
  try {
    await promisify(execFile)(ncc, args, { maxBuffer: 1 << 26 });
  } catch (e) {
    process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
    throw new Error(`ncc could not bundle ${entry}`);
  }
  return out;
}

const [action, cli, worker] = await Promise.all(
  ['src/index.ts', 'src/cli.ts', 'src/pack-worker.ts'].map((entry) => bundle(entry)),
);
renameSync(action, 'dist');
chmodSync('dist', 0o755);
let code = readFileSync(join(cli, 'index.js'), 'utf8');
if (!code.startsWith('#!')) code = '#!/usr/bin/env node\n' + code;
// The action and the CLI load the AWS SDK (and the action its artifact client) only when used: they sit
// in chunks of their own, loaded from beside the entry and numbered by webpack, the same on every build.
// Both entries number their chunks alike, so the CLI's are renamed <id>.cli.js, and so is the name its
// chunk loader asks for.
const LOADER = 'return "" + chunkId + ".index.js";';
const chunks = readdirSync(cli).filter((n) => n !== 'index.js' && n.endsWith('.index.js'));
if (chunks.length > 0) {
  if (code.split(LOADER).length !== 2) throw new Error("cannot find the CLI bundle's chunk loader");
  code = code.replace(LOADER, 'return "" + chunkId + ".cli.js";');
}
for (const name of chunks) renameSync(join(cli, name), join('dist', name.replace(/\.index\.js$/, '.cli.js')));
writeFileSync('dist/cli.js', code);
chmodSync('dist/cli.js', 0o755);
rmSync(cli, { recursive: true, force: true });
// The threads a full-history scan reads packs on: a bundle of their own, small to start.
renameSync(join(worker, 'index.js'), 'dist/pack-worker.js');
rmSync(worker, { recursive: true, force: true });
if (!existsSync('dist/package.json')) writeFileSync('dist/package.json', '{\n  "type": "module"\n}\n');
