import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { buildAction, git, runAction, secretNowhere, World } from './harness.js';

let dist = '';
beforeAll(() => {
  dist = buildAction();
}, 600_000);

const worlds: World[] = [];
const emus: GitHubEmulator[] = [];
afterEach(async () => {
  for (const e of emus.splice(0)) await e.close();
});
afterAll(() => {
  for (const w of worlds.splice(0)) w.cleanup();
});

const leak = (k: KeyPair) => `aws_access_key_id = ${k.keyId}\naws_secret_access_key = ${k.secret}\n`;

describe('mode: full (a schedule or a manual run without org)', () => {
  it.each(['schedule', 'workflow_dispatch'])(
    'on %s scans every branch of a shallow one-branch checkout, opens incidents and writes full-scan SARIF',
    async (event) => {
      const w = new World();
      worlds.push(w);
      const onMain = makePair();
      const onBranch = makePair();
      w.commit('init', { 'README.md': 'hello\n' });
      w.commit('old leak', { 'config/prod.env': leak(onMain) });
      const head = w.commit('remove it', { 'config/prod.env': '# moved to the secret store\n' });
      git(w.dev, 'checkout', '-q', '-b', 'experiment');
      w.commit('branch leak', { 'exp.env': leak(onBranch) });
      w.push('main', 'experiment');
      const emu = await startGitHubEmulator(makeState(['octo/app']));
      emus.push(emu);

      const run = await runAction({
        dist,
        emu,
        workspace: w.checkout('main', head, { depth: 1 }),
        event,
        payload: {},
      });
      expect(run.code, run.stdout).toBe(1);
      expect(run.outputs).toMatchObject({ findings: '2', issues: '[1,2]', 'sarif-category': 'keyleak/full' });
      const titles = emu.state.repos['octo/app']!.issues.map((i) => i.title).sort();
      expect(titles).toEqual(
        [
          `Leaked AWS key ${onMain.keyId} (not verified)`,
          `Leaked AWS key ${onBranch.keyId} (not verified)`,
        ].sort(),
      );
      const sarif = JSON.parse(run.sarif!);
      expect(sarif.runs[0].automationDetails).toEqual({ id: 'keyleak/full/' });
      expect(sarif.runs[0].results).toHaveLength(2);
      expect(run.summary).toContain('Whole history: 4 commits on every branch and tag.');
      for (const k of [onMain, onBranch]) expect(secretNowhere(k.secret, run, emu)).toEqual([]);
    },
  );
});
