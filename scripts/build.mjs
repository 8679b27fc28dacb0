// Bundles the action (dist/index.js), the CLI (dist/cli.js) and the pack-reading threads both start
// (dist/pack-worker.js) with ncc. Both are committed: the action
// runner and `npx keyleak` run dist/, never src/.
import { execFileSync } from 'node:child_process';
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

function bundle(entry) {
  const out = mkdtempSync(join(tmpdir(), 'keyleak-build-'));
  execFileSync(ncc, ['build', entry, '-o', out, '--target', 'es2022', '--license', 'licenses.txt', '-q'], {
    stdio: 'inherit',
  });
  return out;
}

const action = bundle('src/index.ts');
renameSync(action, 'dist');
chmodSync('dist', 0o755);
const cli = bundle('src/cli.ts');
let code = readFileSync(join(cli, 'index.js'), 'utf8');
if (!code.startsWith('#!')) code = '#!/usr/bin/env node\n' + code;
writeFileSync('dist/cli.js', code);
chmodSync('dist/cli.js', 0o755);
// The CLI loads the AWS SDK only when a command calls AWS: it sits in chunks of its own, loaded from
// beside dist/cli.js (numbered by webpack, the same on every build).
for (const name of readdirSync(cli)) {
  if (name === 'index.js' || !name.endsWith('.index.js')) continue;
  if (existsSync(join('dist', name)))
    throw new Error(`dist/${name}: the action and the CLI both made this chunk`);
  renameSync(join(cli, name), join('dist', name));
}
rmSync(cli, { recursive: true, force: true });
// The threads a full-history scan reads packs on: a bundle of their own, small to start.
const worker = bundle('src/pack-worker.ts');
renameSync(join(worker, 'index.js'), 'dist/pack-worker.js');
rmSync(worker, { recursive: true, force: true });
if (!existsSync('dist/package.json')) writeFileSync('dist/package.json', '{\n  "type": "module"\n}\n');
