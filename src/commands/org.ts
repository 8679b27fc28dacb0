import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Git } from '../adapters/git.js';
import type { KeyleakConfig } from '../core/config.js';
import { selectRepositories, type RepoRecord } from '../core/org/select.js';
import type { OrgScanSettings } from '../core/org/settings.js';
import { formatShard, inShard } from '../core/org/shard.js';
import {
  decideScan,
  historySelection,
  mergeStates,
  parseState,
  pruneState,
  recordPending,
  recordScan,
  recordUnchanged,
  scanOrder,
  unchangedByListing,
  serializeState,
  type OrgState,
} from '../core/org/state.js';
import {
  mergeSummaries,
  parseOrgSummary,
  progressLine,
  serializeOrgSummary,
  type KeySummary,
  type LoneSecretSummary,
  type OrgSummary,
  type RepoOutcome,
} from '../core/render/org-summary.js';
import { scanHistory } from '../scan/history.js';
import type { ScanResult } from '../scan/result.js';
import type { IncidentSink, KeyIncident, OrgKeyFinding, OrgSecretFinding, RepoLister } from './ports-org.js';
import { loadConfig } from './scan.js';

export interface OrgScanDeps {
  lister: RepoLister;
  sink: IncidentSink;
  /** Milliseconds since the epoch; injectable so budgets are tested without waiting. */
  now?: () => number;
  /** One line per repository and per notable event. */
  log?: (line: string) => void;
}

export interface OrgScanResult {
  summary: OrgSummary;
  /** The state as written to the state file. */
  state: OrgState;
  /** What was handed to the incident pipeline, and what it answered. */
  keys: OrgKeyFinding[];
  /** The secrets found without their key id that were handed over, grouped by fingerprint. */
  secrets: OrgSecretFinding[];
  verdicts: KeyIncident[];
}

interface RepoScan {
  outcome: RepoOutcome;
  result: ScanResult | null;
  tips: string[];
  mode: 'all' | 'range';
  /** What to write to the state: a scan (or an empty repository), tips found unchanged, or nothing. */
  record: 'scan' | 'checked' | 'none';
}

/** The first line of an error, without the token should git ever echo it. */
function reasonOf(e: unknown, token: string | null): string {
  let msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
  if (token) msg = msg.split(token).join('***');
  return msg.length > 300 ? msg.slice(0, 299) + '…' : msg;
}

/** Reads a state file: absent is a first run; unreadable is warned about and scanned in full. */
async function readStateFile(
  path: string,
  owner: string,
): Promise<{ state: OrgState; warning: string | null }> {
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      return {
        state: parseState(null, path, owner).state,
        warning: `state file '${path}' could not be read (${code ?? (e as Error).message}); scanning every repository in full`,
      };
    }
  }
  return parseState(text, path, owner);
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * Scans an owner's repositories: lists them, keeps those the filters and this shard select, skips the
 * ones whose branches and tags have not moved since the state was saved, clones and scans the rest
 * (only what is new where the state allows), hands every key found to the incident pipeline grouped by
 * key id, and saves the state. One repository failing never stops the others.
 */
