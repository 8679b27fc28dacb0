import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseActionInputs, resolveMode, type ActionInputs } from './action-inputs.js';
import { GitHub, parseRepo } from './adapters/github.js';
import { Git } from './adapters/git.js';
import { runPullRequest } from './commands/pull-request.js';
import { runPush } from './commands/push.js';
import { runRescan } from './commands/rescan.js';
import { NoVerification, type FlowDeps, type FlowResult, type Responder } from './commands/ports.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from './commands/scan.js';
import { createAws, defaultAwsOptions } from './adapters/aws.js';
import { AwsResponder } from './commands/aws-responder.js';
import { mergeOrgShardDir, runOrgScan, unscannedRepositories } from './commands/org.js';
import { OrgIncidents } from './commands/org-incidents.js';
import { parseOrgSettings, type RawOrgInputs } from './core/org/settings.js';
import { renderOrgSummary } from './core/render/org-summary.js';
import { UsageError } from './core/errors.js';
import { defaultJobs } from './settings.js';
import type { TrailSummary } from './core/incident.js';
import { verdictOf } from './core/incident.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from './core/render/incident.js';
import { renderJson } from './core/render/json.js';
import { renderMarkdown } from './core/render/markdown.js';
import { renderSarif } from './core/render/sarif.js';
import type { ScanReport } from './core/types.js';

