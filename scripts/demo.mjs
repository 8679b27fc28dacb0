// `npm run demo`: the whole job on a throwaway repository with a freshly generated fake key. Bundles the
// action from src/ (so the demo never shows a stale dist/) and the demo's world (scripts/demo-driver.ts,
// which starts the AWS and GitHub emulators from test/emulators) with ncc, in parallel, into a temp dir;
// then runs the world, which runs the action. Needs Node 20+, git and `npm ci`; no network.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ncc = join(root, 'node_modules', '.bin', 'ncc');

function bundle(entry, out) {
  return new Promise((res, rej) => {
    execFile(ncc, ['build', entry, '-o', out, '--target', 'es2022', '-q'], { cwd: root }, (err, _o, se) => {
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
    console.error('keyleak demo: run `npm ci` first (the demo bundles the action with ncc).');
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
    process.stdout.write('Bundling the action from src/ and the emulated AWS and GitHub (a minute or two)… ');
    const [action, driver] = await Promise.all([
      bundle('src/index.ts', join(tmp, 'action')),
      bundle('scripts/demo-driver.ts', join(tmp, 'driver')),
    ]);
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)}s.\n`);
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
