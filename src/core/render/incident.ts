import {
  GENERATED_END,
  stateComment,
  stateOf,
  verdictOf,
  type IncidentVerdict,
  type TrailSummary,
} from '../incident.js';
import type { Finding } from '../types.js';
import { cell } from './markdown.js';

/** What an incident issue says beyond the finding itself. Plain data: the commands gather it. */
export interface IncidentContext {
  /** The repository the key leaked in (links point there, whichever repository holds the issue). */
  repo: { owner: string; repo: string };
  /** https://github.com, or the GHES host. */
  serverUrl: string;
  /** This workflow run, for the trail.json artifact and the "last checked by" line. */
  runUrl: string | null;
  /** Where trail.json was uploaded, when it was. */
  trailArtifactUrl: string | null;
  /** Commit SHA → the branches and tags containing it. */
  refs: Record<string, string[]>;
  /** Commit SHA → pull requests containing it (their refs survive a history rewrite). */
  pulls: Record<string, number[]>;
  /** Set when the push that brought the key in was a force push. */
  forcePush: { before: string; after: string } | null;
  trail: TrailSummary | null;
  /** Why there is no CloudTrail summary, when there is none. */
  trailUnavailable: string | null;
  /** Why the key was not verified, when it was not. */
  verificationNote: string | null;
  /** Markdown of the history-rewrite plan; null lists the offending commits and the command shape. */
  historyPlan: string | null;
  /** Team channels and contacts for the runbook (the `runbook-template` file, or the default). */
  contacts: string;
  /** When this check ran, ISO 8601. */
  checkedAt: string;
  /** Quarantine policies AWS attached to the key's user; null when nobody could look. */
  quarantine?: string[] | null;
}

/** The contacts block used when the repository has no `runbook-template`. Names no one. */
export const DEFAULT_RUNBOOK_TEMPLATE = `**Who to involve** (set \`runbook-template\` to a markdown file in this repository to name your own channels and contacts):

- **Incident channel:** open a dedicated chat channel or thread for this key and link it here.
- **Security team:** your organisation's security or incident-response contact.
- **Account owners:** whoever administers the AWS account the key belongs to, and someone with access to its billing.`;

const ZERO = /^0{40}$/;

function short(sha: string): string {
  return sha.slice(0, 12);
}

/** The issue title: the key id (never the secret) and its state. */
export function renderIncidentTitle(f: Finding): string {
  const v = verdictOf(f);
  const state: string[] = [v];
  const a = f.response?.action;
  if (a === 'deactivated') state.push('deactivated');
  else if (a === 'already-inactive') state.push('inactive');
  else if (a === 'dry-run') state.push('dry run');
  else if (a === 'failed') state.push('containment failed');
  else if (a === 'manual' || a === 'not-managed') state.push('needs manual containment');
  if (f.canary) state.push('canary token');
  return `Leaked AWS key ${f.keyId} (${state.join(', ')})`;
}

function verdictSentence(f: Finding, v: IncidentVerdict, ctx: IncidentContext): string {
  const ver = f.verification;
  switch (v) {
    case 'live':
      return '**live**: STS `GetCallerIdentity` accepted the leaked pair. Anyone who read it can act as its owner until it is deactivated.';
    case 'invalid':
      return `**invalid**: STS rejected the leaked pair${ver?.reason ? ` (${cell(ver.reason)})` : ''}. The key is deleted, inactive or the secret is wrong; confirm before closing.`;
    case 'wrong secret':
      return '**key exists and is active; the secret found is not its secret**: STS answered `SignatureDoesNotMatch` (after the documented retry). AWS knows this key and it works for whoever holds its real secret, which may be elsewhere (another file, a CI variable, a laptop). Treat it as live: find its owner in IAM and rotate it.';
    case 'unknown':
      return `**unknown**: STS could not tell${ver?.reason ? ` (${cell(ver.reason)})` : ''}. Nothing was changed; treat the key as live until a rescan says otherwise.`;
    default: {
      const why = f.canary
        ? 'the key belongs to a canary-token account, and verifying it would trip the canary'
        : ver?.status === 'skipped'
          ? (ver.reason ?? 'no secret was found next to the key id')
          : (ctx.verificationNote ?? 'verification is turned off');
      return `**not verified**: ${cell(why)}. Treat the key as live.`;
    }
  }
}

