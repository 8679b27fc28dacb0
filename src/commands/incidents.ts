import {
  INCIDENT_LABEL,
  type GitHub,
  type IncidentIssue,
  type LabelSpec,
  type RepoRef,
} from '../adapters/github.js';
import { refsHolding } from '../adapters/git-remote.js';
import {
  describeChanges,
  mergeIncidentBody,
  newLocations,
  readState,
  stateOf,
  carryForward,
  keepEarlierTrail,
  type TrailSummary,
} from '../core/incident.js';
import { renderIncidentBody, renderIncidentTitle, type IncidentContext } from '../core/render/incident.js';
import type { Finding } from '../core/types.js';
import type { FlowDeps, Responded } from './ports.js';
import { withholdDetails } from '../core/disclosure.js';
import { planRewrite } from './rewrite-plan.js';
import type { SecretMaterial } from '../core/findings.js';
import { renderRewriteMarkdown } from '../core/render/rewrite-markdown.js';

export const INCIDENT_LABELS: LabelSpec[] = [
  { name: INCIDENT_LABEL, color: 'b60205', description: 'A leaked AWS access key (opened by keyleak)' },
];

export type IncidentOutcome = 'created' | 'updated' | 'reopened' | 'unchanged';

export interface IncidentUpsert {
  keyId: string;
  number: number;
  url: string;
  outcome: IncidentOutcome;
}

type IncidentGitHub = Pick<
  GitHub,
  'findIncident' | 'createIncident' | 'updateIncident' | 'commentIncident' | 'reopenIncident' | 'ensureLabels'
>;

/**
 * Opens or refreshes the one incident issue of a key. A rerun with nothing new changes nothing; new
 * locations or a status change rewrite the body (keeping every box a person ticked) and add one comment
 * saying what changed; a closed incident whose key shows up in new places is reopened.
 */
export async function upsertIncident(
  github: IncidentGitHub,
  issueRepo: RepoRef,
  finding: Finding,
  ctx: IncidentContext,
  labelsEnsured: { done: boolean },
  existing?: IncidentIssue | null,
): Promise<IncidentUpsert> {
  const found = existing === undefined ? await github.findIncident(issueRepo, finding.keyId) : existing;
  if (!found) {
    if (!labelsEnsured.done) {
      await github.ensureLabels(issueRepo, INCIDENT_LABELS);
      labelsEnsured.done = true;
    }
    const issue = await github.createIncident(issueRepo, {
      title: renderIncidentTitle(finding, ctx),
      body: renderIncidentBody(finding, ctx),
      labels: [INCIDENT_LABEL],
    });
    return { keyId: finding.keyId, number: issue.number, url: issue.url, outcome: 'created' };
  }

  const before = readState(found.body);
  // The incident lists every place the key was ever seen, and what the last run that could tell said.
  const merged = carryForward(finding, before);
  // Without CloudTrail this time, the summary an earlier run wrote stands.
  const earlierTrail = !ctx.trail ? (before?.trail ?? null) : null;
  const after = stateOf(merged, ctx.trail, ctx.checkedAt);
  if (earlierTrail) after.trail = earlierTrail;
  const leakedAgain = newLocations(before?.locations ?? [], finding.locations).length > 0;
  const changes = describeChanges(before, after);
  const reopen = found.state === 'closed' && leakedAgain;
  if (changes.length === 0 && !reopen && before) {
    return { keyId: finding.keyId, number: found.number, url: found.url, outcome: 'unchanged' };
  }
  let regenerated = renderIncidentBody(merged, ctx);
  if (earlierTrail) regenerated = keepEarlierTrail(found.body, regenerated, earlierTrail);
  const body = mergeIncidentBody(found.body, regenerated);
  await github.updateIncident(issueRepo, found.number, { title: renderIncidentTitle(merged, ctx), body });
  if (reopen) await github.reopenIncident(issueRepo, found.number);
  const head = reopen
    ? 'This key leaked again after the incident was closed, so keyleak reopened it.'
    : 'keyleak updated this incident.';
  const lines = changes.length > 0 ? changes : ['The incident body was regenerated.'];
  await github.commentIncident(issueRepo, found.number, changeComment(head, lines, ctx.runUrl));
  return {
    keyId: finding.keyId,
    number: found.number,
    url: found.url,
    outcome: reopen ? 'reopened' : 'updated',
  };
}

