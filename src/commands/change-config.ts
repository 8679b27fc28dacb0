import type { Git } from '../adapters/git.js';
import { ALLOW_MARKER } from '../core/rules.js';
import { scanHistory } from '../scan/history.js';
import type { ScanResult } from '../scan/result.js';
import { EMPTY_CONFIG, parseConfig, type KeyleakConfig } from '../core/config.js';
import { widenings } from '../core/config-change.js';
import { UsageError } from '../core/errors.js';

/** The blob id and text of `path` as committed at `commit`; null when the commit has no such file. */
async function fileAt(
  git: Git,
  commit: string,
  path: string,
): Promise<{ blob: string; text: string } | null> {
  const [blob] = await git.blobsAt([`${commit}:${path}`]);
  if (!blob) return null;
  return { blob, text: (await git.readBytes(blob)).toString('utf8') };
}

/** The config file as committed at `commit`; null when the commit has no such file. */
async function configAt(git: Git, commit: string, path: string): Promise<KeyleakConfig | null> {
  const file = await fileAt(git, commit, path);
  return file ? parseConfig(file.text, `${path} at ${commit.slice(0, 12)}`) : null;
}

/**
 * The runbook's contacts block for the incidents a change opens: the `runbook-template` file as committed
 * before the change. It is keyleak's own markdown in the incident (links, mentions, checklists), so the
 * change itself must not be able to write it: a pull request could otherwise put its own "rotate the key
 * by running …" or links into the incident its leak opens. A change that edits or deletes it is told the
 * edit applies once merged. A file absent before the change, or that cannot be read there, gives
 * `fallback` (the default block) and a warning saying so: the contacts never decide whether a leak is
 * reported.
 */
export async function contactsForChange(
  git: Git,
  path: string,
  change: { before: string | null; after: string; what: string },
  fallback: string,
): Promise<{ contacts: string; warnings: string[] }> {
  if (change.before === null) {
    return {
      contacts: fallback,
      warnings: [
        `no commit before this ${change.what} to read ${path} from: incidents name the default contacts`,
      ],
    };
  }
  const warnings: string[] = [];
  const at = change.before.slice(0, 12);
  const before = await fileAt(git, change.before, path).catch((e: Error) => {
    warnings.push(
      `could not read ${path} (runbook-template) at ${at}: ${e.message}; incidents name the default contacts`,
    );
    return undefined;
  });
  const after = await fileAt(git, change.after, path).catch(() => undefined);
  if (before === null && !after) {
    warnings.push(
      `${path} (runbook-template) is not in ${at}, before this ${change.what}: incidents name the default contacts`,
    );
  } else if (before !== undefined && before?.blob !== after?.blob) {
    warnings.push(
      `${path} (runbook-template) is ${after ? 'changed' : 'deleted'} in this ${change.what}: incidents use it as it was before (${before ? at : 'absent, the default contacts'}); the change applies once merged`,
    );
  }
  return { contacts: before?.text ?? fallback, warnings };
}

/**
 * The config that governs a change (a pull request, a push): the one committed before it, read from git
 * and never from the work tree, which the change itself wrote. A change that widens what is suppressed
 * is said so and does not get the wider config; `what` names the change in that warning.
 *
 * `before` null (a new branch whose default branch the checkout does not know): nothing is suppressed.
 */
export async function configForChange(
  git: Git,
  path: string,
  change: { before: string | null; after: string; what: string },
): Promise<{ config: KeyleakConfig; warnings: string[] }> {
  const base = change.before;
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

/** Whether a line of `commit`'s tree holds both the key id and an allow marker. */
async function markedAt(git: Git, commit: string, keyId: string): Promise<boolean> {
  return git.hasLineWithBoth(commit, keyId, ALLOW_MARKER);
}

/**
 * Whether a line of `commit`'s tree holds both `secret` and an allow marker. The secret is looked for
 * through git grep's stdin, never its command line, and the lines are read here.
 */
async function secretMarkedAt(git: Git, commit: string, secret: string): Promise<boolean> {
  for (const path of await git.filesContaining(commit, [secret])) {
    const text = (await git.readBytes(`${commit}:${path}`)).toString('latin1');
    if (text.split('\n').some((l) => l.includes(secret) && l.includes(ALLOW_MARKER))) return true;
  }
  return false;
}

/**
 * Scans a change (`include` minus `exclude`) with the config that governs it. An inline `keyleak:allow`
 * marker the change added — no line before it held the key id (or the secret found without its key id)
 * with a marker — does not apply: such keys and secrets are scanned again with their markers ignored, and
 * a warning says so.
 */
export async function scanChange(
  git: Git,
  range: { include: string[]; exclude: string[] },
  change: { before: string | null; what: string },
  config: KeyleakConfig,
): Promise<{ result: ScanResult; warnings: string[] }> {
  const scan = (c: KeyleakConfig) =>
    scanHistory(
      git,
      { mode: 'range', include: range.include, exclude: range.exclude },
      { config: c, jobs: 1 },
    );
  const result = await scan(config);
  const marked = [
    ...new Set(
      result.report.suppressed.flatMap((s) => (s.reason === 'inline-allow' && s.keyId ? [s.keyId] : [])),
    ),
  ];
  const added: string[] = [];
  for (const keyId of marked) {
    if (change.before === null || !(await markedAt(git, change.before, keyId))) added.push(keyId);
  }
  // Secrets found without their key id: the scan keeps a suppressed secret's fingerprint only, so one
  // more scan, their markers ignored, gives the values to look for before the change.
  const markedSecrets = [
    ...new Set(
      result.report.suppressed.flatMap((s) =>
        s.reason === 'inline-allow' && s.keyId === null ? [s.fingerprint] : [],
      ),
    ),
  ];
  const addedSecrets: string[] = [];
  if (markedSecrets.length > 0) {
    const probe = await scan({ ...config, ignoreInlineAllow: new Set(markedSecrets) });
    for (const fp of markedSecrets) {
      const value = probe.secrets.get(fp)?.secrets[0];
      if (change.before === null || !value || !(await secretMarkedAt(git, change.before, value)))
        addedSecrets.push(fp);
    }
  }
  if (added.length + addedSecrets.length === 0) return { result, warnings: [] };
  const names = [...added, ...addedSecrets.map((fp) => `the secret ${fp} (no key id)`)];
  return {
    result: await scan({ ...config, ignoreInlineAllow: new Set([...added, ...addedSecrets]) }),
    warnings: [
      `allow marker (${ALLOW_MARKER}) added in this ${change.what} for ${names.join(', ')}: not applied to the ${change.what} that adds it`,
    ],
  };
}