function statusSection(f: Finding, ctx: IncidentContext): string[] {
  const v = verdictOf(f);
  const ver = f.verification;
  const out = ['## Status', '', `Verdict: ${verdictSentence(f, v, ctx)}`, ''];
  const rows: [string, string][] = [
    ['Key id', `\`${f.keyId}\` (${f.keyKind === 'temporary' ? 'temporary, ASIA' : 'long-term'})`],
    ['Secret', f.secretFound ? `found next to it (\`${cell(f.secretRedacted ?? '')}\`)` : 'not found'],
    [
      'Account',
      ver?.accountId
        ? `\`${ver.accountId}\` (from STS)`
        : f.accountId
          ? `\`${f.accountId}\` (decoded offline from the key id)`
          : 'unknown',
    ],
  ];
  if (ver?.arn) rows.push(['Principal', `\`${cell(ver.arn)}\``]);
  if (f.response) {
    rows.push(['Containment', `**${f.response.action}**: ${cell(f.response.detail)} (${f.response.at})`]);
  } else {
    rows.push([
      'Containment',
      'nothing was done: containment needs responder credentials and `deactivate: true`',
    ]);
  }
  if (ctx.quarantine) {
    rows.push([
      'AWS quarantine policy',
      ctx.quarantine.length > 0
        ? `${ctx.quarantine.map((q) => `\`${cell(q)}\``).join(', ')} attached: AWS saw the leak too. It blocks the key from acting on itself, not a responder.`
        : 'none attached',
    ]);
  }
  rows.push(['Last checked', ctx.runUrl ? `${ctx.checkedAt} ([run](${ctx.runUrl}))` : ctx.checkedAt]);
  out.push('| | |', '| --- | --- |', ...rows.map(([k, val]) => `| ${k} | ${val} |`), '');
  if (ctx.forcePush) {
    out.push(
      `> [!WARNING]`,
      `> This key arrived in a force push (\`${short(ctx.forcePush.before)}\` → \`${short(ctx.forcePush.after)}\`). The commits it replaced stay fetchable by SHA on GitHub and in forks: rewriting history does not unpublish the key. Contain it.`,
      '',
    );
  }
  return out;
}

function author(a: string | null): string {
  // Names only: the issue may be more widely readable than the repository's history.
  return a ? cell(a.replace(/\s*<[^>]*>\s*$/, '')) : '';
}

function whereSection(f: Finding, ctx: IncidentContext): string[] {
  const out = ['## Where it leaked', ''];
  // An org scan's incident spans repositories: one table per repository, in order of first leak.
  const byRepo = new Map<string, typeof f.locations>();
  for (const l of f.locations) {
    const name = l.repo ?? `${ctx.repo.owner}/${ctx.repo.repo}`;
    const list = byRepo.get(name);
    if (list) list.push(l);
    else byRepo.set(name, [l]);
  }
  for (const [name, locations] of byRepo) {
    const base = `${ctx.serverUrl}/${name}`;
    out.push(
      `In [${name}](${base}):`,
      '',
      '| Commit | File | Author | Date | Branches and tags |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const l of locations) {
      const commit = l.commit ? `[\`${short(l.commit)}\`](${base}/commit/${l.commit})` : 'not committed';
      const file =
        l.path === null
          ? 'commit message'
          : l.commit
            ? `[\`${cell(l.path)}:${l.line}\`](${base}/blob/${l.commit}/${encodeURI(l.path)}#L${l.line})`
            : `\`${cell(l.path)}:${l.line}\``;
      const refs = (l.commit ? (ctx.refs[l.commit] ?? []) : []).map(
        (r) => `\`${cell(r.replace(/^refs\/(heads|tags|remotes)\//, ''))}\``,
      );
      out.push(
        `| ${commit} | ${file} | ${author(l.author)} | ${l.date ?? ''} | ${refs.join(', ') || 'none'} |`,
      );
    }
    out.push('');
  }
  out.pop();
  const prs = [...new Set(f.locations.flatMap((l) => (l.commit ? (ctx.pulls[l.commit] ?? []) : [])))].sort(
    (a, b) => a - b,
  );
  if (prs.length > 0)
    out.push('', `Pull requests containing these commits: ${prs.map((n) => `#${n}`).join(', ')}.`);
  out.push('');
  return out;
}

interface Step {
  id: string;
  text: string;
  done: string | null;
  note?: string | null;
}

function runbookSteps(f: Finding, ctx: IncidentContext): Step[] {
  const a = f.response;
  const contained = a && (a.action === 'deactivated' || a.action === 'already-inactive');
  const trail = ctx.trail;
  const trailDone = trail && trail.incompleteRegions.length === 0;
  return [
    {
      id: 'deactivate',
      text: "**Deactivate the key** (or delete it) in IAM, under the key owner's security credentials, and rotate it for its owner through a secret store.",
      done: contained ? `${a.action} by keyleak: ${cell(a.detail)} (${a.at})` : null,
      note:
        a && !contained && a.action !== 'none'
          ? `keyleak: ${a.action}: ${cell(a.detail)}`
          : verdictOf(f) === 'invalid'
            ? 'keyleak: STS already rejects the key; confirm in IAM that it is inactive or deleted.'
            : verdictOf(f) === 'wrong secret'
              ? 'keyleak: the key is active (its secret is not the one found): rotate it for its owner, then deactivate it by hand.'
              : null,
    },
    {
      id: 'channel',
      text: '**Open a dedicated incident channel or thread** and ask the people listed above to join.',
      done: null,
    },
    {
      id: 'access',
      text: '**Find unauthorised access in CloudTrail, in every region**: new IAM users, access keys, login profiles, policies, roles and temporary credentials. Revoke sessions minted from the key with a deny on `aws:TokenIssueTime`; deactivation alone does not end them.',
      done: trailDone
        ? `summarised by keyleak: ${trail.totalEvents} events in ${trail.regions.length} regions, ${trail.flagged.length} flagged (see CloudTrail activity below)`
        : null,
      note:
        trail && !trailDone ? `keyleak: ${trail.incompleteRegions.length} regions could not be read` : null,
    },
    {
      id: 'resources',
      text: '**Find and remove unauthorised resources**: EC2 instances, Spot requests, Lambda functions and anything else the key created. Check the billing dashboard and Cost Explorer for a spike since the exposure.',
      done: null,
    },
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
    {
      id: 'history',
      text: '**Clean up the history** (optional, and only after containment): see *Remove it from history* below.',
      done: null,
    },
  ];
}

function runbookSection(f: Finding, ctx: IncidentContext): string[] {
  const out = ['## Runbook', '', ctx.contacts.trim(), ''];
  runbookSteps(f, ctx).forEach((s, i) => {
    const extra = s.done ? ` _Done: ${s.done}._` : s.note ? ` _${s.note}_` : '';
    out.push(`- [${s.done ? 'x' : ' '}] ${i + 1}. ${s.text}${extra} <!-- keyleak:step ${s.id} -->`);
  });
  out.push('');
  return out;
}

function mermaidTime(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/(\.\d+)?Z$/, '')
    .slice(0, 19);
}

