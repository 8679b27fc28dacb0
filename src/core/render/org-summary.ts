import type { VerificationStatus } from '../types.js';
import type { Exclusion } from '../org/select.js';
import { mdCode, mdText } from './escape.js';

/** What happened to one repository in an org run. */
export type RepoStatus = 'scanned' | 'skipped' | 'failed' | 'pending';

export interface RepoOutcome {
  repo: string;
  status: RepoStatus;
  /** Why it was skipped (`unchanged`, `empty`), failed (the error) or left pending (`run budget`). */
  reason: string | null;
  /** How it was scanned: the whole history, or only what is new since the last run. */
  scan: 'full' | 'incremental' | null;
  findings: number;
  objects: number;
  bytes: number;
  commits: number;
  durationMs: number;
  /** The scan could not read everything (missing objects, a shallow remote). */
  incomplete: boolean;
}

/** One leaked key across the run, with the repositories it was found in. */
export interface KeySummary {
  keyId: string;
  fingerprint: string;
  repos: string[];
  locations: number;
  status: VerificationStatus | 'not verified';
}

/** One secret found without its key id across the run, with the repositories it was found in. */
export interface LoneSecretSummary {
  fingerprint: string;
  secretRedacted: string;
  repos: string[];
  locations: number;
}

/** Everything the job summary of an org run (or of several shards merged) shows. */
export interface OrgSummary {
  owner: string;
  /** The shards this summary covers, as `i/n`. */
  shards: string[];
  startedAt: string;
  /** Wall-clock time; for merged shards, the longest shard's (they run in parallel). */
  durationMs: number;
  /** Repositories the owner has. */
  listed: number;
  /** Repositories the filters left out (the same in every shard). */
  excluded: Exclusion[];
  outcomes: RepoOutcome[];
  keys: KeySummary[];
  /** Secrets found without their key id; absent from summaries written before they were counted. */
  loneSecrets?: LoneSecretSummary[];
  /** The run budget ran out before every repository was reached. */
  budgetExhausted: boolean;
  warnings: string[];
}

export const ORG_SUMMARY_VERSION = 1;

/** Seconds with one decimal, the way the progress lines and the table show durations. */
export function formatSeconds(ms: number): string {
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** One log line per repository: `[123/4000] org/repo  3.2 s  0 findings`. */
export function progressLine(done: number, total: number, o: RepoOutcome): string {
  const head = `[${done}/${total}] ${o.repo}`;
  switch (o.status) {
    case 'scanned': {
      const n = `${o.findings} finding${o.findings === 1 ? '' : 's'}`;
      const extra = [o.scan === 'incremental' ? 'incremental' : null, o.incomplete ? 'incomplete' : null]
        .filter(Boolean)
        .join(', ');
      return `${head}  ${formatSeconds(o.durationMs)}  ${n}${extra ? `  (${extra})` : ''}`;
    }
    case 'skipped':
      return `${head}  skipped: ${o.reason}`;
    case 'failed':
      return `${head}  FAILED after ${formatSeconds(o.durationMs)}: ${o.reason}`;
    default:
      return `${head}  pending: ${o.reason}`;
  }
}

/**
 * Merges the summaries of the shards of one run. Keys found in several shards become one row with every
 * repository; exclusions, computed identically by every shard, are listed once.
 */
export function mergeSummaries(parts: readonly OrgSummary[]): OrgSummary {
  if (parts.length === 0) throw new Error('no shard summaries to merge');
  const excluded = new Map<string, Exclusion>();
  const outcomes = new Map<string, RepoOutcome>();
  const keys = new Map<string, KeySummary>();
  const lone = new Map<string, LoneSecretSummary>();
  for (const p of parts) {
    for (const x of p.loneSecrets ?? []) {
      const cur = lone.get(x.fingerprint);
      if (!cur) lone.set(x.fingerprint, { ...x, repos: [...x.repos] });
      else {
        cur.repos = [...new Set([...cur.repos, ...x.repos])].sort();
        cur.locations += x.locations;
      }
    }
    for (const e of p.excluded) excluded.set(e.repo, e);
    for (const o of p.outcomes) {
      // A repository reported by two shards (the shard count changed mid-run) keeps its best outcome.
      const cur = outcomes.get(o.repo);
      if (!cur || rankStatus(o.status) < rankStatus(cur.status)) outcomes.set(o.repo, o);
    }
    for (const k of p.keys) {
      const cur = keys.get(k.keyId);
      if (!cur) keys.set(k.keyId, { ...k, repos: [...k.repos] });
      else {
        cur.repos = [...new Set([...cur.repos, ...k.repos])].sort();
        cur.locations += k.locations;
        cur.status = strongerStatus(cur.status, k.status);
      }
    }
  }
  return {
    owner: parts[0]!.owner,
    shards: [...new Set(parts.flatMap((p) => p.shards))].sort(compareShards),
    startedAt: parts.map((p) => p.startedAt).sort()[0]!,
    durationMs: Math.max(...parts.map((p) => p.durationMs)),
    listed: Math.max(...parts.map((p) => p.listed)),
    excluded: [...excluded.values()].sort((a, b) => a.repo.localeCompare(b.repo)),
    outcomes: [...outcomes.values()].sort((a, b) => a.repo.localeCompare(b.repo)),
    keys: [...keys.values()].sort((a, b) => a.keyId.localeCompare(b.keyId)),
    loneSecrets: [...lone.values()].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)),
    budgetExhausted: parts.some((p) => p.budgetExhausted),
    warnings: [...new Set(parts.flatMap((p) => p.warnings))],
  };
}

