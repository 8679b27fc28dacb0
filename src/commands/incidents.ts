import {
  INCIDENT_LABEL,
  type GitHub,
  type IncidentIssue,
  type LabelSpec,
  type RepoRef,
} from '../adapters/github.js';
import type { Git } from '../adapters/git.js';
import {
  carryForward,
  chooseTrail,
  describeChanges,
  isLoneSecret,
  keepEarlierTrail,
  keepTailoredPlan,
  mergeIncidentBody,
  newLocations,
  readState,
  stateOf,
  subjectId,
  type IncidentSubject,
  type TrailSummary,
} from '../core/incident.js';
import { renderIncidentBody, renderIncidentTitle, type IncidentContext } from '../core/render/incident.js';
import type { ScanReport } from '../core/types.js';
import type { FlowDeps, Responded } from './ports.js';
import { withholdDetails } from '../core/disclosure.js';
import { planRewrite } from './rewrite-plan.js';
import type { SecretMaterial } from '../core/findings.js';
import { renderRewriteMarkdown } from '../core/render/rewrite-markdown.js';

export const INCIDENT_LABELS: LabelSpec[] = [
  { name: INCIDENT_LABEL, color: 'b60205', description: 'A leaked AWS access key (opened by keyleak)' },
];

export type IncidentOutcome = 'created' | 'updated' | 'reopened' | 'unchanged';

/** What refreshing one incident did. */
export interface IncidentUpsert {
  /** The key id, or a lone secret's fingerprint. */
  keyId: string;
  number: number;
  url: string;
  outcome: IncidentOutcome;
}

export type IncidentGitHub = Pick<
  GitHub,
  | 'findIncident'
  | 'findIncidents'
  | 'createIncident'
  | 'updateIncident'
  | 'commentIncident'
  | 'reopenIncident'
  | 'ensureLabels'
  | 'closeDuplicate'
>;

/** A `/rescan` or `/deactivate`: its issue is known, and its comment is written whatever changed. */
export interface Announce {
  /** The first line of the change comment. */
  head: string;
  /** The line written when nothing changed. */
  quiet: string;
}

/** What the refresher needs of the run, whichever flow (push, pull request, rescan, org scan) runs it. */
export interface IncidentEnv {
  github: IncidentGitHub;
  /** Where incident issues live. */
  issueRepo: RepoRef;
  serverUrl: string;
  runUrl: string | null;
  contacts: string;
  now: () => Date;
  log: (message: string) => void;
  uploadTrails: (trails: Map<string, TrailSummary>) => Promise<string | null>;
  /**
   * Incident issues are public (the issue repository is public and `public-details` is off): they carry
   * no verdict, secret, containment or CloudTrail details (see core/disclosure.ts).
   */
  withholdDetails?: boolean;
}

/**
 * What a flow knows of where a key (or a lone secret) sits, beyond the finding: the repository, its refs
 * and pull requests.
 */
export type Evidence = Pick<IncidentContext, 'repo' | 'refs' | 'pulls' | 'forcePush' | 'historyPlan'>;

function isServerError(e: unknown): boolean {
  const status = (e as { status?: number }).status;
  return status === undefined || status >= 500;
}

/**
 * Opens the incident of a key once, even when two runs race or the answer to POST /issues is lost: a
 * failed create looks for the issue it may have opened all the same, and after creating, the oldest
 * open incident of the key wins; a later one (this run's) is closed with a link to it.
 */
async function createOnce(
  env: IncidentEnv,
  finding: IncidentSubject,
  ctx: IncidentContext,
): Promise<{ issue: IncidentIssue; created: boolean }> {
  const { github, issueRepo } = env;
  const id = subjectId(finding);
  const body = renderIncidentBody(finding, ctx);
  let mine: IncidentIssue;
  try {
    mine = await github.createIncident(issueRepo, {
      title: renderIncidentTitle(finding, ctx),
      body,
      labels: [INCIDENT_LABEL],
    });
  } catch (e) {
    if (!isServerError(e)) throw e;
    const landed = await github.findIncident(issueRepo, id);
    if (!landed) throw e;
    env.log(`creating the incident for ${id} answered an error, but it exists: #${landed.number}`);
    mine = landed;
  }
  const open = (await github.findIncidents(issueRepo, id)).filter((i) => i.state === 'open');
  const first = open[0];
  if (first && first.number < mine.number) {
    await github.closeDuplicate(issueRepo, mine.number, first);
    env.log(`incident #${mine.number} for ${id} duplicated #${first.number}: closed`);
    return { issue: first, created: false };
  }
  return { issue: mine, created: true };
}

export function changeComment(head: string, lines: string[], runUrl: string | null): string {
  return [head + (runUrl ? ` ([run](${runUrl}))` : ''), '', ...lines.map((l) => `- ${l}`), ''].join('\n');
}