/**
 * A Gantt chart GitHub renders in place: one bar per source IP from its first to its last call. Mermaid
 * ends a task name at ':', so IPv6 colons become a look-alike character.
 */
function activityChart(t: TrailSummary): string[] {
  const out = [
    '```mermaid',
    'gantt',
    '    title Calls by source IP, first to last (UTC)',
    '    dateFormat YYYY-MM-DD HH:mm:ss',
    '    axisFormat %m-%d %H:%M',
  ];
  for (const ip of t.byIp.slice(0, 15)) {
    let end = ip.last;
    // A single call would be a zero-length bar, which Mermaid does not draw.
    if (Date.parse(end) - Date.parse(ip.first) < 60_000)
      end = new Date(Date.parse(ip.first) + 60_000).toISOString();
    out.push(
      `    section ${ip.ip.replace(/:/g, '\ua789')}`,
      `    ${ip.count} call${ip.count === 1 ? '' : 's'} : ${mermaidTime(ip.first)}, ${mermaidTime(end)}`,
    );
  }
  out.push('```');
  return out;
}

function table(headers: string[], rows: string[][], more: number): string[] {
  const out = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  if (more > 0) out.push('', `… and ${more} more in \`trail.json\`.`);
  out.push('');
  return out;
}

const ROWS = 20;

