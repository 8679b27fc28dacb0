import { Git } from '../adapters/git.js';
import type { ScanReport } from '../core/types.js';
import { scanHistory } from '../scan/history.js';
import type { ScanResult } from '../scan/result.js';
import { scanFiles, scanStaged } from '../scan/worktree.js';
import { parsePrePushLines, type HookSettings } from '../settings.js';
import { checkRepoDir, loadConfig, rangeSelection } from './scan.js';
import { emptyReport } from '../scan/result.js';

/** `keyleak hook`: the scan a git hook or pre-commit asked for (see HookTarget). */
export async function runHook(s: HookSettings, readStdin: () => Promise<string>): Promise<ScanResult> {
  await checkRepoDir(s.repo);
  const git = await Git.open(s.repo);
  const config = await loadConfig(s.config, s.repo, git);
  switch (s.target.kind) {
    case 'files':
      return scanFiles(s.repo, s.target.files, config);
    case 'staged':
      return scanStaged(git, config);
    case 'range':
    case 'push-stdin': {
      const ranges = s.target.kind === 'range' ? [s.target] : parsePrePushLines(await readStdin());
      if (ranges.length === 0) return { report: emptyReport(), secrets: new Map() };
      return scanHistory(git, await rangeSelection(git, ranges), { config, jobs: 1 });
    }
  }
}

/** What to do next when the hook blocks: said every time, since the person reading it is mid-commit. */
export function blockedAdvice(report: ScanReport, stage: HookSettings['stage']): string {
  const n = report.findings.length;
  const lone = (report.loneSecrets ?? []).length;
  const what = stage === 'push' ? 'push' : 'commit';
  const skip = stage === 'push' ? 'git push --no-verify' : 'git commit --no-verify';
  const found = [
    ...(n > 0 ? [`${n} AWS key${n === 1 ? '' : 's'}`] : []),
    ...(lone > 0 ? [`${lone} AWS secret${lone === 1 ? '' : 's'} without a key id`] : []),
  ].join(' and ');
  return `keyleak: ${what} blocked: ${found} found (listed above). Next steps:
  - A real key: take it out (${stage === 'push' ? 'rewrite the unpushed commits: git rebase -i, or git commit --amend' : 'edit the file, then git add it again'})
    and keep it in a secret store. If it ever left this machine, deactivate it in IAM first.
  - A deliberate example or test key: put keyleak:allow in a comment on its line, or list its path
    under allow.paths in .github/keyleak.yml.
  - Keys already in the history when adopting keyleak: run keyleak baseline and commit .github/keyleak.yml.
  - ${skip} skips every hook, this one included: the key goes into the ${what}
    as it is, and once pushed anyone who can read the repository can use it.
`;
}
