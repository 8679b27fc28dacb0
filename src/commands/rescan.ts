import { incidentKeyId, mayRespond } from '../adapters/github.js';
import { fetchOrigin, hasRemote } from '../adapters/git-remote.js';
import { UsageError } from '../core/errors.js';
import {
  carryForward,
  describeChanges,
  mergeIncidentBody,
  readState,
  stateOf,
  unionLocations,
} from '../core/incident.js';
import { accountIdFromKeyId, isCanaryAccount, keyKind } from '../core/keyid.js';
import { fingerprintKeyId } from '../core/redact.js';
import { renderIncidentBody, renderIncidentTitle } from '../core/render/incident.js';
import type { Finding } from '../core/types.js';
import { scanHistory } from '../scan/history.js';
import { changeComment, incidentContext } from './incidents.js';
import { emptyReport } from './push.js';
import type { FlowDeps, FlowResult } from './ports.js';

export type RescanCommand = 'rescan' | 'deactivate';

export interface CommentEvent {
  command: RescanCommand | null;
  issueNumber: number;
  isPullRequest: boolean;
  commentId: number;
  user: string;
}

/** Reads an issue_comment payload. `command` is null when the comment is not addressed to keyleak. Pure. */
export function parseCommentEvent(payload: Record<string, unknown>): CommentEvent {
  const issue = payload.issue as { number?: unknown; pull_request?: unknown } | undefined;
  const comment = payload.comment as { id?: unknown; body?: unknown; user?: { login?: unknown } } | undefined;
  if (!issue || typeof issue.number !== 'number' || !comment || typeof comment.id !== 'number') {
    throw new UsageError('malformed issue_comment event: expected issue.number and comment.id');
  }
  const m = /^\/(rescan|deactivate)(?:\s|$)/.exec(String(comment.body ?? '').trimStart());
  const action = payload.action === undefined || payload.action === 'created';
  return {
    command: m && action ? (m[1] as RescanCommand) : null,
    issueNumber: issue.number,
    isPullRequest: issue.pull_request != null,
    commentId: comment.id,
    user: String(comment.user?.login ?? ''),
  };
}

/**
 * `/rescan` and `/deactivate` on an incident issue. The commenter's permission is asked of the API
 * (write, maintain or admin pass); anyone else gets a reply and triggers no AWS call. An allowed rescan
 * re-verifies the key, refreshes its CloudTrail summary since the last check, rewrites the body while
 * keeping ticked boxes, and comments what changed. `/deactivate` contains a key a dry run left alone.
 */