function trailSection(ctx: IncidentContext): string[] {
  const out = ['## CloudTrail activity', ''];
  const t = ctx.trail;
  if (!t) {
    out.push(
      `CloudTrail was not read: ${cell(ctx.trailUnavailable ?? 'no responder credentials were available')}.`,
      '',
      "To summarise the key's activity here, give the job responder credentials in the key's account, for example a role assumed through OIDC before keyleak runs:",
      '',
      '```yaml',
      'permissions:',
      '  id-token: write # OIDC',
      '  contents: read',
      '  issues: write',
      'steps:',
      '  - uses: aws-actions/configure-aws-credentials@v4',
      '    with:',
      '      role-to-assume: arn:aws:iam::<account-id>:role/keyleak-responder',
      '      aws-region: us-east-1',
      '```',
      '',
      'and set `aws-role-template` to reach other managed accounts. Then comment `/rescan` on this issue.',
      '',
    );
    return out;
  }
  out.push(
    `From ${t.window.start} to ${t.window.end} in ${t.regions.length} region${t.regions.length === 1 ? '' : 's'}: **${t.totalEvents} events** (${t.ownEvents} of them keyleak's own verification, left out below).`,
    '',
  );
  if (t.incompleteRegions.length > 0) {
    out.push(
      '> [!WARNING]',
      `> ${t.incompleteRegions.length} region(s) could not be read; their events are missing:`,
    );
    for (const r of t.incompleteRegions) out.push(`> - \`${cell(r.region)}\`: ${cell(r.reason)}`);
    out.push('');
  }
  if (t.byIp.length > 0) out.push(...activityChart(t), '');
  if (t.flagged.length > 0) {
    out.push('### Flagged calls', '');
    out.push(
      ...table(
        ['Category', 'Event', 'Time', 'Region', 'Source IP', 'User agent'],
        t.flagged
          .slice(0, ROWS)
          .map((e) => [
            e.category,
            `\`${cell(e.eventName)}\``,
            e.eventTime,
            e.region,
            `\`${cell(e.sourceIPAddress)}\``,
            cell(e.userAgent),
          ]),
        t.flagged.length - ROWS,
      ),
    );
  }
  out.push('### By source IP', '');
  out.push(
    ...table(
      ['Source IP', 'Calls', 'First', 'Last'],
      t.byIp.slice(0, ROWS).map((i) => [`\`${cell(i.ip)}\``, String(i.count), i.first, i.last]),
      t.byIp.length - ROWS,
    ),
  );
  out.push('### By user agent', '');
  out.push(
    ...table(
      ['User agent', 'Calls'],
      t.byUserAgent.slice(0, ROWS).map((u) => [cell(u.userAgent), String(u.count)]),
      t.byUserAgent.length - ROWS,
    ),
  );
  out.push('### By call', '');
  out.push(
    ...table(
      ['Service', 'Call', 'Count', 'Errors'],
      t.byEvent
        .slice(0, ROWS)
        .map((e) => [cell(e.eventSource), `\`${cell(e.eventName)}\``, String(e.count), String(e.errors)]),
      t.byEvent.length - ROWS,
    ),
  );
  if (ctx.trailArtifactUrl)
    out.push(`Every event: [\`trail.json\`](${ctx.trailArtifactUrl}) (an artifact of this run).`, '');
  else if (ctx.runUrl) out.push(`Every event: \`trail.json\`, an artifact of [this run](${ctx.runUrl}).`, '');
  return out;
}

function historySection(f: Finding, ctx: IncidentContext): string[] {
  const out = ['## Remove it from history', ''];
  if (ctx.historyPlan) return [...out, ctx.historyPlan.trim(), ''];
  const base = `${ctx.serverUrl}/${ctx.repo.owner}/${ctx.repo.repo}`;
  const commits = [
    ...new Set(f.locations.map((l) => l.commit).filter((c): c is string => !!c && !ZERO.test(c))),
  ];
  out.push(
    'Rewriting history is cleanup, not containment: the key stays valid, and copies (clones, forks, caches) keep it. Contain first.',
    '',
  );
  if (commits.length > 0) {
    out.push('Commits that introduced the key:', '');
    for (const c of commits) {
      const prs = ctx.pulls[c] ?? [];
      out.push(
        `- [\`${short(c)}\`](${base}/commit/${c})${prs.length ? ` (in ${prs.map((n) => `#${n}`).join(', ')})` : ''}`,
      );
    }
    out.push('');
  }
  out.push(
    'The rewrite, in a fresh mirror clone (the expressions file lists the key id and its secret, one per line; keep it out of any repository):',
    '',
    '```sh',
    `git clone --mirror ${base}.git && cd ${ctx.repo.repo}.git`,
    'git filter-repo --sensitive-data-removal --replace-text ../expressions.txt',
    'git push --force --mirror origin',
    `git log --all -S${f.keyId}   # must print nothing`,
    '```',
    '',
    'Then ask GitHub Support to remove cached views and pull request refs (which a force push cannot rewrite), naming the first changed commits; collaborators re-clone, and forks keep their copies.',
    '',
  );
  return out;
}

/** The whole incident body, markers included. Never holds a secret: findings carry only the redacted form. */
export function renderIncidentBody(f: Finding, ctx: IncidentContext): string {
  const lines = [
    `<!-- keyleak:incident ${JSON.stringify({ keyId: f.keyId })} -->`,
    stateComment(stateOf(f, ctx.trail, ctx.checkedAt)),
    '',
    ...statusSection(f, ctx),
    ...whereSection(f, ctx),
    ...runbookSection(f, ctx),
    ...trailSection(ctx),
    ...historySection(f, ctx),
    GENERATED_END,
    '',
  ];
  return lines.join('\n');
}
