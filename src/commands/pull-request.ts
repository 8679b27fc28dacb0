import { UsageError } from '../core/errors.js';
import { verdictOf } from '../core/incident.js';
import { mdCode, mdText } from '../core/render/escape.js';
import { whereMd } from '../core/render/markdown.js';
import type { Location, ScanReport } from '../core/types.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from '../core/render/incident.js';
import { configForChange, contactsForChange, scanChange } from './change-config.js';
import { refreshRepositoryIncidents } from './incidents.js';
import { NoVerification, type FlowDeps, type FlowResult } from './ports.js';

const SHA = /^[0-9a-f]{40}$/;

export interface PullRequestEvent {
  number: number;
  base: string;
  head: string;
  /** The head branch lives in another repository: the run has a read-only token and no secrets. */
  fork: boolean;
}

/** Validates a pull_request payload. Pure. */
export function parsePullRequestEvent(payload: Record<string, unknown>): PullRequestEvent {
  const pr = payload.pull_request as
    | {
        number?: unknown;
        base?: { sha?: unknown; repo?: { full_name?: unknown } | null };
        head?: { sha?: unknown; repo?: { full_name?: unknown } | null };
      }
    | undefined;
  const base = String(pr?.base?.sha ?? '');
  const head = String(pr?.head?.sha ?? '');
  if (!pr || typeof pr.number !== 'number' || !SHA.test(base) || !SHA.test(head)) {
    throw new UsageError(`malformed pull_request event: expected pull_request.number, base.sha and head.sha`);
  }
  const headRepo = pr.head?.repo?.full_name;
  const baseRepo = pr.base?.repo?.full_name;
  // A head repository that was deleted comes as null: it was a fork.
  return { number: pr.number, base, head, fork: headRepo == null || headRepo !== baseRepo };
}

export const PR_MARKER = '<!-- keyleak:pull-request -->';

export const FORK_NOTE =
  'fork pull request: GitHub gives such runs no secrets and a read-only token, so keys were detected and reported without verification';

