import type { Finding, LoneSecret, Location, ScanReport } from '../types.js';
import { terminal as t } from './escape.js';
import { messageText } from './where.js';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Locations listed per key, as in the markdown summary: a key copied into every fixture would bury the rest. */
export const MAX_LOCATIONS = 5;

function where(l: Location): string {
  // Paths, author names and dates come from the repository: any escape sequence in them is shown, not sent.
  const file = l.path === null ? `(${messageText(l)})` : t(l.path);
  const commit = l.commit ? `${t(l.commit.slice(0, 12))} ` : '';
  const who = l.author ? `  ${t(l.author)}` : '';
  const when = l.date ? `  ${t(l.date.slice(0, 10))}` : '';
  return `${commit}${file}:${l.line}${who}${when}`;
}

function locationLines(locations: readonly Location[]): string[] {
  const out = locations.slice(0, MAX_LOCATIONS).map((l) => `    ${where(l)}`);
  const more = locations.length - MAX_LOCATIONS;
  if (more > 0) {
    out.push(
      `    … ${more} more location${more === 1 ? '' : 's'} (${locations.length} in all; --format json lists every one)`,
    );
  }
  return out;
}

function loneSecretLines(secrets: readonly LoneSecret[]): string[] {
  if (secrets.length === 0) return [];
  const n = secrets.length;
  const out = [
    '',
    `${n} AWS secret access key${n === 1 ? '' : 's'} found with no key id in the same file or commit (not verifiable: find the key in IAM by last use, then rotate it):`,
  ];
  for (const s of secrets) {
    out.push('', `  secret ${t(s.secretRedacted)}  not verified`, `    fingerprint ${s.fingerprint}`);
    out.push(...locationLines(s.locations));
  }
  return out;
}

function describe(f: Finding): string {
  const parts = [f.keyId, f.keyKind];
  parts.push(f.accountId ? `account ${t(f.accountId)}` : 'account unknown');
  if (f.canary) parts.push('CANARY TOKEN (not verified)');
  parts.push(f.secretFound ? `secret ${t(f.secretRedacted ?? '')}` : 'no secret found');
  if (f.verification) {
    const v = f.verification;
    parts.push(
      `verification: ${v.status}${v.arn ? ` (${t(v.arn)})` : ''}${v.reason ? ` — ${t(v.reason)}` : ''}`,
    );
  }
  if (f.response)
    parts.push(`response: ${f.response.action}${f.response.detail ? ` — ${t(f.response.detail)}` : ''}`);
  return parts.join('  ');
}

/** The report for people: each key with where it leaked, then suppressions, stats and warnings. */
export function renderText(report: ScanReport): string {
  const out: string[] = [];
  const n = report.findings.length;
  const paired = report.findings.filter((f) => f.secretFound).length;
  if (n === 0)
    out.push(
      (report.loneSecrets ?? []).length > 0
        ? 'keyleak: no AWS key ids found'
        : 'keyleak: no leaked AWS keys found',
    );
  else out.push(`keyleak: ${n} leaked AWS key${n === 1 ? '' : 's'} found (${paired} with a secret)`);
  for (const f of report.findings) {
    out.push('', `  ${describe(f)}`, `    fingerprint ${f.fingerprint}`);
    out.push(...locationLines(f.locations));
  }
  out.push(...loneSecretLines(report.loneSecrets ?? []));
  if (report.suppressed.length > 0) {
    out.push('', `suppressed (${report.suppressed.length}):`);
    for (const s of report.suppressed) {
      out.push(
        `  ${s.keyId ?? `secret ${s.secretRedacted ?? ''} (no key id)`}  ${t(s.reason)}  ${s.locations.length} location${s.locations.length === 1 ? '' : 's'}`,
      );
    }
  }
  const st = report.stats;
  out.push(
    '',
    `scanned ${st.objectsScanned} object${st.objectsScanned === 1 ? '' : 's'} (${formatBytes(st.bytesScanned)}, ${st.commitsScanned} commits) in ${(st.durationMs / 1000).toFixed(1)} s [${st.mode}]`,
  );
  for (const w of report.warnings) out.push(`warning: ${t(w)}`);
  if (report.incomplete) out.push('INCOMPLETE: part of the history was not scanned (see warnings above)');
  return out.join('\n') + '\n';
}

export { formatBytes };
