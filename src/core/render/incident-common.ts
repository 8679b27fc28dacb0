import { stepTag, TAILORED_PLAN } from '../incident-wire.js';
import type { Location } from '../types.js';
import { mdCode, mdCodeLink, mdLink, mdText } from './escape.js';
import type { IncidentContext } from './incident.js';
import { messageMd, tagName } from './where.js';

/** The parts a key's incident and a lone secret's incident both show. */

export const ZERO = /^0{40}$/;

export function short(sha: string): string {
  return sha.slice(0, 12);
}

/** One runbook step: ticked (`done`, with keyleak's evidence) only for what keyleak itself did. */
export interface Step {
  id: string;
  text: string;
  done: string | null;
  note?: string | null;
}

function author(a: string | null): string {
  // Names only: the issue may be more widely readable than the repository's history.
  return a ? mdText(a.replace(/\s*<[^>]*>\s*$/, '')) : '';
}

/** A path as a URL path: each segment percent-encoded, so `#`, `?` and spaces stay part of the name. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function whereSection(
  locations: Location[],
  ctx: Pick<IncidentContext, 'repo' | 'serverUrl' | 'refs' | 'pulls'>,
): string[] {
  const out = ['## Where it leaked', ''];
  // An org scan's incident spans repositories: one table per repository, in order of first leak.
  const byRepo = new Map<string, Location[]>();
  for (const l of locations) {
    const name = l.repo ?? `${ctx.repo.owner}/${ctx.repo.repo}`;
    const list = byRepo.get(name);
    if (list) list.push(l);
    else byRepo.set(name, [l]);
  }
  for (const [name, locations] of byRepo) {
    const base = `${ctx.serverUrl}/${name}`;
    out.push(
      `In ${mdLink(name, base)}:`,
      '',
      '| Commit | File | Author | Date | Branches and tags |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const l of locations) {
      // A tag's message: `commit` is the tag object, which has no page of its own; the tag has.
      const commit = !l.commit
        ? 'not committed'
        : l.tag
          ? mdCodeLink(short(l.commit), `${base}/releases/tag/${encodePath(tagName(l.tag))}`)
          : mdCodeLink(short(l.commit), `${base}/commit/${l.commit}`);
      const file =
        l.path === null
          ? messageMd(l)
          : l.commit
            ? mdCodeLink(`${l.path}:${l.line}`, `${base}/blob/${l.commit}/${encodePath(l.path)}#L${l.line}`)
            : mdCode(`${l.path}:${l.line}`);
      const refs = (l.tag ? [l.tag] : l.commit ? (ctx.refs[l.commit] ?? []) : []).map(
        (r) => `${mdCode(r.replace(/^refs\/(heads|tags|remotes)\//, ''))}`,
      );
      out.push(
        `| ${commit} | ${file} | ${author(l.author)} | ${mdText(l.date ?? '')} | ${refs.join(', ') || 'none'} |`,
      );
    }
    out.push('');
  }
  out.pop();
  const prs = [...new Set(locations.flatMap((l) => (l.commit ? (ctx.pulls[l.commit] ?? []) : [])))].sort(
    (a, b) => a - b,
  );
  if (prs.length > 0)
    out.push('', `Pull requests containing these commits: ${prs.map((n) => `#${n}`).join(', ')}.`);
  out.push('');
  return out;
}

/** The runbook: the contacts, then the steps as a task list, each ending in its id tag. */
export function runbookSection(steps: Step[], contacts: string): string[] {
  const out = ['## Runbook', '', contacts.trim(), ''];
  steps.forEach((s, i) => {
    const extra = s.done ? ` _Done: ${s.done}._` : s.note ? ` _${s.note}_` : '';
    out.push(`- [${s.done ? 'x' : ' '}] ${i + 1}. ${s.text}${extra} ${stepTag(s.id)}`);
  });
  out.push('');
  return out;
}

/** What "Remove it from history" says of one kind of incident. */
export interface HistoryWords {
  cleanup: string;
  what: string;
  /** How to rewrite by hand, and what the expressions file holds. */
  byHand: string;
  /** A command that fails to print the right thing while the leak remains in the rewritten mirror. */
  check: string;
}

/**
 * "Remove it from history", as far as a key's and a lone secret's share it: the tailored plan when there is
 * one; else why rewriting is cleanup, the commits that introduced `what`, and the rewrite by hand, checked
 * before it is pushed.
 */
export function historySection(
  locations: readonly Location[],
  ctx: IncidentContext,
  words: HistoryWords,
): string[] {
  const out = ['## Remove it from history', ''];
  if (ctx.historyPlan) return [...out, TAILORED_PLAN, ctx.historyPlan.trim(), ''];
  const base = `${ctx.serverUrl}/${ctx.repo.owner}/${ctx.repo.repo}`;
  const commits = [
    ...new Set(locations.map((l) => l.commit).filter((c): c is string => !!c && !ZERO.test(c))),
  ];
  out.push(`Rewriting history is cleanup, not containment: ${words.cleanup}`, '');
  if (commits.length > 0) {
    out.push(`Commits that introduced ${words.what}:`, '');
    for (const c of commits) {
      const prs = ctx.pulls[c] ?? [];
      out.push(
        `- ${mdCodeLink(short(c), `${base}/commit/${c}`)}${prs.length ? ` (in ${prs.map((n) => `#${n}`).join(', ')})` : ''}`,
      );
    }
    out.push('');
  }
  out.push(
    words.byHand,
    '',
    '```sh',
    `git clone --mirror ${base}.git && cd ${ctx.repo.repo}.git`,
    'git filter-repo --sensitive-data-removal --replace-text ../expressions.txt',
    words.check,
    'git push --force --mirror origin',
    '```',
    '',
    'Then ask GitHub Support to remove cached views and pull request refs (which a force push cannot rewrite), naming the first changed commits; collaborators re-clone, and forks keep their copies.',
    '',
  );
  return out;
}

/** The runbook's resources step, the same for a key and for a secret whose key is not yet known. */
export const RESOURCES_STEP =
  '**Find and remove unauthorised resources**: EC2 instances, Spot requests, Lambda functions and anything else the key created. Check the [billing dashboard](https://console.aws.amazon.com/billing/home#/) and [Cost Explorer](https://console.aws.amazon.com/cost-management/home#/cost-explorer) for a spike since the exposure.';

/** The runbook's steps that only people can take, the same in every incident. */
export const PEOPLE_STEPS: readonly Step[] = [
  {
    id: 'security',
    text: '**Tell the security team**: what leaked, where, since when, and what has been done (link this issue).',
    done: null,
  },
  {
    id: 'decide',
    text: '**Decide with the security team** whether the account must be closed or rebuilt.',
    done: null,
  },
];
