import type { AttackAction, AttackDigest, CountedCalls } from '../attack-digest.js';
import type { CostReport, PersistenceStep } from '../persistence.js';
import { commandLine, mdCode, mdFence } from './escape.js';

// Everything here comes from CloudTrail records, which the key's holder wrote: every value is shown as a
// code span (no markdown, HTML or @mention inside one), cut to a length that keeps a table readable, and
// every command argument is shell-quoted.

/** A value from a record as inline code in a table cell, at most `max` characters. */
const code = (s: string, max = 200) => mdCode(s, { max });

// IAM refuses to delete a user, role, policy or instance profile that still has keys, attachments or
// members: those deletions go after everything else, detaching before deleting.
const LAST = / (delete-user|delete-role|delete-policy|delete-instance-profile|delete-virtual-mfa-device) /;

function inDependencyOrder(cmds: string[]): string[] {
  return [...cmds.filter((c) => !LAST.test(c)), ...cmds.filter((c) => LAST.test(c))];
}

const LABEL: Record<AttackAction['category'], string> = {
  'defense-evasion': 'defense evasion',
  access: 'access created or changed',
  'temporary-credentials': 'temporary credentials',
  execution: 'execution',
  resources: 'resources launched or exposed',
  data: 'data and secrets read',
  'other-changes': 'other changes',
};

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function items(a: AttackAction): string {
  if (a.items.length === 0) return '';
  const shown = a.items
    .slice(0, 6)
    .map((i) => `${i.kind} ${code(i.id)}${i.detail ? ` (${code(i.detail, 120)})` : ''}`);
  return shown.join('<br>') + (a.items.length > 6 ? `<br>… ${a.items.length - 6} more` : '');
}

function row(a: AttackAction, n: number): string {
  const call = `${code(a.eventName, 80)}${a.failed ? ` **failed** (${code(a.failed, 60)})` : ''}`;
  const who = a.via ? code(a.via, 160) : code(a.sourceIPAddress, 60);
  return `| ${n} | ${LABEL[a.category]}: ${a.what.replace(/\|/g, '/')} | ${call} | ${items(a)} | ${code(a.region, 30)} | ${code(a.eventTime, 30)} | ${who} |`;
}

function countLine(title: string, c: CountedCalls, top = 8): string {
  if (c.total === 0) return `${title}: none.`;
  const names = c.calls.slice(0, top).map((x) => `${code(x.eventName, 60)} ${x.count}`);
  const more = c.calls.length > top ? `, and ${plural(c.calls.length - top, 'other call')}` : '';
  return `${title}: ${plural(c.total, 'call')} (${names.join(', ')}${more}).`;
}

export interface AttackRenderOptions {
  /** Most actions listed in the table; the rest are counted. */
  maxRows: number;
  /** The leaked key id, for the CloudTrail Lake and Athena queries. */
  keyId: string;
  persistence: PersistenceStep[] | null;
  cost: CostReport | null;
}

const KEY_ID = /^A[A-Z0-9]{15,127}$/;

const sql = (lines: string[]) => mdFence(lines.join('\n'), 'sql');

