import type { Location, ScanReport } from '../types.js';
import { mdCode, mdText } from './escape.js';

/** Where a key leaked, as a table cell: the commit, then the path (or the message) and line, as code. */
export function whereMd(l: Location): string {
  const file = l.path === null ? 'commit message' : mdCode(l.path);
  return `${l.commit ? `${mdCode(l.commit.slice(0, 12))} ` : ''}${file}:${l.line}`;
}

/** A markdown summary of a scan: a findings table (for job summaries, PR comments and `--format markdown`). */
export function renderMarkdown(report: ScanReport): string {
  const out: string[] = ['## keyleak scan', ''];
  const n = report.findings.length;
  out.push(n === 0 ? 'No leaked AWS keys found.' : `**${n} leaked AWS key${n === 1 ? '' : 's'} found.**`, '');
  if (n > 0) {
    out.push(
      '| Key id | Kind | Account | Secret | Status | Where |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const f of report.findings) {
      const status = f.verification ? f.verification.status : f.canary ? 'canary token' : 'not verified';
      const locs =
        f.locations.slice(0, 5).map(whereMd).join('<br>') +
        (f.locations.length > 5 ? `<br>… ${f.locations.length - 5} more` : '');
      out.push(
        `| ${mdCode(f.keyId)} | ${f.keyKind} | ${mdText(f.accountId ?? 'unknown')} | ${f.secretFound ? mdCode(f.secretRedacted!) : 'not found'} | ${status} | ${locs} |`,
      );
    }
    out.push('');
  }
  if (report.suppressed.length > 0) {
    out.push(`<details><summary>${report.suppressed.length} suppressed</summary>`, '');
    out.push('| Key id | Reason | Locations |', '| --- | --- | --- |');
    for (const s of report.suppressed)
      out.push(`| ${mdCode(s.keyId)} | ${mdText(s.reason)} | ${s.locations.length} |`);
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
