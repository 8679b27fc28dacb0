import { GitError, type Git } from './git.js';

/**
 * What the action's flows need from git beyond scanning: fetching what a shallow checkout lacks, and
 * asking which refs hold a commit. Every call goes through `Git.run`, the one place git is spawned.
 */

export async function hasCommit(git: Git, sha: string): Promise<boolean> {
  return git.run(['cat-file', '-e', `${sha}^{commit}`]).then(
    () => true,
    () => false,
  );
}

export async function isAncestor(git: Git, ancestor: string, of: string): Promise<boolean> {
  return git.run(['merge-base', '--is-ancestor', ancestor, of]).then(
    () => true,
    () => false,
  );
}

export async function hasRemote(git: Git, name = 'origin'): Promise<boolean> {
  const out = await git.run(['remote']).catch(() => '');
  return out.split('\n').includes(name);
}

/** Runs `git fetch` against origin; the error names what was asked for and git's reason. */
export async function fetchOrigin(git: Git, args: string[]): Promise<void> {
  try {
    await git.run(['-c', 'protocol.version=2', 'fetch', '--no-tags', '--quiet', ...args]);
  } catch (e) {
    throw new GitError(
      `git fetch ${args.join(' ')}: ${(e as Error).message.replace(/^git fetch failed: /, '')}`,
    );
  }
}

/** Every branch (local and origin's) and tag, as `refname sha` with tags peeled to their commit. */
export async function listRefs(git: Git): Promise<{ ref: string; sha: string }[]> {
  const out = await git.run([
    'for-each-ref',
    '--format=%(refname) %(objectname) %(*objectname)',
    'refs/heads',
    'refs/remotes',
    'refs/tags',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .filter((p) => !p[0]!.endsWith('/HEAD'))
    .map((p) => ({ ref: p[0]!, sha: p[2] || p[1]! }));
}

/** Branches (origin's included) and tags whose tips `sha`'s history holds (the tip itself included). */
export async function refsMergedInto(git: Git, sha: string): Promise<string[]> {
  const out = await git.run([
    'for-each-ref',
    '--format=%(refname)',
    `--merged=${sha}`,
    'refs/heads',
    'refs/remotes',
    'refs/tags',
  ]);
  return out.split('\n').filter((r) => r && !r.endsWith('/HEAD'));
}

/** Branches (origin's included) and tags containing `sha`, each named once. */
export async function refsHolding(git: Git, sha: string): Promise<string[]> {
  const out = await git
    .run([
      'for-each-ref',
      '--format=%(refname)',
      `--contains=${sha}`,
      'refs/heads',
      'refs/remotes',
      'refs/tags',
    ])
    .catch(() => '');
  const names = out
    .split('\n')
    .filter((r) => r && !r.endsWith('/HEAD'))
    .map((r) => r.replace(/^refs\/remotes\/origin\//, 'refs/heads/'));
  return [...new Set(names)].sort();
}