export async function runRescan(deps: FlowDeps, payload: Record<string, unknown>): Promise<FlowResult> {
  const ev = parseCommentEvent(payload);
  const idle = (why: string): FlowResult => ({
    report: emptyReport(),
    issues: [],
    notes: [why],
    problems: [],
  });
  if (!ev.command) return idle('The comment is not a keyleak command: nothing to do.');
  if (ev.isPullRequest)
    return idle(`/${ev.command} works on incident issues, not on pull requests: nothing to do.`);
  const { github, issueRepo } = deps;
  const issue = await github.getIncident(issueRepo, ev.issueNumber);
  const keyId = incidentKeyId(issue.body);
  if (!keyId) return idle(`Issue #${ev.issueNumber} is not a keyleak incident: nothing to do.`);

  const permission = await github.permissionOf(issueRepo, ev.user);
  if (!mayRespond(permission)) {
    await github.commentIncident(
      issueRepo,
      ev.issueNumber,
      `@${ev.user} \`/${ev.command}\` needs write, maintain or admin permission on this repository (yours: ${permission}). Nothing was done.`,
    );
    return idle(`/${ev.command} by @${ev.user} refused: permission ${permission}.`);
  }
  await github.reactTo(issueRepo, ev.commentId, 'eyes');

  const before = readState(issue.body);
  if (ev.command === 'deactivate' && before?.action !== 'dry-run') {
    await github.commentIncident(
      issueRepo,
      ev.issueNumber,
      `@${ev.user} \`/deactivate\` contains keys a dry run left alone; this incident's containment is **${before?.action ?? 'nothing'}**. Nothing was done.`,
    );
    return idle(`/deactivate by @${ev.user}: the incident is not a dry run.`);
  }

  // The secret lives in the history, not in the issue: scan the checkout again to find it.
  if (await deps.git.isShallow()) {
    if (!(await hasRemote(deps.git)))
      throw new Error(
        'the checkout is shallow and has no origin to deepen it from. Use fetch-depth: 0 on actions/checkout.',
      );
    deps.log('the checkout is shallow: fetching the whole history to find the key again');
    await fetchOrigin(deps.git, ['--unshallow', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  }
  const head = await deps.git.run(['rev-parse', '--verify', '--quiet', 'HEAD']).then(
    () => ['HEAD'],
    () => [],
  );
  const result = await scanHistory(
    deps.git,
    { mode: 'all', include: ['--branches', '--remotes', '--tags', ...head], exclude: [] },
    { config: deps.config, jobs: deps.jobs },
  );
  deps.mask(result.secrets);
  const found = result.report.findings.find((f) => f.keyId === keyId);
  const finding: Finding = found
    ? { ...found, locations: unionLocations(before?.locations ?? [], found.locations) }
    : findingFromState(keyId, before?.locations ?? [], deps.config.canaryAccounts);
  const since = before?.trail?.end ?? before?.checkedAt;
  const responded = await deps.responder.respond(
    { report: { ...result.report, findings: [finding] }, secrets: result.secrets },
    {
      keyIds: [keyId],
      since: since ? new Map([[keyId, since]]) : undefined,
      containment: ev.command === 'deactivate' ? { deactivate: true, dryRun: false } : undefined,
    },
  );
  // What the responder could not say again (no credentials this time) is kept from the last check.
  const refreshed = carryForward(responded.report.findings.find((f) => f.keyId === keyId) ?? finding, before);
  const problems: string[] = [];
  let artifactUrl: string | null = null;
  if (responded.trails.size > 0) {
    artifactUrl = await deps.uploadTrails(responded.trails).catch((e: Error) => {
      problems.push(`could not upload trail.json: ${e.message}`);
      return null;
    });
  }
  const ctx = await incidentContext(deps, refreshed, responded, { trailArtifactUrl: artifactUrl });
  const body = mergeIncidentBody(issue.body, renderIncidentBody(refreshed, ctx));
  await github.updateIncident(issueRepo, ev.issueNumber, { title: renderIncidentTitle(refreshed), body });
  const changes = describeChanges(before, stateOf(refreshed, ctx.trail, ctx.checkedAt));
  await github.commentIncident(
    issueRepo,
    ev.issueNumber,
    changeComment(
      `\`/${ev.command}\` by @${ev.user}: keyleak checked the key again.`,
      changes.length > 0 ? changes : ['Nothing changed since the last check.'],
      deps.runUrl,
    ),
  );
  return {
    report: responded.report,
    issues: [ev.issueNumber],
    notes: [`/${ev.command} by @${ev.user} on #${ev.issueNumber}: ${changes.length} change(s).`],
    problems,
  };
}

/** The finding an incident describes, rebuilt from its state when the key is no longer in this history. */
function findingFromState(
  keyId: string,
  locations: Finding['locations'],
  canaries: ReadonlySet<string>,
): Finding {
  const accountId = accountIdFromKeyId(keyId);
  return {
    keyId,
    keyKind: keyKind(keyId),
    accountId,
    canary: isCanaryAccount(accountId, canaries),
    secretFound: false,
    secretRedacted: null,
    sessionTokenFound: false,
    fingerprint: fingerprintKeyId(keyId),
    locations,
  };
}