export async function runOrgScan(s: OrgScanSettings, deps: OrgScanDeps): Promise<OrgScanResult> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => {});
  const started = now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const warnings: string[] = [];

  const parsed = await readStateFile(s.stateFile, s.owner);
  if (parsed.warning) {
    warnings.push(parsed.warning);
    log(`warning: ${parsed.warning}`);
  }
  const state = parsed.state;
  const prior = structuredClone(state.repositories);

  const listed: RepoRecord[] = [];
  for await (const r of deps.lister.listRepositories(s.owner)) listed.push(r);
  const { selected, excluded } = selectRepositories(listed, s.filter);
  const mine = scanOrder(
    selected.filter((r) => inShard(r, s.shard)),
    state,
  );
  log(
    `${s.owner}: ${listed.length} repositories, ${excluded.length} left out by filters, ` +
      `${mine.length} in shard ${formatShard(s.shard)}`,
  );
  pruneState(state, new Set(listed.map((r) => r.id)));

  const sharedConfig = s.config !== null ? await loadConfig(s.config, '.', null) : null;
  await mkdir(s.workDir, { recursive: true });
  const deadline = s.maxDurationMs === null ? Infinity : started + s.maxDurationMs;

  const scans = new Map<number, RepoScan>();
  const notStarted: RepoRecord[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (next >= mine.length) return;
      if (now() >= deadline) {
        // The budget is spent: start nothing more; what is running finishes.
        notStarted.push(...mine.slice(next));
        next = mine.length;
        return;
      }
      const repo = mine[next++]!;
      const scan = await scanOne(repo, s, state, sharedConfig, now);
      scans.set(repo.id, scan);
      log(progressLine(++done, mine.length, scan.outcome));
    }
  };
  await Promise.all(Array.from({ length: Math.min(s.concurrency, Math.max(1, mine.length)) }, worker));
  const budgetExhausted = notStarted.length > 0;
  if (budgetExhausted) log(`run budget spent: ${notStarted.length} repositories left for the next run`);

  // Group every key across repositories: one incident per key, listing every place it leaked.
  const keys = new Map<string, OrgKeyFinding>();
  for (const repo of mine) {
    const scan = scans.get(repo.id);
    if (!scan?.result) continue;
    const before = new Set(prior[String(repo.id)]?.fingerprints ?? []);
    for (const f of scan.result.report.findings) {
      const k = entryOf(keys, f.keyId, () => ({
        keyId: f.keyId,
        fingerprint: f.fingerprint,
        occurrences: [],
        secrets: { secrets: [], sessionTokens: [] },
      }));
      k.occurrences.push({ repo, finding: f, alreadyReported: before.has(f.fingerprint) });
      const m = scan.result.secrets.get(f.keyId);
      if (m) {
        k.secrets.secrets = [...new Set([...k.secrets.secrets, ...m.secrets])];
        k.secrets.sessionTokens = [...new Set([...k.secrets.sessionTokens, ...m.sessionTokens])];
        k.secrets.strong = [...new Set([...(k.secrets.strong ?? []), ...(m.strong ?? [])])];
      }
    }
  }
  const keyList = [...keys.values()].sort((a, b) => a.keyId.localeCompare(b.keyId));
  const secretList = loneSecretsAcross(mine, scans, prior);
  let verdicts: KeyIncident[] = [];
  let handedOver = true;
  if (keyList.length > 0 || secretList.length > 0) {
    try {
      verdicts = await deps.sink.report(keyList, secretList);
    } catch (e) {
      handedOver = false;
      const w = `the incident pipeline failed (${reasonOf(e, s.token)}); repositories with findings keep their previous state and are scanned again next run`;
      warnings.push(w);
      log(`warning: ${w}`);
    }
  }

  // Record scans. A repository whose keys did not reach the incident pipeline keeps its old tips, so the
  // next run finds them again instead of treating them as seen.
  const at = iso(now());
  for (const repo of mine) {
    const scan = scans.get(repo.id);
    if (scan?.record === 'checked') recordUnchanged(state, repo, at);
    if (scan?.record !== 'scan') continue;
    const findings = [...(scan.result?.report.findings ?? []), ...(scan.result?.report.loneSecrets ?? [])];
    if (!handedOver && findings.length > 0) continue;
    // An incomplete scan is not a scan of the repository: it keeps its previous state, and the next run
    // scans it again.
    if (scan.result?.report.incomplete) continue;
    recordScan(state, repo, {
      tips: scan.tips,
      fingerprints: findings.map((f) => f.fingerprint),
      mode: scan.mode,
      at,
    });
  }
  recordPending(state, notStarted, at);
  state.updatedAt = at;
  await writeAtomically(s.stateFile, serializeState(state));

  const verdictOf = new Map(verdicts.map((v) => [v.keyId, v.status]));
  const keySummaries: KeySummary[] = keyList.map((k) => ({
    keyId: k.keyId,
    fingerprint: k.fingerprint,
    repos: [...new Set(k.occurrences.map((o) => o.repo.fullName))].sort(),
    locations: k.occurrences.reduce((a, o) => a + o.finding.locations.length, 0),
    status: verdictOf.get(k.keyId) ?? 'not verified',
  }));
  const secretSummaries: LoneSecretSummary[] = secretList.map((x) => ({
    fingerprint: x.fingerprint,
    secretRedacted: x.secretRedacted,
    repos: [...new Set(x.occurrences.map((o) => o.repo.fullName))].sort(),
    locations: x.occurrences.reduce((a, o) => a + o.secret.locations.length, 0),
  }));
  const outcomes: RepoOutcome[] = [
    ...[...scans.values()].map((x) => x.outcome),
    ...notStarted.map((r) => pendingOutcome(r)),
  ].sort((a, b) => a.repo.localeCompare(b.repo));
  const summary: OrgSummary = {
    owner: s.owner,
    shards: [formatShard(s.shard)],
    startedAt: iso(started),
    durationMs: now() - started,
    listed: listed.length,
    excluded,
    outcomes,
    keys: keySummaries,
    loneSecrets: secretSummaries,
    budgetExhausted,
    warnings,
  };
  await writeAtomically(summaryFileFor(s.stateFile), serializeOrgSummary(summary));
  return { summary, state, keys: keyList, secrets: secretList, verdicts };
}