/**
 * Opens or refreshes the one incident issue of a key (or of a lone secret, by its fingerprint): finds it (or takes `existing`), keeps what earlier
 * runs established (every location, the last verdict and containment, the CloudTrail summary, the
 * tailored history-rewrite plan, every box a person ticked and their notes), and writes one comment
 * saying what changed. A rerun with nothing new changes nothing; a closed incident whose key shows up in
 * new places is reopened.
 */
export async function refreshIncident(
  env: IncidentEnv,
  finding: IncidentSubject,
  ctx: IncidentContext,
  opts: { labelsEnsured: { done: boolean }; existing?: IncidentIssue | null; announce?: Announce },
): Promise<IncidentUpsert> {
  const { github, issueRepo } = env;
  const id = subjectId(finding);
  let found = opts.existing === undefined ? await github.findIncident(issueRepo, id) : opts.existing;
  if (!found) {
    if (!opts.labelsEnsured.done) {
      await github.ensureLabels(issueRepo, INCIDENT_LABELS);
      opts.labelsEnsured.done = true;
    }
    const { issue, created } = await createOnce(env, finding, ctx);
    if (created) return { keyId: id, number: issue.number, url: issue.url, outcome: 'created' };
    // Another run opened it first: this run's news goes there, as to any existing incident.
    found = issue;
  }

  const before = readState(found.body);
  // The incident lists every place the key was ever seen, and what the last run that could tell said.
  const merged = carryForward(finding, before);
  const earlierTrail =
    before?.trail && chooseTrail(before.trail, ctx.trail) === 'earlier' ? before.trail : null;
  const after = stateOf(merged, earlierTrail ? null : ctx.trail, ctx.checkedAt);
  if (earlierTrail) after.trail = earlierTrail;
  const leakedAgain = newLocations(before?.locations ?? [], finding.locations).length > 0;
  const changes = describeChanges(before, after);
  const reopen = found.state === 'closed' && leakedAgain;
  if (changes.length === 0 && !reopen && before && !opts.announce) {
    return { keyId: id, number: found.number, url: found.url, outcome: 'unchanged' };
  }
  let regenerated = renderIncidentBody(merged, ctx);
  if (earlierTrail) regenerated = keepEarlierTrail(found.body, regenerated, earlierTrail);
  regenerated = keepTailoredPlan(found.body, regenerated);
  const body = mergeIncidentBody(found.body, regenerated);
  await github.updateIncident(issueRepo, found.number, { title: renderIncidentTitle(merged, ctx), body });
  if (reopen) await github.reopenIncident(issueRepo, found.number);
  const head = reopen
    ? `This ${isLoneSecret(finding) ? 'secret' : 'key'} leaked again after the incident was closed, so keyleak reopened it.`
    : (opts.announce?.head ?? 'keyleak updated this incident.');
  const quiet = opts.announce?.quiet ?? 'The incident body was regenerated.';
  await github.commentIncident(
    issueRepo,
    found.number,
    changeComment(head, changes.length > 0 ? changes : [quiet], env.runUrl),
  );
  return {
    keyId: id,
    number: found.number,
    url: found.url,
    outcome: reopen ? 'reopened' : 'updated',
  };
}

