// `npm run demo`: the whole job on a throwaway repository with a freshly generated fake key. Runs the
// committed action bundle (dist/index.js, what `uses: keyleak/keyleak-action@v1` runs; CI checks that it
// equals a fresh build of src/) inside the demo's world (scripts/demo-driver.ts, which starts the AWS and
// GitHub emulators from test/emulators), transpiled with ncc into a temp dir in seconds. Needs Node 20+,
// git and `npm ci`; no network.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ncc = join(root, 'node_modules', '.bin', 'ncc');

function bundle(entry, out) {
  // Transpiled only: the type check is CI's job, and it is most of ncc's time.
  const args = ['build', entry, '-o', out, '--target', 'es2022', '-q', '--transpile-only'];
  return new Promise((res, rej) => {
    execFile(ncc, args, { cwd: root }, (err, _o, se) => {
      if (err) rej(new Error(`bundling ${entry} failed:\n${se || err.message}`));
      else {
        if (!existsSync(join(out, 'package.json')))
          writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
        res(out);
      }
    });
  });
}

async function main() {
  if (!existsSync(ncc)) {
    console.error('keyleak demo: run `npm ci` first (the demo transpiles its emulators with ncc).');
    return 2;
  }
  const action = join(root, 'dist');
  if (!existsSync(join(action, 'index.js'))) {
    console.error('keyleak demo: dist/index.js is missing: run `npm run build` first.');
    return 2;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'keyleak-demo-'));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const started = Date.now();
    process.stdout.write('Starting emulated AWS and GitHub (scripts/demo-driver.ts)… ');
    const driver = await bundle('scripts/demo-driver.ts', join(tmp, 'driver'));
    console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s. Running the action from dist/.\n`);
    return await new Promise((res) => {
      const child = spawn(process.execPath, [join(driver, 'index.js'), action], {
        cwd: tmp,
        // Everything the run creates (repositories, the runner's files) lands in tmp and goes with it.
        env: { ...process.env, TMPDIR: tmp },
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      // git's note when the throwaway remote is cloned while still empty is expected; drop only that.
      let rest = '';
      child.stderr.setEncoding('utf8').on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const l of lines)
          if (!l.startsWith('warning: You appear to have cloned an empty repository')) console.error(l);
      });
      child.stderr.on('end', () => rest && console.error(rest));
      child.on('exit', (code, signal) => res(code ?? (signal ? 1 : 0)));
    });
  } catch (e) {
    console.error(`\nkeyleak demo: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    cleanup();
  }
}

process.exitCode = await main();