/** The queries that reach what LookupEvents cannot: data events, older than 90 days, an organisation trail. */
function limitsSection(d: AttackDigest, keyId: string): string[] {
  const all = [keyId, ...d.minted.map((m) => m.keyId)].filter((k) => KEY_ID.test(k));
  // A query names 40 keys at most: the body has a size limit, and trail.json lists every minted key.
  const ids = all.slice(0, 40);
  const list = ids.map((k) => `'${k}'`).join(', ');
  // Athena and CloudTrail Lake spell the columns differently and want the time in their own format.
  const ofKeysSince = (keyColumn: string, timeColumn: string, since: string) => [
    `WHERE ${keyColumn} IN (${list})`,
    `  AND ${timeColumn} >= '${since}'`,
  ];
  return [
    '<details><summary>What this cannot show, and the queries that can</summary>',
    '',
    '`LookupEvents` returns **management events of the last 90 days**, region by region. Data events (S3 `GetObject` and `PutObject`, DynamoDB item reads, Lambda `Invoke`) appear only in a trail that logs them or in CloudTrail Lake; calls older than 90 days only in a trail. With an organisation trail:',
    '',
    "Athena, on the trail's table (`cloudtrail_logs` here):",
    '',
    ...sql([
      'SELECT eventtime, useridentity.accesskeyid, eventsource, eventname, awsregion, sourceipaddress,',
      "       json_extract_scalar(requestparameters, '$.bucketName') AS bucket,",
      "       json_extract_scalar(requestparameters, '$.key') AS object_key",
      'FROM cloudtrail_logs',
      ...ofKeysSince('useridentity.accesskeyid', 'eventtime', `${d.window.start.slice(0, 19)}Z`),
      'ORDER BY eventtime;',
    ]),
    '',
    ...(all.length > ids.length
      ? [`These name ${ids.length} of the ${all.length} keys; add the rest from \`trail.json\`.`, '']
      : []),
    'CloudTrail Lake, on an event data store that includes data events:',
    '',
    ...sql([
      'SELECT eventTime, userIdentity.accessKeyId, eventSource, eventName, awsRegion, sourceIPAddress, requestParameters',
      'FROM <event-data-store-id>',
      ...ofKeysSince('userIdentity.accessKeyId', 'eventTime', d.window.start.slice(0, 19).replace('T', ' ')),
      'ORDER BY eventTime',
    ]),
    '',
    '</details>',
    '',
  ];
}

function persistenceLines(steps: PersistenceStep[]): string[] {
  if (steps.length === 0) return [];
  const out = ['**Contained by keyleak** (`contain-persistence: true`):', ''];
  for (const s of steps) {
    const undo = commandLine(s.undo);
    out.push(
      `- ${s.outcome === 'done' ? 'done' : s.outcome === 'dry-run' ? 'dry run, not done' : `**${s.outcome}**`}: ${s.what} ${code(s.target)}${s.detail ? ` (${code(s.detail, 200)})` : ''}${undo ? `. Undo: ${code(undo, 400)}` : ''}`,
    );
  }
  out.push('');
  return out;
}

function costLines(c: CostReport): string[] {
  if (c.error) return [`Cost check: could not read Cost Explorer (${code(c.error, 200)}).`, ''];
  const days = c.days.map((d) => `${d.date} ${d.amount.toFixed(2)}`).join(', ');
  return [
    c.spike
      ? `> [!WARNING]\n> **Cost spike**: ${c.spike.date} cost ${c.currency} ${c.spike.amount.toFixed(2)}, ${c.spike.baseline > 0 ? `${c.spike.factor.toFixed(1)}× the ${c.currency} ${c.spike.baseline.toFixed(2)} daily baseline` : 'against nothing a day'} before the exposure.`
      : `Cost check: no spike in daily cost since the exposure (${c.currency}).`,
    '',
    `<details><summary>Daily cost (${c.currency}, unblended)</summary>\n\n${days}\n\n</details>`,
    '',
  ];
}

/**
 * The digest in one line, for a terminal or a summary: attacker actions by category (worst category
 * first), then the minted keys followed. keyleak's own words only: nothing from a record is in it.
 */
export function attackHeadline(d: AttackDigest): string {
  const byCategory = new Map<AttackAction['category'], number>();
  for (const a of d.actions) byCategory.set(a.category, (byCategory.get(a.category) ?? 0) + 1);
  const kinds = [...byCategory].map(([c, n]) => `${n} ${LABEL[c]}`).join(', ');
  const followed = d.followed.reduce((n, f) => n + f.events, 0);
  return [
    d.actions.length === 0
      ? 'no attacker action'
      : `${plural(d.actions.length, 'attacker action')} (${kinds})`,
    d.followed.length > 0
      ? `${plural(d.followed.length, 'minted key')} followed (${plural(followed, 'event')})`
      : d.minted.length > 0
        ? `${plural(d.minted.length, 'minted key')}, none followed`
        : 'no credentials minted',
  ].join('; ');
}

