import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { makePair, type KeyPair } from '../helpers/keys.js';
import { makeState, startGitHubEmulator, type GitHubEmulator } from '../emulators/github/index.js';
import { git, runAction, secretNowhere, World } from './harness.js';

const dist = inject('actionDist');

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

describe('incidents on a public repository', () => {
  async function scanPublic(inputs: Record<string, string>, privateRepos: string[] = []) {
    const w = new World();
    worlds.push(w);
    const k = makePair();
    w.commit('init', { 'README.md': 'hello\n' });
    const head = w.commit('leak', { 'config/prod.env': leak(k) });
    w.push('main');
    const state = makeState(['octo/app', 'octo/security']);
    for (const r of privateRepos) state.repos[r]!.private = true;
    const emu = await startGitHubEmulator(state);
    emus.push(emu);
    const run = await runAction({
      dist,
      emu,
      workspace: w.checkout('main', head),
      event: 'workflow_dispatch',
      payload: {},
      inputs: { 'public-details': '', ...inputs },
    });
    return { run, emu, k };
  }

  it('leave the verdict, the secret and CloudTrail out, and say where the details can go', async () => {
    const { run, emu, k } = await scanPublic({});
    expect(run.code, run.stdout).toBe(1);
    const issue = emu.state.repos['octo/app']!.issues[0]!;
    expect(issue.title).toMatch(/^Leaked AWS access key found \([0-9a-f]{8}\)$/);
    expect(issue.body).not.toMatch(/\*\*(live|invalid|unknown|not verified)\*\*/);
    expect(issue.body).toContain('Verdict: **not said here**: this repository is public');
    expect(issue.body).toContain('`issue-repo` to a private repository');
    expect(issue.body).toContain('| Secret | not said here (public repository) |');
    expect(issue.body).not.toContain(k.secret.slice(0, 4) + '*');
    expect(run.stdout).toContain('octo/app is public: incident issues leave out the verdict');
    expect(secretNowhere(k.secret, run, emu)).toEqual([]);
  });

  it('carry the details when issue-repo is a private repository', async () => {
    const { run, emu } = await scanPublic({ 'issue-repo': 'octo/security' }, ['octo/security']);
    expect(run.code, run.stdout).toBe(1);
    expect(emu.state.repos['octo/app']!.issues).toEqual([]);
    const issue = emu.state.repos['octo/security']!.issues[0]!;
    expect(issue.title).toMatch(/^Leaked AWS key AKIA[A-Z2-7]{16} \(not verified\)$/);
    expect(issue.body).toContain('verification is turned off');
  });
});
