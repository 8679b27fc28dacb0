import {
  GENERATED_END,
  isLoneSecret,
  stateComment,
  stateOf,
  verdictOf,
  type IncidentSubject,
  type IncidentVerdict,
  type TrailSummary,
} from '../incident.js';
import { incidentMarker } from '../incident-wire.js';
import type { Finding } from '../types.js';
import { toRemove, type AttackAction, type AttackDigest } from '../attack-digest.js';
import { roleNameOf } from '../persistence.js';
import { renderAttackSection } from './attack.js';
import { mdCode, mdText, mdUrl } from './escape.js';
import { renderLoneSecretBody, renderLoneSecretTitle } from './incident-secret.js';
import {
  historySection,
  PEOPLE_STEPS,
  RESOURCES_STEP,
  runbookSection,
  short,
  whereSection,
  type HistoryWords,
  type Step,
} from './incident-common.js';
import { WITHHELD_NOTE } from '../disclosure.js';

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
  /** A public repository's incident: no verdict, secret, containment or CloudTrail (see disclosure.ts). */
  withheld?: boolean;
}

/** The contacts block used when the repository has no `runbook-template`. Names no one. */
export const DEFAULT_RUNBOOK_TEMPLATE = `**Who to involve** (set \`runbook-template\` to a markdown file in this repository to name your own channels and contacts):

- **Incident channel:** open a dedicated chat channel or thread for this key and link it here.
- **Security team:** your organisation's security or incident-response contact.
- **Account owners:** whoever administers the AWS account the key belongs to, and someone with access to its billing.`;

/**
 * The issue title: the key id (never the secret) and its state. On a public repository, neither: the title
 * is what shows in notifications and search, so it only says that a key was found.
 */
export function renderIncidentTitle(f: IncidentSubject, ctx?: Pick<IncidentContext, 'withheld'>): string {
  if (isLoneSecret(f)) return renderLoneSecretTitle(f, ctx);
  if (ctx?.withheld) return `Leaked AWS access key found (${f.fingerprint.slice(-8)})`;
  const v = verdictOf(f);
  const state: string[] = [v];
  const a = f.response?.action;
  if (a === 'deactivated') state.push('deactivated');
  else if (a === 'already-inactive') state.push('inactive');
  else if (a === 'dry-run') state.push('dry run');
  else if (a === 'failed') state.push('containment failed');
  else if (a === 'manual' || a === 'not-managed' || a === 'no-responder')
    state.push('needs manual containment');
  if (f.canary) state.push('canary token');
  return `Leaked AWS key ${f.keyId} (${state.join(', ')})`;
}

function verdictSentence(f: Finding, v: IncidentVerdict, ctx: IncidentContext): string {
  if (ctx.withheld) return `**not said here**: ${WITHHELD_NOTE}. Treat the key as live.`;
  const ver = f.verification;
  switch (v) {
    case 'live':
      return '**live**: STS `GetCallerIdentity` accepted the leaked pair. Anyone who read it can act as its owner until it is deactivated.';
    case 'invalid':
      return `**invalid**: STS rejected the leaked pair${ver?.reason ? ` (${mdText(ver.reason)})` : ''}. The key is deleted, inactive or the secret is wrong; confirm before closing.`;
    case 'wrong secret':
      return '**key exists and is active; the secret found is not its secret**: STS answered `SignatureDoesNotMatch` (after the documented retry). AWS knows this key and it works for whoever holds its real secret, which may be elsewhere (another file, a CI variable, a laptop). Treat it as live: find its owner in IAM and rotate it.';
    case 'unknown':
      return `**unknown**: STS could not tell${ver?.reason ? ` (${mdText(ver.reason)})` : ''}. Nothing was changed; treat the key as live until a rescan says otherwise.`;
    default: {
      const why = f.canary
        ? 'the key belongs to a canary-token account, and verifying it would trip the canary'
        : ver?.status === 'skipped'
          ? (ver.reason ?? 'no secret was found next to the key id')
          : (ctx.verificationNote ?? 'verification is turned off');
      // keyleak's own words (why it did not verify), with their code spans.
      return `**not verified**: ${why}. Treat the key as live.`;
    }
  }
}