/** Every secret found without its key id, grouped by fingerprint across repositories: one incident each. */
function loneSecretsAcross(
  repos: readonly RepoRecord[],
  scans: Map<number, RepoScan>,
  prior: OrgState['repositories'],
): OrgSecretFinding[] {
  const out = new Map<string, OrgSecretFinding>();
  for (const repo of repos) {
    const result = scans.get(repo.id)?.result;
    if (!result) continue;
    const before = new Set(prior[String(repo.id)]?.fingerprints ?? []);
    for (const secret of result.report.loneSecrets ?? []) {
      const material = result.secrets.get(secret.fingerprint);
      if (!material) continue;
      const x = entryOf(out, secret.fingerprint, () => ({
        fingerprint: secret.fingerprint,
        secretRedacted: secret.secretRedacted,
        occurrences: [],
        material,
      }));
      x.occurrences.push({ repo, secret, alreadyReported: before.has(secret.fingerprint) });
    }
  }
  return [...out.values()].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

/**
 * Repositories a run could not scan whole: failed to clone or scan, or scanned incompletely. Each is
 * counted in the summary and scanned again by the next run; the run fails on them unless
 * `fail-on-errors: false`.
 */
export function unscannedRepositories(summary: OrgSummary): string[] {
  return summary.outcomes
    .filter((o) => o.status === 'failed' || (o.status === 'scanned' && o.incomplete))
    .map((o) => `${o.repo} (${o.status === 'failed' ? (o.reason ?? 'failed') : 'incomplete scan'})`);
}

/**
 * Where a run saves its summary as JSON: beside the state file, so one directory holds everything a
 * shard hands to the job that merges the shards.
 */
export function summaryFileFor(stateFile: string): string {
  return join(dirname(stateFile), 'org-summary.json');
}

/** An outcome with nothing scanned yet. */
function emptyOutcome(r: RepoRecord, status: RepoOutcome['status'], reason: string | null): RepoOutcome {
  return {
    repo: r.fullName,
    status,
    reason,
    scan: null,
    findings: 0,
    objects: 0,
    bytes: 0,
    commits: 0,
    durationMs: 0,
    incomplete: false,
  };
}

function pendingOutcome(r: RepoRecord): RepoOutcome {
  return emptyOutcome(r, 'pending', 'run budget spent');
}

/** Decides, clones and scans one repository; every failure becomes a `failed` outcome with its reason. */
async function scanOne(
  repo: RepoRecord,
  s: OrgScanSettings,
  state: OrgState,
  sharedConfig: KeyleakConfig | null,
  now: () => number,
): Promise<RepoScan> {
  const t0 = now();
  const outcome = emptyOutcome(repo, 'skipped', null);
  const finish = (x: Partial<RepoScan> = {}): RepoScan => {
    outcome.durationMs = now() - t0;
    return {
      outcome,
      result: x.result ?? null,
      tips: x.tips ?? [],
      mode: x.mode ?? 'all',
      record: x.record ?? 'none',
    };
  };
  const skip = (reason: string, record: RepoScan['record']): RepoScan => {
    outcome.reason = reason;
    return finish({ record });
  };
  const prior = s.fullRescan ? undefined : state.repositories[String(repo.id)];
  if (unchangedByListing(prior, repo, t0)) return skip('not pushed to since the last scan', 'none');
  let dir: string | null = null;
  try {
    if (prior) {
      // One round trip says whether anything moved; an unchanged repository is never cloned.
      const remote = await Git.lsRemote(repo.cloneUrl, { token: s.token });
      const first = decideScan(prior, [...remote.values()], false);
      if (first.kind === 'unchanged') return skip('unchanged since the last scan', 'checked');
    }
    dir = await mkdtemp(join(s.workDir, `r${repo.id}-`));
    const git = await Git.cloneBare(repo.cloneUrl, join(dir, 'repo.git'), { token: s.token });
    // Decide on what was cloned: the remote may have moved since it was asked.
    const tips = await git.refTips();
    const decision = decideScan(prior, tips, s.fullRescan);
    if (decision.kind === 'empty') return skip('empty repository', 'scan');
    if (decision.kind === 'unchanged') return skip('unchanged since the last scan', 'checked');
    const existing =
      decision.kind === 'changed' ? await git.existingObjects(decision.exclude) : new Set<string>();
    const sel = historySelection(decision, existing);
    const config = sharedConfig ?? (await loadConfig(null, join(dir, 'repo.git'), git));
    const result = await scanHistory(git, sel, { config, jobs: s.jobs });
    const st = result.report.stats;
    Object.assign(outcome, {
      status: 'scanned',
      scan: sel.mode === 'range' ? 'incremental' : 'full',
      findings: result.report.findings.length + (result.report.loneSecrets ?? []).length,
      objects: st.objectsScanned,
      bytes: st.bytesScanned,
      commits: st.commitsScanned,
      incomplete: result.report.incomplete,
    } satisfies Partial<RepoOutcome>);
    return finish({ result, tips, mode: sel.mode, record: 'scan' });
  } catch (e) {
    outcome.status = 'failed';
    outcome.reason = reasonOf(e, s.token);
    return finish();
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The final job of a sharded run: merges the states and summaries the shards saved. `base` is the state
 * the shards started from, so a shard that saved nothing loses nothing.
 */
export async function mergeOrgShards(opts: {
  owner: string;
  base: string | null;
  stateFiles: readonly string[];
  summaryFiles: readonly string[];
}): Promise<{ state: OrgState; summary: OrgSummary; warnings: string[] }> {
  const warnings: string[] = [];
  const states: OrgState[] = [];
  for (const f of [...(opts.base ? [opts.base] : []), ...opts.stateFiles]) {
    const p = await readStateFile(f, opts.owner);
    if (p.warning) warnings.push(p.warning);
    else states.push(p.state);
  }
  const summaries: OrgSummary[] = [];
  for (const f of opts.summaryFiles) summaries.push(parseOrgSummary(await readFile(f, 'utf8'), f));
  const summary = mergeSummaries(summaries);
  summary.warnings = [...summary.warnings, ...warnings];
  return { state: mergeStates(states, opts.owner), summary, warnings };
}

async function filesNamed(dir: string, names: ReadonlySet<string>): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && names.has(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Merges every shard's results found under `dir` (the shards' artifacts, downloaded) into `stateFile`,
 * starting from the state already there, and writes the merged summary beside it.
 */
export async function mergeOrgShardDir(opts: {
  owner: string;
  dir: string;
  stateFile: string;
}): Promise<{ state: OrgState; summary: OrgSummary; warnings: string[] }> {
  const stateName = basename(opts.stateFile);
  const files = await filesNamed(opts.dir, new Set([stateName, 'org-summary.json']));
  const summaryFiles = files.filter((f) => basename(f) === 'org-summary.json');
  if (summaryFiles.length === 0)
    throw new Error(`no shard results under '${opts.dir}': expected */${stateName} and */org-summary.json`);
  const stateFiles = files.filter((f) => basename(f) === stateName);
  const merged = await mergeOrgShards({ owner: opts.owner, base: opts.stateFile, stateFiles, summaryFiles });
  if (stateFiles.length < summaryFiles.length) {
    const w = `${summaryFiles.length - stateFiles.length} shard(s) saved a summary but no ${stateName}; their repositories keep the previous state`;
    merged.warnings.push(w);
    merged.summary.warnings.push(w);
  }
  await writeAtomically(opts.stateFile, serializeState(merged.state));
  await writeAtomically(summaryFileFor(opts.stateFile), serializeOrgSummary(merged.summary));
  return merged;
}

/** The entry of `map` under `key`, made by `make` the first time: grouping places by what leaked. */
function entryOf<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}