export function changeComment(head: string, lines: string[], runUrl: string | null): string {
  return [head + (runUrl ? ` ([run](${runUrl}))` : ''), '', ...lines.map((l) => `- ${l}`), ''].join('\n');
}

/** The incident context of one finding: refs and pull requests holding its commits, and the responder's notes. */
export async function incidentContext(
  deps: FlowDeps,
  finding: Finding,
  responded: Responded,
  extra: {
    forcePush?: { before: string; after: string } | null;
    trailArtifactUrl?: string | null;
    secrets?: Map<string, SecretMaterial>;
  } = {},
): Promise<IncidentContext> {
  const commits = [...new Set(finding.locations.map((l) => l.commit).filter((c): c is string => !!c))].slice(
    0,
    20,
  );
  const refs: Record<string, string[]> = {};
  const pulls: Record<string, number[]> = {};
  for (const c of commits) {
    refs[c] = await refsHolding(deps.git, c);
    try {
      pulls[c] = await deps.github.pullsForCommit(deps.repo, c);
    } catch (e) {
      deps.log(`could not list pull requests containing ${c.slice(0, 12)}: ${(e as Error).message}`);
    }
  }
  // The history-rewrite plan needs the secret only to find where it sits; the plan itself never holds it.
  let historyPlan: string | null = null;
  if (extra.secrets && commits.length > 0) {
    try {
      const plan = await planRewrite(
        deps.git,
        { report: { ...responded.report, findings: [finding] }, secrets: extra.secrets },
        { pullRequestsByCommit: pulls },
      );
      historyPlan = renderRewriteMarkdown(plan);
    } catch (e) {
      deps.log(`could not build the history-rewrite plan for ${finding.keyId}: ${(e as Error).message}`);
    }
  }
  const note = responded.notes.get(finding.keyId);
  const trail: TrailSummary | null = responded.trails.get(finding.keyId) ?? null;
  return {
    repo: deps.repo,
    serverUrl: deps.serverUrl,
    runUrl: deps.runUrl,
    trailArtifactUrl: trail ? (extra.trailArtifactUrl ?? null) : null,
    refs,
    pulls,
    forcePush: extra.forcePush ?? null,
    trail,
    trailUnavailable: note?.trail ?? null,
    verificationNote: note?.verification ?? null,
    historyPlan,
    contacts: deps.contacts,
    checkedAt: deps.now().toISOString(),
    quarantine: responded.quarantine?.get(finding.keyId) ?? null,
  };
}

/**
 * Opens or refreshes the incident of every finding. A failure on one key is recorded and the others
 * still get theirs.
 */
export async function upsertIncidents(
  deps: FlowDeps,
  responded: Responded,
  extra: { forcePush?: { before: string; after: string } | null; secrets?: Map<string, SecretMaterial> } = {},
): Promise<{ upserts: IncidentUpsert[]; problems: string[] }> {
  const upserts: IncidentUpsert[] = [];
  const problems: string[] = [];
  const findings = responded.report.findings;
  if (findings.length === 0) return { upserts, problems };
  let artifactUrl: string | null = null;
  if (responded.trails.size > 0) {
    try {
      artifactUrl = await deps.uploadTrails(responded.trails);
    } catch (e) {
      problems.push(`could not upload trail.json: ${(e as Error).message}`);
    }
  }
  const labels = { done: false };
  for (const f of findings) {
    try {
      const full = await incidentContext(deps, f, responded, { ...extra, trailArtifactUrl: artifactUrl });
      const shown = deps.withholdDetails ? withholdDetails(f, full) : { finding: f, ctx: full };
      const u = await upsertIncident(deps.github, deps.issueRepo, shown.finding, shown.ctx, labels);
      deps.log(`incident for ${f.keyId}: #${u.number} ${u.outcome}`);
      upserts.push(u);
    } catch (e) {
      problems.push(`could not open or update the incident issue for ${f.keyId}: ${(e as Error).message}`);
    }
  }
  return { upserts, problems };
}