const rankStatus = (s: RepoStatus): number => ['scanned', 'skipped', 'failed', 'pending'].indexOf(s);

function compareShards(a: string, b: string): number {
  const [ai, an] = a.split('/').map(Number);
  const [bi, bn] = b.split('/').map(Number);
  return an! - bn! || ai! - bi!;
}

/** `live` beats everything: one shard's STS answer is as good as another's. */
function strongerStatus(a: KeySummary['status'], b: KeySummary['status']): KeySummary['status'] {
  const order: KeySummary['status'][] = [
    'live',
    'wrong-secret',
    'invalid',
    'unknown',
    'skipped',
    'not verified',
  ];
  return order.indexOf(a) <= order.indexOf(b) ? a : b;
}

/** Table cells may hold error messages (which quote hostile names): one line, plain text, cut short. */
function cell(s: string): string {
  return mdText(s.length > 300 ? `${s.slice(0, 300)}…` : s);
}

/** Names listed in full before a group is cut to a count, so 10,000 repositories stay readable. */
const LIST_LIMIT = 50;
/** Failures listed one per row; past this many they share a cause (an expired token) and a count says enough. */
const FAILED_LIMIT = 200;

/** The job summary of an org run: counts first, then what needs attention, then the details. */
export function renderOrgSummary(s: OrgSummary): string {
  const by = (st: RepoStatus) => s.outcomes.filter((o) => o.status === st);
  const scanned = by('scanned');
  const skipped = by('skipped');
  const failed = by('failed');
  const pending = by('pending');
  const incremental = scanned.filter((o) => o.scan === 'incremental').length;
  const findings = scanned.reduce((a, o) => a + o.findings, 0);
  const bytes = scanned.reduce((a, o) => a + o.bytes, 0);
  const live = s.keys.filter((k) => k.status === 'live').length;
  const out: string[] = [];
  const shardText = s.shards.length === 1 && s.shards[0] === '1/1' ? '' : ` (shards ${s.shards.join(', ')})`;
  out.push(`## keyleak org scan: ${mdText(s.owner)}${shardText}`, '');
  out.push('| | |', '| --- | --- |');
  out.push(`| Repositories listed | ${s.listed} |`);
  out.push(`| Left out by filters | ${s.excluded.length} |`);
  out.push(
    `| Scanned | ${scanned.length} (${scanned.length - incremental} full, ${incremental} incremental; ${formatBytes(bytes)}) |`,
  );
  out.push(`| Skipped | ${skipped.length} |`);
  out.push(`| Failed | ${failed.length} |`);
  out.push(`| Left for the next run | ${pending.length} |`);
  out.push(
    `| Leaked keys | ${s.keys.length} (${findings} finding${findings === 1 ? '' : 's'} across repositories) |`,
  );
  out.push(`| Live keys | ${live} |`);
  const lone = s.loneSecrets ?? [];
  out.push(`| Secrets without a key id | ${lone.length} |`);
  out.push(`| Time | ${formatSeconds(s.durationMs)} |`);
  out.push('');

  if (s.budgetExhausted) {
    out.push(
      `> [!WARNING]\n> The run budget ran out: ${pending.length} repositor${pending.length === 1 ? 'y was' : 'ies were'} not reached and ${pending.length === 1 ? 'is' : 'are'} recorded in the state for the next run.`,
      '',
    );
  }
  for (const w of s.warnings) out.push(`> [!WARNING]\n> ${cell(w)}`, '');

  if (s.keys.length > 0) {
    out.push(
      '### Leaked keys',
      '',
      '| Key id | Status | Repositories | Locations |',
      '| --- | --- | --- | --- |',
    );
    for (const k of s.keys)
      out.push(`| ${mdCode(k.keyId)} | ${k.status} | ${k.repos.map(cell).join(', ')} | ${k.locations} |`);
    out.push('');
  }
  if (lone.length > 0) {
    out.push(
      '### Secrets found without their key id',
      '',
      'Not verifiable (STS needs the key id): find each key in IAM by its last use, then rotate it.',
      '',
      '| Secret | Fingerprint | Repositories | Locations |',
      '| --- | --- | --- | --- |',
    );
    for (const x of lone)
      out.push(
        `| ${mdCode(x.secretRedacted)} | ${mdCode(x.fingerprint)} | ${x.repos.map(cell).join(', ')} | ${x.locations} |`,
      );
    out.push('');
  }
  if (failed.length > 0) {
    out.push('### Failed', '', '| Repository | Reason |', '| --- | --- |');
    for (const o of failed.slice(0, FAILED_LIMIT)) out.push(`| ${cell(o.repo)} | ${cell(o.reason ?? '')} |`);
    if (failed.length > FAILED_LIMIT) out.push(`| … and ${failed.length - FAILED_LIMIT} more | |`);
    out.push('');
  }
  const withFindings = scanned.filter((o) => o.findings > 0 || o.incomplete);
  if (withFindings.length > 0) {
    out.push('### Repositories with findings or incomplete scans', '');
    out.push('| Repository | Findings | Scan | Time |', '| --- | --- | --- | --- |');
    for (const o of withFindings)
      out.push(
        `| ${cell(o.repo)} | ${o.findings} | ${o.scan}${o.incomplete ? ', incomplete' : ''} | ${formatSeconds(o.durationMs)} |`,
      );
    out.push('');
  }
  const groups = new Map<string, string[]>();
  for (const o of [...skipped, ...pending]) {
    const why = `${o.status === 'pending' ? 'left for the next run' : 'skipped'}: ${o.reason ?? ''}`;
    groups.set(why, [...(groups.get(why) ?? []), o.repo]);
  }
  for (const e of s.excluded) {
    const why = `left out: ${e.reason}`;
    groups.set(why, [...(groups.get(why) ?? []), e.repo]);
  }
  if (groups.size > 0) {
    out.push('### Not scanned', '', '| Why | Count | Repositories |', '| --- | --- | --- |');
    for (const [why, repos] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
      const names = repos.slice(0, LIST_LIMIT).map(cell).join(', ');
      const more = repos.length > LIST_LIMIT ? `, … and ${repos.length - LIST_LIMIT} more` : '';
      out.push(`| ${cell(why)} | ${repos.length} | ${names}${more} |`);
    }
    out.push('');
  }
  const slowest = [...scanned].sort((a, b) => b.durationMs - a.durationMs).slice(0, 10);
  if (slowest.length > 0) {
    out.push('### Slowest scans', '', '| Repository | Time | Objects | Bytes |', '| --- | --- | --- | --- |');
    for (const o of slowest)
      out.push(
        `| ${cell(o.repo)} | ${formatSeconds(o.durationMs)} | ${o.objects} | ${formatBytes(o.bytes)} |`,
      );
    out.push('');
  }
  return out.join('\n');
}

/** Reads back a summary a shard saved (as JSON, for the merging job); errors name the file. */
export function parseOrgSummary(text: string, source: string): OrgSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`shard summary '${source}' is not valid JSON: ${(e as Error).message}`);
  }
  const d = data as Partial<OrgSummary> & { version?: unknown };
  if (
    typeof d !== 'object' ||
    d === null ||
    d.version !== ORG_SUMMARY_VERSION ||
    typeof d.owner !== 'string' ||
    !Array.isArray(d.shards) ||
    !Array.isArray(d.outcomes) ||
    !Array.isArray(d.keys) ||
    !Array.isArray(d.excluded)
  )
    throw new Error(
      `shard summary '${source}' is not a keyleak org summary (version ${ORG_SUMMARY_VERSION})`,
    );
  const { version: _v, ...summary } = d;
  return summary as OrgSummary;
}

export function serializeOrgSummary(s: OrgSummary): string {
  return JSON.stringify({ version: ORG_SUMMARY_VERSION, ...s }, null, 2) + '\n';
}
