import type { AttackDigest } from '../attack-digest.js';
import { recordOf, type TrailEvent, type TrailSummary } from '../cloudtrail.js';
import { commandLine, terminal } from './escape.js';

/** The summary JSON. */
export function renderTrailJson(s: TrailSummary): string {
  return JSON.stringify(s, null, 2) + '\n';
}

/**
 * One line per event with the runbook's fields — eventTime, accessKeyId, eventSource, eventName,
 * sourceIPAddress, userAgent — oldest first, as its `jq … | @tsv` recipe prints them.
 */
export function renderTrailTsv(events: { region: string; event: TrailEvent }[]): string {
  const rows = events
    .map(({ region, event }) => recordOf(event, region))
    .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  return rows
    .map((r) =>
      [r.eventTime, r.accessKeyId, r.eventSource, r.eventName, r.sourceIPAddress, r.userAgent]
        .map(terminal)
        .join('\t'),
    )
    .map((l) => l + '\n')
    .join('');
}

function table(headers: string[], raw: string[][]): string[] {
  // User agents are chosen by whoever holds the key: nothing in a cell reaches the terminal unescaped.
  const rows = raw.map((r) => r.map(terminal));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

const TOP = 20;

function more(n: number): string[] {
  return n > TOP ? [`  … ${n - TOP} more (see --format json)`] : [];
}

/** What the attacker did, worst first, every item and the commands that undo it. */
function attackText(d: AttackDigest): string[] {
  const out = [`what the attacker did (${d.actions.length} calls, worst first):`];
  if (d.actions.length > 0) {
    const rows = d.actions.map((a) => [
      a.eventTime,
      a.category,
      terminal(a.eventName) + (a.failed ? ` FAILED ${terminal(a.failed)}` : ''),
      terminal(a.region),
      terminal(a.items.map((i) => `${i.kind} ${i.id}${i.detail ? ` (${i.detail})` : ''}`).join('; ')) +
        (a.via ? ` [${terminal(a.via)}]` : ''),
    ]);
    out.push(...table(['time', 'category', 'event', 'region', 'what'], rows).map((l) => `  ${l}`));
  }
  const cmds = [
    ...new Set(d.actions.flatMap((a) => a.undo.map(commandLine)).filter((c): c is string => c !== null)),
  ];
  if (cmds.length > 0) out.push('', 'to remove or revert (check each first):', ...cmds.map((c) => `  ${c}`));
  if (d.minted.length > 0) {
    out.push('', 'credentials minted:');
    for (const m of d.minted) {
      const f = d.followed.find((x) => x.keyId === m.keyId);
      out.push(
        `  ${terminal(m.keyId)}  ${m.kind}${m.roleArn ? ` role ${terminal(m.roleArn)}` : ''}${m.sessionName ? ` session ${terminal(m.sessionName)}` : ''}${m.userName ? ` user ${terminal(m.userName)}` : ''}${m.expiry ? ` expires ${terminal(m.expiry)}` : ''}  ${f ? `followed: ${f.events} events` : 'not followed (--follow)'}`,
      );
    }
  }
  const counts = (title: string, c: AttackDigest['reconnaissance']) =>
    `${title}: ${c.total}${
      c.calls.length
        ? ` (${c.calls
            .slice(0, 8)
            .map((x) => `${terminal(x.eventName)} ${x.count}`)
            .join(', ')})`
        : ''
    }`;
  out.push(
    '',
    counts('reconnaissance, counted', d.reconnaissance),
    counts('denied probing', d.denied),
    counts('noise (throttled, not found)', d.noise),
    '',
    'LookupEvents reads management events of the last 90 days; data events (S3 GetObject, DynamoDB) need a trail or CloudTrail Lake.',
  );
  return out;
}

/** The tables a responder reads first: what the attacker did, from where, with what, then every call. */
export function renderTrailText(s: TrailSummary): string {
  const out: string[] = [
    `CloudTrail activity of ${s.keyId}`,
    `window ${s.window.start} .. ${s.window.end}; regions read: ${s.regions.join(', ') || 'none'}`,
    `${s.totalEvents} event${s.totalEvents === 1 ? '' : 's'}, ${s.ownEvents} of them keyleak's own`,
  ];
  if (s.incompleteRegions.length > 0) {
    out.push('', 'INCOMPLETE: these regions could not be read:');
    for (const r of s.incompleteRegions) out.push(`  ${terminal(r.region)}: ${terminal(r.reason)}`);
  }
  if (s.activity) out.push('', ...attackText(s.activity));
  if (s.byIp.length > 0) {
    out.push('', 'source IPs:');
    const rows = s.byIp.slice(0, TOP).map((r) => [String(r.count), terminal(r.ip), r.first, r.last]);
    out.push(...table(['count', 'ip', 'first', 'last'], rows).map((l) => `  ${l}`));
    out.push(...more(s.byIp.length));
  }
  if (s.byUserAgent.length > 0) {
    out.push('', 'user agents:');
    const rows = s.byUserAgent.slice(0, TOP).map((r) => [String(r.count), terminal(r.userAgent)]);
    out.push(...table(['count', 'user agent'], rows).map((l) => `  ${l}`));
    out.push(...more(s.byUserAgent.length));
  }
  if (s.byEvent.length > 0) {
    out.push('', 'calls:');
    const rows = s.byEvent
      .slice(0, TOP)
      .map((r) => [String(r.count), String(r.errors), terminal(r.eventSource), terminal(r.eventName)]);
    out.push(...table(['count', 'errors', 'source', 'event'], rows).map((l) => `  ${l}`));
    out.push(...more(s.byEvent.length));
  }
  return out.join('\n') + '\n';
}

/** `{ "Events": [...] }` exactly as `aws cloudtrail lookup-events --output json` writes it (4-space indent). */
export function renderEventsOut(events: { event: TrailEvent }[]): string {
  return JSON.stringify({ Events: events.map((e) => e.event) }, null, 4) + '\n';
}