/** The PR comment: a findings table, or an all-clear once earlier findings are gone. */
export function renderPrComment(report: ScanReport, ev: PullRequestEvent, issues: number[]): string {
  const out = [PR_MARKER, '## keyleak', ''];
  const n = report.findings.length;
  const lone = report.loneSecrets ?? [];
  const warnings = report.warnings.flatMap((w) => ['', `> [!WARNING]\n> ${mdText(w)}`]);
  if (n === 0 && lone.length === 0) {
    out.push('No leaked AWS keys in the commits of this pull request.', ...warnings);
    return out.join('\n') + '\n';
  }
  const total = n + lone.length;
  const them = total === 1 ? 'it' : 'them';
  const what = [
    ...(n > 0 ? [`**${n} leaked AWS key${n === 1 ? '' : 's'}**`] : []),
    ...(lone.length > 0
      ? [`**${lone.length} AWS secret access key${lone.length === 1 ? '' : 's'} without a key id**`]
      : []),
  ].join(' and ');
  out.push(
    `${what} in the commits of this pull request. Removing ${them} in a later commit does not help: ${total === 1 ? 'it stays' : 'they stay'} in the history GitHub already has. Treat ${them} as compromised.`,
    '',
  );
  if (ev.fork && n > 0) out.push(`> [!NOTE]\n> Not verified: ${FORK_NOTE}.`, '');
  const whereCell = (locations: readonly Location[]): string =>
    locations.slice(0, 5).map(whereMd).join('<br>') + (locations.length > 5 ? '<br>…' : '');
  if (n > 0) {
    out.push('| Key id | Status | Where |', '| --- | --- | --- |');
    for (const f of report.findings)
      out.push(`| ${mdCode(f.keyId)} | ${verdictOf(f)} | ${whereCell(f.locations)} |`);
  }
  if (lone.length > 0) {
    // The fingerprint names a secret without showing any of it: this comment may be public.
    if (n > 0) out.push('');
    out.push(
      'Secrets found with no key id in the same file or commit cannot be verified: find the key in IAM by last use, then rotate it.',
      '',
      '| Secret fingerprint | Where |',
      '| --- | --- |',
    );
    for (const s of lone) out.push(`| ${mdCode(s.fingerprint)} | ${whereCell(s.locations)} |`);
  }
  if (issues.length > 0) out.push('', `Incidents: ${issues.map((i) => `#${i}`).join(', ')}.`);
  out.push(...warnings);
  return out.join('\n') + '\n';
}

/** The pull_request flow: scan the PR's commits, respond (not on forks), comment once on the PR. */
export async function runPullRequest(deps: FlowDeps, payload: Record<string, unknown>): Promise<FlowResult> {
  const ev = parsePullRequestEvent(payload);
  const { git } = deps;
  const problems: string[] = [];
  const notes: string[] = [];
  await git.fetchWholeHistory('a pull request is compared with its base', deps.log);
  for (const sha of [ev.head, ev.base]) {
    if (await git.hasCommit(sha)) continue;
    const src = sha === ev.head ? `refs/pull/${ev.number}/head` : sha;
    try {
      await git.fetchCommits([src]);
    } catch (e) {
      throw new Error(
        `the pull request's ${sha === ev.head ? 'head' : 'base'} commit ${sha} could not be fetched: ${(e as Error).message}`,
      );
    }
    if (!(await git.hasCommit(sha)))
      throw new Error(`the pull request's commit ${sha} is not in the checkout`);
  }
  // The pull request may edit the config: the base's governs it.
  const { config, warnings } = deps.configPath
    ? await configForChange(git, deps.configPath, {
        before: ev.base,
        after: ev.head,
        what: 'pull request',
      })
    : { config: deps.config, warnings: [] };
  const { result, warnings: markers } = await scanChange(
    git,
    { include: [ev.head], exclude: [ev.base] },
    { before: ev.base, what: 'pull request' },
    config,
  );
  result.report.warnings.push(...warnings, ...markers);
  deps.mask(result.secrets);
  const responder = ev.fork ? new NoVerification(FORK_NOTE) : deps.responder;
  const responded = await responder.respond(result, {});
  let issues: number[] = [];
  if (ev.fork) {
    if (responded.report.findings.length > 0) notes.push(`Not verified: ${FORK_NOTE}.`);
  } else {
    // The pull request may edit the runbook template too: the base's goes into its incidents.
    const { contacts, warnings: runbook } =
      deps.contactsPath && responded.report.findings.length + (responded.report.loneSecrets ?? []).length > 0
        ? await contactsForChange(
            git,
            deps.contactsPath,
            { before: ev.base, after: ev.head, what: 'pull request' },
            DEFAULT_RUNBOOK_TEMPLATE,
          )
        : { contacts: deps.contacts, warnings: [] };
    responded.report.warnings.push(...runbook);
    const r = await refreshRepositoryIncidents({ ...deps, contacts }, responded, { secrets: result.secrets });
    issues = r.upserts.map((u) => u.number);
    problems.push(...r.problems);
  }
  try {
    const c = await deps.github.upsertPrComment(
      deps.repo,
      ev.number,
      PR_MARKER,
      renderPrComment(responded.report, ev, issues),
      {
        createIfMissing: responded.report.findings.length + (responded.report.loneSecrets ?? []).length > 0,
      },
    );
    if (c.written) notes.push(`Commented on pull request #${ev.number}.`);
  } catch (e) {
    const msg = `could not comment on pull request #${ev.number}: ${(e as Error).message}`;
    // A fork's token is read-only: the job summary and annotations carry the findings instead.
    if (ev.fork) notes.push(`${msg} (fork pull requests get a read-only token).`);
    else problems.push(msg);
  }
  return { report: responded.report, issues, notes, problems };
}