/** The incident's "What the attacker did" section: worst first, every item named, how to undo each. */
export function renderAttackSection(d: AttackDigest, o: AttackRenderOptions): string[] {
  const out = ['## What the attacker did', ''];
  const acted = d.actions;
  const followedEvents = d.followed.reduce((n, f) => n + f.events, 0);
  out.push(
    `${acted.length === 0 ? 'No call changed anything, minted credentials, ran commands or read secrets' : `**${plural(acted.length, 'call')}** changed something, minted credentials, ran commands or read secrets`} (worst first).${d.followed.length > 0 ? ` ${plural(d.followed.length, 'minted key')} followed by ${d.followed.length === 1 ? 'its' : 'their'} own key id (${plural(followedEvents, 'event')}).` : ''}`,
    '',
  );
  if (o.persistence) out.push(...persistenceLines(o.persistence));
  if (acted.length > 0) {
    const shown = acted.slice(0, o.maxRows);
    out.push(
      '| # | What | Call | Principals and resources | Region | Time (UTC) | By |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    shown.forEach((a, i) => out.push(row(a, i + 1)));
    out.push('');
    if (acted.length > shown.length) {
      const rest = acted.slice(shown.length);
      const byName = new Map<string, number>();
      for (const a of rest) byName.set(a.eventName, (byName.get(a.eventName) ?? 0) + 1);
      out.push(
        `… and ${plural(rest.length, 'more call')}, all in \`trail.json\`: ${[...byName].map(([n, c]) => `${code(n, 60)} ${c}`).join(', ')}.`,
        '',
      );
    }
    const cmds: string[] = [];
    const reviews: string[] = [];
    let unsafe = 0;
    for (const a of shown) {
      for (const argv of a.undo) {
        const line = commandLine(argv);
        if (line) cmds.push(line);
        else unsafe++;
      }
      if (a.review)
        reviews.push(`- ${code(a.eventName, 60)} ${a.items[0] ? code(a.items[0].id) : ''}: ${a.review}`);
    }
    if (cmds.length > 0 || reviews.length > 0) {
      out.push(
        `<details><summary>How to remove or revert these (${plural(cmds.length, 'command')}${reviews.length ? `, ${reviews.length} to review` : ''})</summary>`,
        '',
        'Check each against your own records first: a name in CloudTrail is what the caller sent.',
        '',
      );
      if (cmds.length > 0) out.push(...mdFence(inDependencyOrder([...new Set(cmds)]).join('\n'), 'sh'), '');
      if (unsafe > 0)
        out.push(
          `${plural(unsafe, 'command')} left out: a value holds control characters (see \`trail.json\`).`,
          '',
        );
      if (reviews.length > 0) out.push(...reviews, '');
      out.push('</details>', '');
    }
  }
  if (d.minted.length > 0) {
    out.push(
      '**Credentials minted** (revoke sessions with a deny on `aws:TokenIssueTime` on each role; deactivation of the leaked key does not end them):',
      '',
    );
    for (const m of d.minted.slice(0, 30)) {
      const f = d.followed.find((x) => x.keyId === m.keyId);
      const nf = d.follow.notFollowed.find((x) => x.keyId === m.keyId);
      const what =
        m.kind === 'access-key'
          ? `access key of user ${code(m.userName ?? '?')}`
          : m.roleArn
            ? `session of role ${code(m.roleArn)}`
            : `${code(m.mintedBy, 40)} session`;
      out.push(
        `- ${code(m.keyId, 130)}: ${what}${m.sessionName ? `, session name ${code(m.sessionName, 80)}` : ''}${m.expiry ? `, expires ${code(m.expiry, 40)}` : ''}; ${f ? `followed: ${plural(f.events, 'event')}${f.incomplete ? ` (incomplete: ${code(f.incomplete, 200)})` : ''}` : nf ? `not followed: ${nf.reason}` : 'not followed'}${m.via ? ` (${code(m.via, 160)})` : ''}`,
      );
    }
    if (d.minted.length > 30)
      out.push(`- … and ${plural(d.minted.length - 30, 'more key')} in \`trail.json\`.`);
    out.push(
      '',
      `Minted keys are followed ${d.follow.maxDepth} hops deep, ${d.follow.maxKeys} keys at most.`,
      '',
    );
  }
  out.push(
    countLine('**Reconnaissance**, counted not listed', d.reconnaissance),
    '',
    countLine('**Denied probing** (AccessDenied and the like)', d.denied),
    '',
    countLine('**Noise** (throttled, not found, invalid)', d.noise),
    '',
  );
  if (o.cost) out.push(...costLines(o.cost));
  out.push(...limitsSection(d, o.keyId));
  return out;
}