/** Branches (origin's named as the branches they track) and tags holding `commit`, each named once. */
async function branchesAndTagsHolding(git: Git, commit: string): Promise<string[]> {
  const refs = await git.refsHolding(commit).catch(() => []);
  return [...new Set(refs.map((r) => r.replace(/^refs\/remotes\/origin\//, 'refs/heads/')))].sort();
}

/** The report a plan or an incident of one subject is drawn from: that key, or that lone secret, alone. */
function reportOf(report: ScanReport, s: IncidentSubject): ScanReport {
  return isLoneSecret(s)
    ? { ...report, findings: [], loneSecrets: [s] }
    : { ...report, findings: [s], loneSecrets: [] };
}

/**
 * Where a key (or a lone secret) sits in a checked-out repository: the refs and pull requests holding its
 * commits, and the history-rewrite plan tailored to them (built from the secret, which the plan itself
 * never holds).
 */
export async function repositoryEvidence(
  deps: { git: Git; github: Pick<GitHub, 'pullsForCommit'>; repo: RepoRef; log: (m: string) => void },
  finding: IncidentSubject,
  responded: Responded,
  extra: { forcePush?: { before: string; after: string } | null; secrets?: Map<string, SecretMaterial> } = {},
): Promise<Evidence> {
  const id = subjectId(finding);
  const commits = [...new Set(finding.locations.map((l) => l.commit).filter((c): c is string => !!c))].slice(
    0,
    20,
  );
  const refs: Record<string, string[]> = {};
  const pulls: Record<string, number[]> = {};
  for (const c of commits) {
    refs[c] = await branchesAndTagsHolding(deps.git, c);
    try {
      pulls[c] = await deps.github.pullsForCommit(deps.repo, c);
    } catch (e) {
      deps.log(`could not list pull requests containing ${c.slice(0, 12)}: ${(e as Error).message}`);
    }
  }
  let historyPlan: string | null = null;
  if (extra.secrets?.has(id) && commits.length > 0) {
    try {
      const plan = await planRewrite(
        deps.git,
        { report: reportOf(responded.report, finding), secrets: extra.secrets },
        { pullRequestsByCommit: pulls },
      );
      historyPlan = renderRewriteMarkdown(plan);
    } catch (e) {
      deps.log(`could not build the history-rewrite plan for ${id}: ${(e as Error).message}`);
    }
  }
  return { repo: deps.repo, refs, pulls, forcePush: extra.forcePush ?? null, historyPlan };
}

/** The evidence of a finding known only by its repository's name (an org scan keeps no checkout). */
export function remoteEvidence(repo: RepoRef): Evidence {
  return { repo, refs: {}, pulls: {}, forcePush: null, historyPlan: null };
}

/**
 * The incident context of one finding: its evidence and what the responder said of it. A lone secret was
 * never given to the responder: no verdict, no CloudTrail.
 */
export function incidentContext(
  env: IncidentEnv,
  finding: IncidentSubject,
  responded: Responded,
  evidence: Evidence,
  trailArtifactUrl: string | null,
): IncidentContext {
  const keyId = isLoneSecret(finding) ? null : finding.keyId;
  const note = keyId ? responded.notes.get(keyId) : undefined;
  const trail: TrailSummary | null = (keyId && responded.trails.get(keyId)) || null;
  return {
    ...evidence,
    serverUrl: env.serverUrl,
    runUrl: env.runUrl,
    trailArtifactUrl: trail ? trailArtifactUrl : null,
    trail,
    trailUnavailable: note?.trail ?? null,
    verificationNote: note?.verification ?? null,
    contacts: env.contacts,
    checkedAt: env.now().toISOString(),
    quarantine: (keyId && responded.quarantine?.get(keyId)) || null,
  };
}

/**
 * Opens or refreshes the incident of every responded finding and of every lone secret (one per
 * fingerprint), after uploading the keys' CloudTrail summaries once. A failure on one is recorded and the
 * others still get theirs.
 */
export async function refreshIncidents(
  env: IncidentEnv,
  responded: Responded,
  evidenceOf: (f: IncidentSubject) => Promise<Evidence>,
  opts: { existing?: IncidentIssue; announce?: Announce } = {},
): Promise<{ upserts: IncidentUpsert[]; problems: string[]; failed: string[] }> {
  const upserts: IncidentUpsert[] = [];
  const problems: string[] = [];
  const failed: string[] = [];
  const subjects: IncidentSubject[] = [...responded.report.findings, ...(responded.report.loneSecrets ?? [])];
  if (subjects.length === 0) return { upserts, problems, failed };
  let artifactUrl: string | null = null;
  if (responded.trails.size > 0) {
    try {
      artifactUrl = await env.uploadTrails(responded.trails);
    } catch (e) {
      problems.push(`could not upload trail.json: ${(e as Error).message}`);
    }
  }
  const labelsEnsured = { done: false };
  for (const f of subjects) {
    const id = subjectId(f);
    try {
      const full = incidentContext(env, f, responded, await evidenceOf(f), artifactUrl);
      const shown = env.withholdDetails ? withholdDetails(f, full) : { finding: f, ctx: full };
      const u = await refreshIncident(env, shown.finding, shown.ctx, {
        labelsEnsured,
        existing: opts.existing,
        announce: opts.announce,
      });
      env.log(`incident for ${id}: #${u.number} ${u.outcome}`);
      upserts.push(u);
    } catch (e) {
      problems.push(`could not open or update the incident issue for ${id}: ${(e as Error).message}`);
      failed.push(id);
    }
  }
  return { upserts, problems, failed };
}

/** `refreshIncidents` for a flow that runs in a checkout of the repository (push, pull request, rescan). */
export function refreshRepositoryIncidents(
  deps: FlowDeps,
  responded: Responded,
  extra: { forcePush?: { before: string; after: string } | null; secrets?: Map<string, SecretMaterial> } = {},
  opts: { existing?: IncidentIssue; announce?: Announce } = {},
): ReturnType<typeof refreshIncidents> {
  return refreshIncidents(deps, responded, (f) => repositoryEvidence(deps, f, responded, extra), opts);
}