/** The responder the flows use. Verification and containment plug in here. */
export function buildResponder(inputs: ActionInputs): Responder {
  if (!inputs.verify) return new NoVerification('verification is turned off (`verify: false`)');
  return new AwsResponder(
    createAws(defaultAwsOptions()),
    {
      deactivate: inputs.deactivate,
      dryRun: inputs.dryRun,
      revokeSessions: inputs.revokeSessions,
      roleTemplate: inputs.awsRoleTemplate,
      managedAccounts: inputs.managedAccounts.length > 0 ? inputs.managedAccounts : null,
      trail: true,
    },
    { log: (line) => core.info(line) },
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

function annotate(report: ScanReport): void {
  for (const f of report.findings) {
    for (const l of f.locations) {
      if (!l.path) continue;
      core.error(
        `AWS access key ${f.keyId} leaked${l.commit ? ` in ${l.commit.slice(0, 12)}` : ''} (${verdictOf(f)})`,
        { file: l.path, startLine: l.line, title: 'keyleak: leaked AWS access key' },
      );
    }
  }
}

function summary(result: FlowResult): string {
  const out = [renderMarkdown(result.report)];
  if (result.issues.length > 0)
    out.push(`**Incidents:** ${result.issues.map((n) => `#${n}`).join(', ')}`, '');
  if (result.notes.length > 0) out.push(...result.notes.map((n) => `- ${n}`), '');
  if (result.problems.length > 0) out.push('> [!CAUTION]', ...result.problems.map((p) => `> - ${p}`), '');
  return out.join('\n') + '\n';
}

/** The action: dispatch by mode, report everything that can be reported, then decide the exit status. */
export async function run(): Promise<void> {
  try {
    const inputs = parseActionInputs((name) => core.getInput(name));
    core.setSecret(inputs.githubToken);
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const eventName = process.env.GITHUB_EVENT_NAME ?? '';
    const payload = await readEvent(process.env.GITHUB_EVENT_PATH);
    const mode = resolveMode(inputs.mode, eventName);
    if (mode === 'org' || mode === 'org-merge') {
      await runOrgMode(mode, inputs, workspace);
      return;
    }
    const repoName = process.env.GITHUB_REPOSITORY ?? '';
    const repo = parseRepo(repoName);
    const serverUrl = (process.env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
    const runId = process.env.GITHUB_RUN_ID;
    const runUrl = runId ? `${serverUrl}/${repoName}/actions/runs/${runId}` : null;
    const git = await Git.open(workspace);
    const configPath = inputs.config === DEFAULT_CONFIG_PATH ? null : join(workspace, inputs.config);
    const config = await loadConfig(configPath, workspace, git);
    const outDir = process.env.RUNNER_TEMP ?? (await mkdtemp(join(tmpdir(), 'keyleak-')));

    const deps: FlowDeps = {
      git,
      github: GitHub.create({
        token: inputs.githubToken,
        baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
        log: (m) => core.info(m),
      }),
      responder: buildResponder(inputs),
      config,
      jobs: defaultJobs(),
      repo,
      issueRepo: inputs.issueRepo ?? repo,
      serverUrl,
      runUrl,
      contacts: await readContacts(workspace, inputs.runbookTemplate),
      now: () => new Date(),
      log: (m) => core.info(m),
      mask: (secrets) => {
        for (const m of secrets.values())
          for (const s of [...m.secrets, ...m.sessionTokens]) core.setSecret(s);
      },
      uploadTrails: (trails) => uploadTrails(trails, outDir, serverUrl, repoName, runId),
    };

    const result =
      mode === 'push'
        ? await runPush(deps, payload)
        : mode === 'pull-request'
          ? await runPullRequest(deps, payload)
          : await runRescan(deps, payload);

    const report = result.report;
    const sarifFile = join(outDir, 'keyleak.sarif');
    const reportFile = join(outDir, 'keyleak-report.json');
    await writeFile(sarifFile, renderSarif(report));
    await writeFile(reportFile, renderJson(report));
    annotate(report);
    for (const w of report.warnings) core.warning(w);
    for (const p of result.problems) core.error(p);
    await core.summary.addRaw(summary(result)).write();
    core.setOutput('findings', report.findings.length);
    core.setOutput('live-keys', report.findings.filter((f) => f.verification?.status === 'live').length);
    core.setOutput('issues', JSON.stringify(result.issues));
    core.setOutput('sarif-file', sarifFile);
    core.setOutput('report-file', reportFile);

    if (result.problems.length > 0) {
      const done =
        result.issues.length > 0
          ? `incidents ${result.issues.map((n) => `#${n}`).join(', ')} were written`
          : 'no incident was written';
      core.setFailed(
        `keyleak: ${result.problems.length} GitHub or AWS call(s) failed: ${result.problems.join('; ')}. The scan, SARIF and report were written; ${done}.`,
      );
    } else if (report.incomplete) {
      core.setFailed(`keyleak: the scan was incomplete: ${report.warnings.join('; ')}`);
    } else if (report.findings.length > 0 && inputs.failOnFindings && mode !== 'rescan') {
      // A rescan refreshes an incident that already exists; failing it again would only add noise.
      core.setFailed(`keyleak: ${report.findings.length} leaked AWS key(s) found`);
    }
  } catch (e) {
    core.setFailed(`keyleak: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The org's raw inputs, as parseOrgSettings validates them. */
function orgInputs(inputs: ActionInputs): RawOrgInputs {
  const get = (name: string) => core.getInput(name);
  return {
    org: inputs.org ?? '',
    shard: get('shard'),
    fullRescan: get('full-rescan'),
    maxDuration: get('max-duration'),
    concurrency: get('concurrency'),
    stateFile: get('state-file'),
    config: inputs.config === DEFAULT_CONFIG_PATH ? '' : inputs.config,
    token: inputs.githubToken,
    includeArchived: get('include-archived'),
    includeForks: get('include-forks'),
    visibility: get('visibility'),
    include: get('include'),
    exclude: get('exclude'),
    topics: get('topics'),
    excludeTopics: get('exclude-topics'),
  };
}

/** `mode: org` scans an organisation's repositories; `mode: org-merge` merges the shards' results. */
async function runOrgMode(mode: 'org' | 'org-merge', inputs: ActionInputs, workspace: string): Promise<void> {
  const raw = orgInputs(inputs);
  const settings = parseOrgSettings(raw, { workDir: workspace, cpus: availableParallelism() });
  if (mode === 'org-merge') {
    const dir = core.getInput('shard-results');
    if (!dir) throw new UsageError(`Input 'shard-results' is required when mode is org-merge.`);
    const merged = await mergeOrgShardDir({ owner: settings.owner, dir, stateFile: settings.stateFile });
    for (const w of merged.warnings) core.warning(w);
    await core.summary.addRaw(renderOrgSummary(merged.summary)).write();
    return;
  }
  const repoName = process.env.GITHUB_REPOSITORY ?? '';
  const serverUrl = (process.env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  const runId = process.env.GITHUB_RUN_ID;
  const outDir = process.env.RUNNER_TEMP ?? (await mkdtemp(join(tmpdir(), 'keyleak-')));
  const github = GitHub.create({
    token: inputs.githubToken,
    baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
    log: (m) => core.info(m),
  });
  const sink = new OrgIncidents({
    github,
    responder: buildResponder(inputs),
    issueRepo: inputs.issueRepo ?? parseRepo(repoName),
    serverUrl,
    runUrl: runId ? `${serverUrl}/${repoName}/actions/runs/${runId}` : null,
    contacts: await readContacts(workspace, inputs.runbookTemplate),
    now: () => new Date(),
    log: (m) => core.info(m),
    mask: (secrets) => {
      for (const m of secrets.values()) for (const s of [...m.secrets, ...m.sessionTokens]) core.setSecret(s);
    },
    uploadTrails: (trails) => uploadTrails(trails, outDir, serverUrl, repoName, runId),
  });
  const result = await runOrgScan(settings, { lister: github, sink, log: (m) => core.info(m) });
  const findings = sink.responded?.findings ?? [];
  const report: ScanReport = {
    findings,
    suppressed: [],
    stats: { mode: 'all', objectsScanned: 0, bytesScanned: 0, commitsScanned: 0, durationMs: 0 },
    incomplete: false,
    warnings: [],
  };
  const reportFile = join(outDir, 'keyleak-report.json');
  await writeFile(reportFile, renderJson(report));
  await core.summary.addRaw(renderOrgSummary(result.summary)).write();
  for (const p of sink.problems) core.error(p);
  const issues = [...new Set(result.verdicts.map((v) => v.issue).filter((n): n is number => n !== null))];
  core.setOutput('findings', result.keys.length);
  core.setOutput('live-keys', result.verdicts.filter((v) => v.status === 'live').length);
  core.setOutput('issues', JSON.stringify(issues));
  core.setOutput('sarif-file', '');
  core.setOutput('report-file', reportFile);
  const unscanned = unscannedRepositories(result.summary);
  if (sink.problems.length > 0) {
    core.setFailed(
      `keyleak: ${sink.problems.length} GitHub or AWS call(s) failed: ${sink.problems.join('; ')}`,
    );
  } else if (unscanned.length > 0 && inputs.failOnErrors) {
    core.setFailed(
      `keyleak: ${unscanned.length} repositories could not be scanned whole and will be scanned again next run: ${unscanned.slice(0, 20).join('; ')}${unscanned.length > 20 ? '; …' : ''}. Set fail-on-errors: false to let the run pass.`,
    );
  } else if (result.keys.length > 0 && inputs.failOnFindings) {
    core.setFailed(`keyleak: ${result.keys.length} leaked AWS key(s) found across the organisation`);
  }
}

async function uploadTrails(
  trails: Map<string, TrailSummary>,
  outDir: string,
  serverUrl: string,
  repo: string,
  runId: string | undefined,
): Promise<string | null> {
  const file = join(outDir, 'trail.json');
  await writeFile(file, JSON.stringify({ trails: [...trails.values()] }, null, 2) + '\n');
  if (!process.env.ACTIONS_RUNTIME_TOKEN) {
    core.info(`trail.json written to ${file} (no artifact service in this environment)`);
    return null;
  }
  const r = await new DefaultArtifactClient().uploadArtifact('keyleak-trail', [file], outDir);
  return r.id !== undefined && runId ? `${serverUrl}/${repo}/actions/runs/${runId}/artifacts/${r.id}` : null;
}
