import * as core from '@actions/core';
import * as log from './adapters/log.js';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join, normalize } from 'node:path';
import {
  parseActionSettings,
  type ActionInputs,
  type ActionSettings,
  type RepositoryMode,
} from './action-inputs.js';
import { lazyAws } from './adapters/aws-lazy.js';
import { GitHub, parseRepo, type RepoRef } from './adapters/github.js';
import { Git } from './adapters/git.js';
import { AwsResponder } from './commands/aws-responder.js';
import { OrgIncidents } from './commands/org-incidents.js';
import { mergeOrgShardDir, runOrgScan, unscannedRepositories } from './commands/org.js';
import {
  NoVerification,
  type FlowDeps,
  type FlowResult,
  type Responder,
  type RunEnv,
} from './commands/ports.js';
import { runPullRequest } from './commands/pull-request.js';
import { runPush } from './commands/push.js';
import { runRescan } from './commands/rescan.js';
import { loadConfig } from './commands/scan.js';
import { DEFAULT_CONFIG_PATH, EMPTY_CONFIG } from './core/config.js';
import { UsageError } from './core/errors.js';
import type { SecretMaterial } from './core/findings.js';
import type { TrailSummary } from './core/incident.js';
import { verdictOf } from './core/incident.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from './core/render/incident.js';
import { renderJson } from './core/render/json.js';
import { mdText, mdUrl } from './core/render/escape.js';
import { renderMarkdown } from './core/render/markdown.js';
import { renderOrgSummary } from './core/render/org-summary.js';
import { renderSarif, SARIF_CATEGORIES, type SarifCategory } from './core/render/sarif.js';
import { runFull } from './commands/full.js';
import type { ScanReport } from './core/types.js';
import { defaultJobs } from './settings.js';
import { invalid, named, parseWholeNumber } from './core/validate.js';

/** What the run is: inputs, event and runner environment, read once. */
type ActionContext = ActionSettings & RunnerContext;

/** What the runner says about the run. */
interface RunnerContext {
  workspace: string;
  payload: Record<string, unknown>;
  /** `owner/name` of the repository the workflow runs in, as the runner names it and parsed. */
  repoName: string;
  repo: RepoRef;
  serverUrl: string;
  /** The GitHub API the token is for. */
  apiUrl: string;
  runId: string | undefined;
  runUrl: string | null;
  /** Where the SARIF, report and trail.json files go. */
  outDir: string;
  /** Whether the runner has an artifact service to upload trail.json to. */
  artifactService: boolean;
  /**
   * The deadline of each GitHub request in milliseconds, or null for the adapter's (30 s). Set only by
   * tests, through KEYLEAK_GITHUB_TIMEOUT_MS, so that a call that never answers ends the run in a second.
   */
  githubTimeoutMs: number | null;
}

/** What every mode reports: the outputs, the files, the summary, and what decides the exit status. */
interface Outcome {
  report: ScanReport;
  /** Findings and live keys for the outputs (an org scan counts keys, not findings). */
  findings: number;
  liveKeys: number;
  issues: number[];
  summary: string;
  problems: string[];
  /** The code-scanning category of the SARIF written for the repository modes; an org scan has no single SARIF. */
  sarif: SarifCategory | null;
  /** The failure when keys were found and `fail-on-findings` holds, or null when finding them is no failure. */
  foundFailure: string | null;
}

/** The responder the flows use. Verification and containment plug in here. */
export function buildResponder(inputs: ActionInputs): Responder {
  if (!inputs.verify) return new NoVerification('verification is turned off (`verify: false`)');
  return new AwsResponder(
    lazyAws(),
    {
      deactivate: inputs.deactivate,
      dryRun: inputs.dryRun,
      revokeSessions: inputs.revokeSessions,
      roleTemplate: inputs.awsRoleTemplate,
      managedAccounts: inputs.managedAccounts.length > 0 ? inputs.managedAccounts : null,
      trail: true,
      containPersistence: inputs.containPersistence,
      costCheck: inputs.costCheck,
    },
    { log: (line) => log.info(line) },
  );
}

