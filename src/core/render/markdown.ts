import type { TrailSummary } from '../cloudtrail.js';
import type { Finding, Location, ResponseAction, ScanReport } from '../types.js';
import { mdCode, mdText, mdUrl } from './escape.js';
import { messageMd } from './where.js';

/** Where a key leaked, as a table cell: the commit, then the path (or the message) and line, as code. */
export function whereMd(l: Location): string {
  const file = l.path === null ? messageMd(l) : mdCode(l.path);
  return `${l.commit ? `${mdCode(l.commit.slice(0, 12))} ` : ''}${file}:${l.line}`;
}

/** What the run knows beyond the scan, for the job summary. */
export interface SummaryExtras {
  /** The incident issue of each key id (and lone secret's fingerprint), when one was opened or updated. */
  incidents?: ReadonlyMap<string, { number: number; url: string }>;
  /** CloudTrail summaries by key id; absent when this kind of run does not read CloudTrail. */
  trails?: ReadonlyMap<string, TrailSummary>;
  /** A public repository's run: verdicts, containment and CloudTrail are not shown (see disclosure.ts). */
  withheld?: boolean;
}

// Short enough for a table cell; the incident (or `--format json`) has the whole sentence.
const CONTAINMENT: Record<ResponseAction, string> = {
  deactivated: '**deactivated**',
  'already-inactive': 'already inactive',
  'dry-run': 'dry run: would deactivate',
  'not-managed': 'not done: account not managed, its owner must deactivate',
  'no-responder': 'not done: no responder credentials configured',
  manual: '**needs a person** (see the incident)',
  failed: '**failed** (see the incident)',
  none: 'nothing to do',
};

function verdict(f: Finding): string {
  if (f.canary) return 'canary token';
  const v = f.verification?.status;
  const text = v === 'live' ? '**live**' : v === undefined || v === 'skipped' ? 'not verified' : v;
  return f.secretFound ? text : `${text} (no secret found)`;
}

function trailHeadline(t: TrailSummary | undefined): string {
  if (!t) return 'not read';
  const parts = [
    `${t.totalEvents} event${t.totalEvents === 1 ? '' : 's'}`,
    `${t.byIp.length} IP${t.byIp.length === 1 ? '' : 's'}`,
  ];
  const acted = t.activity?.actions.length ?? 0;
  if (acted > 0) parts.push(`**${acted} attacker action${acted === 1 ? '' : 's'}**`);
  if (t.incompleteRegions.length > 0) parts.push(`${t.incompleteRegions.length} region(s) unread`);
  return parts.join(', ');
}

/**
 * A markdown summary of a scan, for job summaries and `--format markdown`: one row per key with what an
 * on-call engineer acts on first (verdict, containment, CloudTrail, incident), then where it leaked.
 */
export function renderMarkdown(report: ScanReport, extras: SummaryExtras = {}): string {
  const out: string[] = ['## keyleak scan', ''];
  const n = report.findings.length;
  const noKeys =
    (report.loneSecrets ?? []).length > 0 ? 'No AWS key ids found.' : 'No leaked AWS keys found.';
  out.push(n === 0 ? noKeys : `**${n} leaked AWS key${n === 1 ? '' : 's'} found.**`, '');
  if (n > 0) {
    const cols = ['Key id', ...(extras.withheld ? [] : ['Verdict', 'Containment'])];
    if (extras.trails && !extras.withheld) cols.push('CloudTrail');
    if (extras.incidents) cols.push('Incident');
    cols.push('Where');
    out.push(`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
    for (const f of report.findings) {
      const row = [`${mdCode(f.keyId)}${f.accountId ? `<br>account ${mdText(f.accountId)}` : ''}`];
      if (!extras.withheld)
        row.push(verdict(f), f.response ? CONTAINMENT[f.response.action] : 'not attempted');
      if (extras.trails && !extras.withheld) row.push(trailHeadline(extras.trails.get(f.keyId)));
      if (extras.incidents) row.push(incidentCell(extras.incidents, f.keyId));
      row.push(whereCell(f.locations));
      out.push(`| ${row.join(' | ')} |`);
    }
    out.push('');
    if (extras.withheld) {
      out.push(
        'This repository is public: verdicts, containment and CloudTrail are not shown here (set `issue-repo` to a private repository, or `public-details: true`).',
        '',
      );
    }
  }
  const lone = report.loneSecrets ?? [];
  if (lone.length > 0) {
    // A public repository's summary leaves the secret's redacted form out, as its incident does.
    const cols = [...(extras.withheld ? [] : ['Secret']), 'Fingerprint'];
    if (extras.incidents) cols.push('Incident');
    cols.push('Where');
    out.push(
      `**${lone.length} AWS secret access key${lone.length === 1 ? '' : 's'} found with no key id** in the same file or commit: not verifiable; find the key in IAM by last use, then rotate it.`,
      '',
      `| ${cols.join(' | ')} |`,
      `| ${cols.map(() => '---').join(' | ')} |`,
    );
    for (const s of lone) {
      const row = [...(extras.withheld ? [] : [mdCode(s.secretRedacted)]), mdCode(s.fingerprint)];
      if (extras.incidents) row.push(incidentCell(extras.incidents, s.fingerprint));
      row.push(whereCell(s.locations));
      out.push(`| ${row.join(' | ')} |`);
    }
    out.push('');
  }
  if (report.suppressed.length > 0) {
    out.push(`<details><summary>${report.suppressed.length} suppressed</summary>`, '');
    out.push('| Key id | Reason | Locations |', '| --- | --- | --- |');
    for (const s of report.suppressed) {
      const what = s.keyId ?? `secret ${s.secretRedacted ?? ''} without a key id`;
      out.push(`| ${mdCode(what)} | ${mdText(s.reason)} | ${s.locations.length} |`);
    }
    out.push('', '</details>', '');
  }
  const st = report.stats;
  out.push(
    `Scanned ${st.objectsScanned} objects (${st.commitsScanned} commits) in ${(st.durationMs / 1000).toFixed(1)} s.`,
  );
  for (const w of report.warnings) out.push('', `> [!WARNING]\n> ${mdText(w)}`);
  if (report.incomplete)
    out.push('', '> [!CAUTION]\n> This scan is incomplete: part of the history was not scanned.');
  return out.join('\n') + '\n';
}

/** The first three places, and how many more. */
function whereCell(locations: readonly Location[]): string {
  return (
    locations.slice(0, 3).map(whereMd).join('<br>') +
    (locations.length > 3 ? `<br>… ${locations.length - 3} more` : '')
  );
}

/** A link to the incident of `id` (a key id or a secret's fingerprint); the number is keyleak's own. */
function incidentCell(incidents: ReadonlyMap<string, { number: number; url: string }>, id: string): string {
  const i = incidents.get(id);
  return i ? `[#${i.number}](${mdUrl(i.url)})` : 'none';
}