function statusSection(f: Finding, ctx: IncidentContext): string[] {
  const v = verdictOf(f);
  const ver = f.verification;
  const out = ['## Status', '', `Verdict: ${verdictSentence(f, v, ctx)}`, ''];
  const rows: [string, string][] = [
    ['Key id', `\`${f.keyId}\` (${f.keyKind === 'temporary' ? 'temporary, ASIA' : 'long-term'})`],
    [
      'Secret',
      ctx.withheld
        ? 'not said here (public repository)'
        : f.secretFound
          ? `found next to it (${mdCode(f.secretRedacted ?? '')})`
          : 'not found',
    ],
    [
      'Account',
      ver?.accountId
        ? `\`${ver.accountId}\` (from STS)`
        : f.accountId
          ? `\`${f.accountId}\` (decoded offline from the key id)`
          : 'unknown',
    ],
  ];
  if (ver?.arn) rows.push(['Principal', `${mdCode(ver.arn)}`]);
  if (ctx.withheld) {
    rows.push(['Containment', 'not said here (public repository): see the workflow run']);
  } else if (f.response) {
    rows.push([
      'Containment',
      `**${f.response.action}**: ${mdText(f.response.detail)} (${mdText(f.response.at)})`,
    ]);
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
        ? `${ctx.quarantine.map((q) => `${mdCode(q)}`).join(', ')} attached: AWS saw the leak too. It blocks the key from acting on itself, not a responder.`
        : 'none attached',
    ]);
  }
  rows.push([
    'Last checked',
    ctx.runUrl ? `${mdText(ctx.checkedAt)} ([run](${mdUrl(ctx.runUrl)}))` : mdText(ctx.checkedAt),
  ]);
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

function runbookSteps(f: Finding, ctx: IncidentContext): Step[] {
  const a = f.response;
  const contained = a && (a.action === 'deactivated' || a.action === 'already-inactive');
  const trail = ctx.trail;
  const trailDone = trail && trail.incompleteRegions.length === 0 && trail.activity;
  const access = accessToRemove(trail, ctx.checkedAt);
  const resources = trail?.activity ? resourcesToRemove(trail.activity) : [];
  return [
    {
      id: 'deactivate',
      text: "**Deactivate the key** (or delete it) in IAM, under the key owner's security credentials, and rotate it for its owner through a secret store.",
      done: contained ? `${a.action} by keyleak: ${mdText(a.detail)} (${a.at})` : null,
      note:
        a && !contained && a.action !== 'none'
          ? `keyleak: ${a.action}: ${mdText(a.detail)}`
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
      done: trailDone && access.open === 0 ? accessDone(trail, access) : null,
      note:
        trail && !trailDone
          ? `keyleak: ${trail.incompleteRegions.length} regions could not be read`
          : access.open > 0
            ? `keyleak: ${access.open} item${access.open === 1 ? '' : 's'} to remove (see *What the attacker did*)${access.contained > 0 ? `; ${access.contained} contained` : ''}.`
            : null,
    },
    {
      id: 'resources',
      text: RESOURCES_STEP,
      done:
        trailDone && resources.length === 0 && trail.cost && !trail.cost.error && !trail.cost.spike
          ? `keyleak found no resources launched or exposed in ${trail.totalEvents} events, and no cost spike`
          : null,
      note: resourcesNote(trail, resources),
    },
    ...PEOPLE_STEPS,
    {
      id: 'history',
      text: '**Clean up the history** (optional, and only after containment): see *Remove it from history* below.',
      done: null,
    },
  ];
}

/** Access the attacker created, and how much of it keyleak contained. */
function accessToRemove(t: TrailSummary | null, checkedAt: string): { open: number; contained: number } {
  if (!t?.activity) return { open: 0, contained: 0 };
  const done = new Set((t.persistence ?? []).filter((p) => p.outcome === 'done').map((p) => p.target));
  let open = 0;
  let contained = 0;
  for (const a of toRemove(t.activity)) {
    if (a.category !== 'access') continue;
    // Only what keyleak switched off counts as contained: a key it deactivated, a password it deleted.
    const handled =
      (a.eventName === 'CreateAccessKey' || a.eventName === 'CreateLoginProfile') &&
      a.items.length > 0 &&
      a.items.every((i) => done.has(i.id));
    if (handled) contained++;
    else open++;
  }
  for (const m of t.activity.minted) {
    if (m.kind !== 'session') continue;
    const role = m.roleArn ? roleNameOf(m.roleArn) : null;
    if (role && done.has(role)) contained++;
    // A session still valid when this check ran (or of unknown expiry) is open until its role is revoked.
    else if (
      m.expiry === null ||
      Number.isNaN(Date.parse(m.expiry)) ||
      Date.parse(m.expiry) > Date.parse(checkedAt)
    )
      open++;
  }
  return { open, contained };
}

function accessDone(t: TrailSummary, a: { open: number; contained: number }): string {
  return a.contained > 0
    ? `keyleak contained all ${a.contained} items it found in ${t.totalEvents} events in ${t.regions.length} regions`
    : `keyleak found no access created in ${t.totalEvents} events in ${t.regions.length} regions`;
}

function resourcesToRemove(d: AttackDigest): AttackAction[] {
  return toRemove(d).filter((a) => a.category === 'resources' || a.category === 'execution');
}