async function readEvent(path: string | undefined): Promise<Record<string, unknown>> {
  if (!path) return {};
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`cannot read the event payload at ${path}: ${(e as Error).message}`);
  }
}

async function readContacts(workspace: string, path: string | null): Promise<string> {
  if (path === null) return DEFAULT_RUNBOOK_TEMPLATE;
  const full = isAbsolute(path) ? path : join(workspace, path);
  try {
    return await readFile(full, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read runbook-template '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

async function readContext(): Promise<ActionContext> {
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const settings = parseActionSettings((name) => core.getInput(name), {
    eventName: process.env.GITHUB_EVENT_NAME ?? '',
    workDir: workspace,
    cpus: availableParallelism(),
  });
  core.setSecret(settings.inputs.githubToken);
  const serverUrl = (process.env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  const repoName = process.env.GITHUB_REPOSITORY ?? '';
  const runId = process.env.GITHUB_RUN_ID;
  return {
    ...settings,
    workspace,
    payload: await readEvent(process.env.GITHUB_EVENT_PATH),
    repoName,
    repo: parseRepo(repoName),
    serverUrl,
    apiUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
    runId,
    runUrl: runId ? `${serverUrl}/${repoName}/actions/runs/${runId}` : null,
    outDir: process.env.RUNNER_TEMP ?? (await mkdtemp(join(tmpdir(), 'keyleak-'))),
    artifactService: Boolean(process.env.ACTIONS_RUNTIME_TOKEN),
    githubTimeoutMs: process.env.KEYLEAK_GITHUB_TIMEOUT_MS
      ? named(
          process.env.KEYLEAK_GITHUB_TIMEOUT_MS,
          parseWholeNumber(1, 600_000),
          invalid('KEYLEAK_GITHUB_TIMEOUT_MS'),
        )
      : null,
  };
}

/**
 * The dependencies every incident-writing mode shares, built once: incidents go to `issue-repo`, or the
 * repository the workflow runs in. `contacts` is the runbook's contacts block, read by the caller.
 */
async function buildRunEnv(ctx: ActionContext, contacts: string): Promise<RunEnv> {
  const issueRepo = ctx.inputs.issueRepo ?? ctx.repo;
  const github = GitHub.create({
    token: ctx.inputs.githubToken,
    baseUrl: ctx.apiUrl,
    log: (m) => log.info(m),
    ...(ctx.githubTimeoutMs !== null ? { timing: { requestTimeoutMs: ctx.githubTimeoutMs } } : {}),
  });
  return {
    github,
    withholdDetails: ctx.inputs.publicDetails ? false : await issuesArePublic(github, issueRepo),
    responder: buildResponder(ctx.inputs),
    issueRepo,
    serverUrl: ctx.serverUrl,
    runUrl: ctx.runUrl,
    contacts,
    now: () => new Date(),
    log: (m) => log.info(m),
    mask: (secrets: Map<string, SecretMaterial>) => {
      for (const m of secrets.values()) for (const s of [...m.secrets, ...m.sessionTokens]) core.setSecret(s);
    },
    uploadTrails: (trails) => uploadTrails(trails, ctx),
  };
}

function annotate(report: ScanReport): void {
  for (const f of report.findings) {
    for (const l of f.locations) {
      if (!l.path) continue;
      log.error(
        `AWS access key ${f.keyId} leaked${l.commit ? ` in ${l.commit.slice(0, 12)}` : ''} (${verdictOf(f)})`,
        { file: l.path, startLine: l.line, title: 'keyleak: leaked AWS access key' },
      );
    }
  }
  for (const s of report.loneSecrets ?? []) {
    for (const l of s.locations) {
      if (!l.path) continue;
      log.error(
        `AWS secret access key without its key id leaked${l.commit ? ` in ${l.commit.slice(0, 12)}` : ''} (${s.fingerprint}): find its key in IAM and rotate it`,
        { file: l.path, startLine: l.line, title: 'keyleak: leaked AWS secret access key' },
      );
    }
  }
}

/** Why keys (and secrets found without their key id) fail the run, or null when none were found. */
function foundFailure(report: ScanReport): string | null {
  const keys = report.findings.length;
  const lone = report.loneSecrets?.length ?? 0;
  if (keys + lone === 0) return null;
  const parts = [
    ...(keys > 0 ? [`${keys} leaked AWS key(s) found`] : []),
    ...(lone > 0 ? [`${lone} AWS secret access key(s) found without their key id`] : []),
  ];
  return `keyleak: ${parts.join('; ')}`;
}

/** What keyleak was asked to do on AWS for each key and could not: containment, IAM, CloudTrail. */
export function responseErrors(report: ScanReport): string[] {
  return report.findings.flatMap((f) => f.response?.errors ?? []);
}

function flowSummary(result: FlowResult, issueUrl: (n: number) => string, withheld: boolean): string {
  const incidents = new Map((result.incidents ?? []).map((i) => [i.keyId, i]));
  const out = [
    renderMarkdown(result.report, {
      incidents: result.incidents ? incidents : undefined,
      trails: result.trails,
      withheld,
    }),
  ];
  if (result.issues.length > 0)
    out.push(`**Incidents:** ${result.issues.map((n) => `[#${n}](${mdUrl(issueUrl(n))})`).join(', ')}`, '');
  if (result.notes.length > 0) out.push(...result.notes.map((n) => `- ${mdText(n)}`), '');
  const errors = [...result.problems, ...responseErrors(result.report)];
  if (errors.length > 0)
    out.push('> [!CAUTION]', '> Could not be done:', ...errors.map((p) => `> - ${mdText(p)}`), '');
  return out.join('\n') + '\n';
}

/**
 * Whether incident issues would be readable by anyone. When GitHub cannot say, they are taken to be:
 * leaving details out is the side that can be corrected by a rerun.
 */
async function issuesArePublic(github: GitHub, issueRepo: RepoRef): Promise<boolean> {
  const name = `${issueRepo.owner}/${issueRepo.repo}`;
  // The run's first GitHub call: said before it is made, so an unreachable API shows in the log at once.
  log.info(`reading the visibility of ${name} from the GitHub API`);
  try {
    const isPublic = await github.isPublic(issueRepo);
    if (isPublic)
      log.info(
        `${name} is public: incident issues leave out the verdict, the secret, containment and CloudTrail details (set issue-repo to a private repository, or public-details: true)`,
      );
    return isPublic;
  } catch (e) {
    log.warning(
      `could not read the visibility of ${name} (${(e as Error).message}): incident issues leave out the verdict and details as on a public repository`,
    );
    return true;
  }
}

/** push, pull-request, full and rescan: one repository, checked out in the workspace. */
async function runRepositoryMode(ctx: ActionContext & { mode: RepositoryMode }): Promise<Outcome> {
  const git = await Git.open(ctx.workspace);
  // The config file named, read from disk; null: the repository's own, from the work tree or HEAD.
  const configFile =
    ctx.inputs.config === DEFAULT_CONFIG_PATH
      ? null
      : isAbsolute(ctx.inputs.config)
        ? ctx.inputs.config
        : join(ctx.workspace, ctx.inputs.config);
  // A push or pull request can edit the config and the runbook template (keyleak's own markdown in the
  // incident) in the work tree, or delete them: those flows read both as committed before the change, and
  // the work tree's are never read. Only files outside the repository (absolute paths) are read from disk.
  const scansChange = ctx.mode === 'push' || ctx.mode === 'pull-request';
  const fromBefore = (path: string | null) =>
    scansChange && path !== null && !isAbsolute(path) ? normalize(path).replace(/^(\.\/)+/, '') : null;
  const changeConfigPath = fromBefore(ctx.inputs.config);
  const contactsPath = fromBefore(ctx.inputs.runbookTemplate);
  const deps: FlowDeps = {
    ...(await buildRunEnv(
      ctx,
      contactsPath !== null
        ? DEFAULT_RUNBOOK_TEMPLATE
        : await readContacts(ctx.workspace, ctx.inputs.runbookTemplate),
    )),
    git,
    config: changeConfigPath !== null ? EMPTY_CONFIG : await loadConfig(configFile, ctx.workspace, git),
    configPath: changeConfigPath,
    contactsPath,
    jobs: defaultJobs(),
    repo: ctx.repo,
  };
  const result =
    ctx.mode === 'push'
      ? await runPush(deps, ctx.payload)
      : ctx.mode === 'pull-request'
        ? await runPullRequest(deps, ctx.payload)
        : ctx.mode === 'full'
          ? await runFull(deps)
          : await runRescan(deps, ctx.payload);
  const report = result.report;
  annotate(report);
  return {
    report,
    findings: report.findings.length,
    liveKeys: report.findings.filter((f) => f.verification?.status === 'live').length,
    issues: result.issues,
    summary: flowSummary(
      result,
      (n) => `${ctx.serverUrl}/${deps.issueRepo.owner}/${deps.issueRepo.repo}/issues/${n}`,
      deps.withholdDetails === true,
    ),
    problems: [...result.problems, ...responseErrors(report)],
    // Each kind of scan uploads under a code-scanning category of its own (see SARIF_CATEGORIES).
    sarif: SARIF_CATEGORIES[ctx.mode],
    // A rescan refreshes an incident that already exists; failing it again would only add noise.
    foundFailure: ctx.mode !== 'rescan' ? foundFailure(report) : null,
  };
}

const EMPTY_REPORT: ScanReport = {
  findings: [],
  suppressed: [],
  stats: { mode: 'all', objectsScanned: 0, bytesScanned: 0, commitsScanned: 0, durationMs: 0 },
  incomplete: false,
  warnings: [],
};

/**
 * `mode: org-merge` merges the shards' results into the state file and reports the merged summary. The
 * shards opened the incidents and failed on what they found or could not do: the merge only counts it.
 */
async function runOrgMergeMode(ctx: ActionContext & { mode: 'org-merge' }): Promise<Outcome> {
  const { owner, stateFile } = ctx.org;
  const merged = await mergeOrgShardDir({ owner, dir: ctx.shardResults, stateFile });
  return {
    report: { ...EMPTY_REPORT, warnings: merged.warnings },
    findings: merged.summary.keys.length,
    liveKeys: merged.summary.keys.filter((k) => k.status === 'live').length,
    issues: [],
    summary: renderOrgSummary(merged.summary),
    problems: [],
    sarif: null,
    foundFailure: null,
  };
}

/** Repositories an org scan could not clone or scan whole: a failure, and scanned again next run. */
function unscannedProblem(unscanned: string[]): string[] {
  if (unscanned.length === 0) return [];
  return [
    `${unscanned.length} repositories could not be scanned whole and will be scanned again next run: ${unscanned.slice(0, 20).join('; ')}${unscanned.length > 20 ? '; …' : ''}`,
  ];
}

/** `mode: org` scans an organisation's repositories and opens one incident per key. */
async function runOrgMode(ctx: ActionContext & { mode: 'org' }): Promise<Outcome> {
  const env = await buildRunEnv(ctx, await readContacts(ctx.workspace, ctx.inputs.runbookTemplate));
  const sink = new OrgIncidents(env);
  const result = await runOrgScan(ctx.org, { lister: env.github, sink, log: (m) => log.info(m) });
  return {
    report: {
      ...EMPTY_REPORT,
      findings: sink.responded?.findings ?? [],
      loneSecrets: sink.responded?.loneSecrets ?? [],
    },
    findings: result.keys.length,
    liveKeys: result.verdicts.filter((v) => v.status === 'live').length,
    issues: [...new Set(result.verdicts.map((v) => v.issue).filter((n): n is number => n !== null))],
    summary: renderOrgSummary(result.summary),
    problems: [
      ...sink.problems,
      ...responseErrors(sink.responded ?? EMPTY_REPORT),
      ...unscannedProblem(unscannedRepositories(result.summary)),
    ],
    sarif: null,
    foundFailure:
      result.keys.length + result.secrets.length > 0
        ? `keyleak: ${[
            result.keys.length > 0 ? `${result.keys.length} leaked AWS key(s)` : '',
            result.secrets.length > 0
              ? `${result.secrets.length} AWS secret access key(s) without their key id`
              : '',
          ]
            .filter(Boolean)
            .join(' and ')} found across the organisation`
        : null,
  };
}

/** Writes the files, annotations, summary and outputs of a run; returns why it fails, or null. */
async function report(ctx: ActionContext, o: Outcome): Promise<string | null> {
  const sarifFile = o.sarif ? join(ctx.outDir, 'keyleak.sarif') : '';
  const reportFile = join(ctx.outDir, 'keyleak-report.json');
  if (o.sarif) await writeFile(sarifFile, renderSarif(o.report, o.sarif));
  await writeFile(reportFile, renderJson(o.report));
  for (const w of o.report.warnings) log.warning(w);
  for (const p of o.problems) log.error(p);
  await core.summary.addRaw(o.summary).write();
  core.setOutput('findings', o.findings);
  core.setOutput('live-keys', o.liveKeys);
  core.setOutput('issues', JSON.stringify(o.issues));
  core.setOutput('sarif-file', sarifFile);
  core.setOutput('sarif-category', o.sarif ?? '');
  core.setOutput('report-file', reportFile);

  if (o.problems.length > 0 && ctx.inputs.failOnErrors) {
    const done =
      o.issues.length > 0
        ? `incidents ${o.issues.map((n) => `#${n}`).join(', ')} were written`
        : 'no incident was written';
    return `keyleak: ${o.problems.length} GitHub or AWS step(s) could not be done: ${o.problems.join('; ')}. The scan${o.sarif ? ', SARIF' : ''} and report were written; ${done}.`;
  }
  if (o.report.incomplete) return `keyleak: the scan was incomplete: ${o.report.warnings.join('; ')}`;
  if (o.foundFailure && ctx.inputs.failOnFindings) return o.foundFailure;
  return null;
}

/**
 * The action: read the context once, dispatch by mode, report everything that can be reported, then
 * decide the exit status. The one place that fails the run.
 */
export async function run(): Promise<void> {
  let failure: string | null;
  try {
    const ctx = await readContext();
    const outcome =
      ctx.mode === 'org-merge'
        ? await runOrgMergeMode(ctx)
        : ctx.mode === 'org'
          ? await runOrgMode(ctx)
          : await runRepositoryMode(ctx);
    failure = await report(ctx, outcome);
  } catch (e) {
    failure = `keyleak: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (failure) log.setFailed(failure);
}

async function uploadTrails(trails: Map<string, TrailSummary>, ctx: ActionContext): Promise<string | null> {
  const file = join(ctx.outDir, 'trail.json');
  await writeFile(file, JSON.stringify({ trails: [...trails.values()] }, null, 2) + '\n');
  if (!ctx.artifactService) {
    log.info(`trail.json written to ${file} (no artifact service in this environment)`);
    return null;
  }
  // The artifact client is large and needed only when there is a trail to upload: loaded then.
  const { DefaultArtifactClient } = await import('@actions/artifact');
  const r = await new DefaultArtifactClient().uploadArtifact('keyleak-trail', [file], ctx.outDir);
  return r.id !== undefined && ctx.runId
    ? `${ctx.serverUrl}/${ctx.repoName}/actions/runs/${ctx.runId}/artifacts/${r.id}`
    : null;
}
