import type { Git } from '../adapters/git.js';
import { EMPTY_CONFIG, parseConfig, type KeyleakConfig } from '../core/config.js';
import { widenings } from '../core/config-change.js';
import { UsageError } from '../core/errors.js';

/** The config file as committed at `commit`; null when the commit has no such file. */
async function configAt(git: Git, commit: string, path: string): Promise<KeyleakConfig | null> {
  const [blob] = await git.blobsAt([`${commit}:${path}`]);
  if (!blob) return null;
  return parseConfig(await git.run(['cat-file', 'blob', blob]), `${path} at ${commit.slice(0, 12)}`);
}

/**
 * The config that governs a change (a pull request, a push): the one committed before it, read from git
 * and never from the work tree, which the change itself wrote. A change that widens what is suppressed
 * is said so and does not get the wider config; `what` names the change in that warning.
 *
 * `before` null (a new branch) reads the config of `fallback` (the default branch) instead; without
 * either, nothing is suppressed.
 */
export async function configForChange(
  git: Git,
  path: string,
  change: { before: string | null; after: string; fallback: string | null; what: string },
): Promise<{ config: KeyleakConfig; warnings: string[] }> {
  const base = change.before ?? change.fallback;
  const warnings: string[] = [];
  let config = EMPTY_CONFIG;
  if (base !== null) {
    try {
      config = (await configAt(git, base, path)) ?? EMPTY_CONFIG;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new Error(`could not read ${path} at ${base.slice(0, 12)}: ${(e as Error).message}`);
    }
  } else {
    warnings.push(`no commit before this ${change.what} to read ${path} from: nothing is suppressed`);
  }
  let after: KeyleakConfig | null = null;
  try {
    after = await configAt(git, change.after, path);
  } catch (e) {
    warnings.push(
      `${path} as changed in this ${change.what} is invalid and was not used: ${(e as Error).message}`,
    );
  }
  const wider = after ? widenings(config, after) : [];
  if (wider.length > 0) {
    warnings.push(
      `allow list widened in this ${change.what}: ${wider.join('; ')}. The change is scanned with the config from before it (${base ? base.slice(0, 12) : 'none'}); the wider list applies once it is merged.`,
    );
  }
  return { config, warnings };
}
