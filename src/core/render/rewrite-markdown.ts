import { REPLACEMENT, type RewritePlan, type SecretSpan } from '../rewrite-plan.js';
import type { Location } from '../types.js';
import { mdCode, mdFence, mdUrl, shellQuote } from './escape.js';
import { messageMd } from './where.js';

const short = (sha: string) => sha.slice(0, 12);
const refName = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, '');

function where(l: Location): string {
  const file = l.path === null ? messageMd(l) : `${mdCode(l.path)}:${l.line}`;
  return `${mdCode(short(l.commit!))} ${file}`;
}

function list<T>(items: T[], show: (t: T) => string, max: number): string {
  const shown = items.slice(0, max).map(show).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** The shell line that appends one secret, read back from where it leaked, to the expressions file. */
function extractLine(s: SecretSpan): string {
  const read =
    s.path === null
      ? `git cat-file ${s.tag ? 'tag' : 'commit'} ${s.commit} | sed '1,/^$/d'`
      : `git cat-file blob ${shellQuote(`${s.commit}:${s.path}`)}`;
  return `${read} | sed -n '${s.line}p' | cut -b ${s.start}-${s.end} | sed 's/$/==>${REPLACEMENT}/' >>"$expr"`;
}

/**
 * The markdown the incident issue places under its `Remove it from history` heading (the heading itself
 * is the caller's): what the rewrite touches and the steps, with commands made for this repository and
 * these keys. The secrets are never in it: the commands read them back from the commits.
 */
export function renderRewriteMarkdown(plan: RewritePlan): string {
  if (plan.keys.length === 0) {
    return 'Nothing to remove: no leaked key was found in the history of this repository.\n';
  }
  const out: string[] = [];
  const contain = plan.incidentUrl
    ? `[Contain the key first](${mdUrl(plan.incidentUrl)})`
    : 'Contain the key first';
  // Secrets found without their key id: the key must first be found in IAM, then rotated.
  const unknownKey = plan.keys.every((k) => k.lone);
  out.push(
    `> [!IMPORTANT]`,
    unknownKey
      ? `> ${contain}: find its key id in IAM and rotate it before anything else. Rewriting history is not remediation —`
      : `> ${contain}: deactivate it and rotate it before anything else. Rewriting history is not remediation —`,
    '> anyone who fetched these commits, every fork and every cache already has the key.',
    '',
  );

  out.push(
    '| Key id | Secret | Introduced in | Branches and tags | Default branch |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const k of plan.keys) {
    const secret = k.secretFound ? `${mdCode(k.secretRedacted ?? '')}` : 'not found';
    out.push(
      `| ${k.lone ? 'unknown (secret found without it)' : `\`${k.keyId}\``} | ${secret} | ${list(k.locations, where, 5)} | ${k.refs.length ? list(k.refs, (r) => `${mdCode(refName(r))}`, 8) : 'none (unreachable)'} | ${k.defaultBranchAffected ? '**affected**' : 'not affected'} |`,
    );
  }
  out.push('');
  if (plan.pullRequests.length > 0) {
    out.push(
      `Pull requests that reference these commits: ${plan.pullRequests.map((p) => `#${p}`).join(', ')}. Their \`refs/pull/*\` cannot be force-pushed away (step 7).`,
      '',
    );
  }
  for (const k of plan.keys.filter((x) => x.secretUnlocated)) {
    out.push(
      k.lone
        ? `> [!WARNING]\n> ${mdCode(k.secretRedacted ?? '')} could not be located again in the commits, so nothing below removes it. Add it to the expressions file by hand (never paste it into this issue).`
        : `> [!WARNING]\n> The secret paired with \`${k.keyId}\` could not be located again in the commits; only the key id is replaced below. Add the secret to the expressions file by hand (never paste it into this issue).`,
      '',
    );
  }

  if (plan.shortPath) {
    const sp = plan.shortPath;
    out.push(
      `**Short path.** The key is only in ${sp.kind === 'amend' ? 'the newest commit' : 'commits'} of ${mdCode(refName(sp.branch))} that nobody else has yet (${list(sp.commits, (c) => `\`${short(c)}\``, 5)}, in no tag or remote branch). Fix it there instead of rewriting shared history:`,
      '',
    );
    out.push('```sh');
    if (sp.kind === 'amend') {
      out.push(
        '# remove the key from the files (and from the message, if it is there), then:',
        'git add -A',
        'git commit --amend',
      );
    } else {
      const oldest = sp.commits[0]!;
      out.push(
        `git rebase -i ${oldest}~1   # mark ${short(oldest)} and the other commits listed above as "edit"`,
        '# at each stop: remove the key, `git add -A`, `git commit --amend`, `git rebase --continue`',
      );
    }
    out.push(
      '```',
      '',
      plan.keys.every((k) => k.lone)
        ? 'Then check that `git log -p --all` no longer shows the secret before you push. Otherwise, the full procedure:'
        : `Then check that \`git log -p --all -S${plan.keys.find((k) => !k.lone)!.keyId}\` prints nothing before you push. Otherwise, the full procedure:`,
      '',
    );
  }

  const sdr = plan.sensitiveDataRemoval === false ? '' : ' --sensitive-data-removal';
  const supportNames = [
    plan.firstCommits.length
      ? `the commits that introduced the key (${list(plan.firstCommits, (c) => `\`${short(c)}\``, 10)})`
      : '',
    plan.messageTags.length
      ? `the tags whose message held it (${list(plan.messageTags, (t) => mdCode(refName(t)), 10)})`
      : '',
  ]
    .filter(Boolean)
    .join(', ');
  out.push(
    `1. **Contain first.** ${plan.incidentUrl ? `See [the incident's status](${mdUrl(plan.incidentUrl)}).` : 'See the status above.'} The key must be inactive before the rewrite${unknownKey ? ' (for a secret found without its key id: found in IAM and rotated)' : ''}: the rewrite only stops new copies.`,
    '2. **Make a fresh mirror clone** (all branches, tags and pull request refs). Steps 2 to 5 can also run in one go, with every check below: `keyleak rewrite-plan --format sh --output plan.sh && bash plan.sh repo-clean.git`.',
    ...mdFence(
      `git clone --mirror ${shellQuote(plan.source)} repo-clean.git && cd repo-clean.git`,
      'sh',
      '   ',
    ),
    '3. **Build the replacement file locally**, reading each secret back from the commit it leaked in so it never appears in this issue, a terminal or a shell history:',
  );
  const extract = ['umask 077; expr=$(mktemp); trap \'rm -f "$expr"\' EXIT'];
  for (const k of plan.keys) {
    // A lone secret has no key id: only its secret, read back, goes in.
    if (!k.lone) extract.push(`printf '%s==>${REPLACEMENT}\\n' ${k.keyId} >>"$expr"`);
    for (const s of plan.spans.filter((x) => x.keyId === k.keyId)) extract.push(extractLine(s));
  }
  out.push(...mdFence(extract.join('\n'), 'sh', '   '));
  if (plan.removePaths.length > 0) {
    out.push(
      `   These files hold nothing but credentials in every version and are removed from every commit instead: ${plan.removePaths.map((p) => `${mdCode(p)}`).join(', ')}.`,
    );
  }
  const remove = plan.removePaths.length
    ? ` \\\n  --invert-paths${plan.removePaths.map((p) => ` --path ${shellQuote(p)}`).join('')}`
    : '';
  out.push(
    `4. **Rewrite** with [git filter-repo](https://github.com/newren/git-filter-repo)${plan.sensitiveDataRemoval === null ? ' (drop `--sensitive-data-removal` if `git filter-repo -h` does not list it: it needs 2.47 or later)' : ''}:`,
    ...mdFence(
      `git filter-repo${sdr} --replace-text "$expr" --replace-message "$expr" \\\n  --prune-empty never --prune-degenerate never --replace-refs delete-no-add${remove}`,
      'sh',
      '   ',
    ),
    '5. **Verify** that no object reachable from any ref holds a key id or secret (this must print `0`); `--sensitive-data-removal` and the script also report the first changed commits:',
    '   ```sh',
    `   git rev-list --objects --all --no-object-names | git cat-file --batch | grep -a -c -F -f <(sed 's/==>.*//' "$expr")`,
    '   ```',
    `6. **Push** the rewritten history: ${mdCode(`git push --force --mirror ${shellQuote(plan.source)}`, { table: false })}. ${plan.refs.length ? `It rewrites ${list(plan.refs, (r) => `${mdCode(refName(r))}`, 10)}` : 'It rewrites the affected refs'}${plan.defaultBranchAffected && plan.defaultBranch ? `, including the default branch ${mdCode(refName(plan.defaultBranch))}` : ''}. Protected branches and rulesets refuse force pushes: allow them for the push, then restore the protection at once. The \`refs/pull/*\` updates are rejected; that is expected.`,
    `7. **Ask [GitHub Support](https://support.github.com/contact)** to remove cached views and dereferenced objects, naming ${supportNames} and the first changed commits the rewrite reported${plan.pullRequests.length ? ` and the pull requests ${plan.pullRequests.map((p) => `#${p}`).join(', ')}, whose refs only they can remove` : ''}. Tell collaborators to re-clone (or rebase their work onto the new history, never merge the old one back). Forks keep their copy of the key.`,
    '',
  );
  return out.join('\n');
}