function resourcesNote(t: TrailSummary | null, list: AttackAction[]): string | null {
  const parts: string[] = [];
  if (list.length > 0) {
    const names = list.flatMap((a) => a.items.map((i) => `${i.kind} ${mdCode(i.id, { max: 80 })}`));
    parts.push(
      `keyleak: ${list.length} to remove: ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, … ${names.length - 12} more` : ''}.`,
    );
  }
  if (t?.cost?.spike)
    parts.push(`Cost spike on ${t.cost.spike.date}: ${t.cost.currency} ${t.cost.spike.amount.toFixed(2)}.`);
  return parts.length > 0 ? parts.join(' ') : null;
}

function mermaidTime(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/(\.\d+)?Z$/, '')
    .slice(0, 19)
    .replace(/[^0-9 :-]/g, '0');
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
      // Anything but an address's characters could end the block or the chart's syntax.
      `    section ${ip.ip.replace(/[^0-9A-Za-z.:_-]/g, '?').replace(/:/g, '\ua789')}`,
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
  if (ctx.withheld) return [...out, `Not shown: ${WITHHELD_NOTE}.`, ''];
  const t = ctx.trail;
  if (!t) {
    out.push(
      `CloudTrail was not read: ${mdText(ctx.trailUnavailable ?? 'no responder credentials were available')}.`,
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
    for (const r of t.incompleteRegions) out.push(`> - ${mdCode(r.region)}: ${mdText(r.reason)}`);
    out.push('');
  }
  if (t.byIp.length > 0) out.push(...activityChart(t), '');
  out.push('### By source IP', '');
  out.push(
    ...table(
      ['Source IP', 'Calls', 'First', 'Last'],
      t.byIp.slice(0, ROWS).map((i) => [mdCode(i.ip), String(i.count), mdText(i.first), mdText(i.last)]),
      t.byIp.length - ROWS,
    ),
  );
  out.push('### By user agent', '');
  out.push(
    ...table(
      ['User agent', 'Calls'],
      t.byUserAgent.slice(0, ROWS).map((u) => [mdText(u.userAgent), String(u.count)]),
      t.byUserAgent.length - ROWS,
    ),
  );
  out.push('### By call', '');
  out.push(
    ...table(
      ['Service', 'Call', 'Count', 'Errors'],
      t.byEvent
        .slice(0, ROWS)
        .map((e) => [mdText(e.eventSource), `${mdCode(e.eventName)}`, String(e.count), String(e.errors)]),
      t.byEvent.length - ROWS,
    ),
  );
  if (ctx.trailArtifactUrl)
    out.push(`Every event: [\`trail.json\`](${mdUrl(ctx.trailArtifactUrl)}) (an artifact of this run).`, '');
  else if (ctx.runUrl)
    out.push(`Every event: \`trail.json\`, an artifact of [this run](${mdUrl(ctx.runUrl)}).`, '');
  return out;
}

/** What "Remove it from history" says of a key: the check is that no commit adds or removes its id. */
function keyHistoryWords(f: Finding): HistoryWords {
  return {
    cleanup: 'the key stays valid, and copies (clones, forks, caches) keep it. Contain first.',
    what: 'the key',
    byHand:
      'The rewrite, in a fresh mirror clone (the expressions file lists the key id and its secret, one per line; keep it out of any repository):',
    check: `git log --all -S${f.keyId}   # must print nothing`,
  };
}

/** GitHub refuses an issue body of 65,536 characters or more; people's notes below the end marker need room. */
export const BODY_BUDGET = 60_000;

function attackSection(ctx: IncidentContext, f: Finding, maxRows: number): string[] {
  if (ctx.withheld) return [];
  const t = ctx.trail;
  if (!t?.activity) return [];
  return renderAttackSection(t.activity, {
    maxRows,
    keyId: f.keyId,
    persistence: t.persistence ?? null,
    cost: t.cost ?? null,
  });
}

/**
 * The whole incident body, markers included: a key's, or a lone secret's (see incident-secret.ts). Never
 * holds a secret: findings carry only the redacted form.
 * The attacker's calls are listed worst first, as many as fit the budget; the rest are counted.
 */
export function renderIncidentBody(f: IncidentSubject, ctx: IncidentContext): string {
  if (isLoneSecret(f)) return renderLoneSecretBody(f, ctx);
  let body = '';
  for (const rows of [Infinity, 400, 200, 100, 50, 25, 10, 0]) {
    const lines = [
      incidentMarker(f.keyId),
      stateComment(stateOf(f, ctx.trail, ctx.checkedAt)),
      '',
      ...statusSection(f, ctx),
      ...attackSection(ctx, f, rows),
      ...whereSection(f.locations, ctx),
      ...runbookSection(runbookSteps(f, ctx), ctx.contacts),
      ...trailSection(ctx),
      ...historySection(f.locations, ctx, keyHistoryWords(f)),
      GENERATED_END,
      '',
    ];
    body = lines.join('\n');
    if (body.length <= BODY_BUDGET) return body;
  }
  return body;
}
