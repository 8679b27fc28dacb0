import { INCIDENT_LABEL, type IncidentIssue } from '../adapters/github.js';
import { mayRespond } from '../core/permissions.js';
import { UsageError } from '../core/errors.js';
import { readState, stateId, unionLocations, type IncidentState } from '../core/incident.js';
import { incidentId, isSecretFingerprint, refusalTag } from '../core/incident-wire.js';
import { accountIdFromKeyId, isCanaryAccount, keyKind } from '../core/keyid.js';
import { fingerprintKeyId } from '../core/redact.js';
import type { Finding, LoneSecret } from '../core/types.js';
import { scanHistory } from '../scan/history.js';
import type { ScanResult } from '../scan/result.js';
import { refreshRepositoryIncidents } from './incidents.js';
import { emptyReport } from '../scan/result.js';
import type { FlowDeps, FlowResult, Responded } from './ports.js';

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

/** An issue as the provenance check reads it. */
interface IssueFacts {
  author: string;
  labels: string[];
  body: string;
}

/**
 * Why an issue is not an incident keyleak made, or null when it is: it carries the keyleak label, was
 * opened by the token's own identity (`ownLogin`; null for an App installation token, whose issues are
 * opened by a `[bot]` user), and its marker and state name the same key (or the same lone secret's
 * fingerprint). Anyone can open an issue with a copied marker; only keyleak opens one with all of these.
 * Pure.
 */
export function whyNotOurs(issue: IssueFacts, ownLogin: string | null): string | null {
  const id = incidentId(issue.body);
  if (!id) return 'it carries no keyleak incident marker';
  if (!issue.labels.includes(INCIDENT_LABEL)) return `it is not labelled ${INCIDENT_LABEL}`;
  const byUs = ownLogin === null ? issue.author.endsWith('[bot]') : issue.author === ownLogin;
  if (!byUs) return 'keyleak did not open it';
  const state = readState(issue.body);
  if (!state || stateId(state) !== id) return 'its state does not match its marker';
  return null;
}

/**
 * `/rescan` and `/deactivate` on an incident issue. They act only on incidents keyleak made (see
 * `whyNotOurs`), for commenters with write, maintain or admin permission (asked of the API), and for a
 * key found again in this repository's history or listed in the incident's own record. Anything else
 * triggers no AWS call and gets at most one reply per user and issue. An allowed rescan re-verifies the
 * key, summarises its CloudTrail since first exposure, and refreshes the incident as a push would.
 * `/deactivate` contains a key a dry run left alone.
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
  if (!incidentId(issue.body))
    return idle(`Issue #${ev.issueNumber} is not a keyleak incident: nothing to do.`);
  const ownLogin = await github.ownLogin();

  /** Replies once per user and issue; a second refused command from the same user gets no comment. */
  const refuse = async (reply: string, note: string): Promise<FlowResult> => {
    const tag = refusalTag(ev.user);
    const ours = (author: string) => (ownLogin === null ? author.endsWith('[bot]') : author === ownLogin);
    const earlier = await github.comments(issueRepo, ev.issueNumber);
    if (!earlier.some((c) => ours(c.author) && c.body.includes(tag)))
      await github.commentIncident(issueRepo, ev.issueNumber, `${reply}\n\n${tag}`);
    return idle(note);
  };

  const notOurs = whyNotOurs(issue, ownLogin);
  if (notOurs) {
    return refuse(
      `\`/${ev.command}\` acts only on incident issues keyleak opened; ${notOurs}. Nothing was done.`,
      `/${ev.command} on #${ev.issueNumber} ignored: ${notOurs}.`,
    );
  }
  const keyId = incidentId(issue.body)!;

  const permission = await github.permissionOf(issueRepo, ev.user);
  if (!mayRespond(permission)) {
    return refuse(
      `@${ev.user} \`/${ev.command}\` needs write, maintain or admin permission on this repository (yours: ${permission}). Nothing was done.`,
      `/${ev.command} by @${ev.user} refused: permission ${permission}.`,
    );
  }
  await github.reactTo(issueRepo, ev.commentId, 'eyes');

  const before = readState(issue.body);
  if (isSecretFingerprint(keyId)) {
    if (ev.command === 'deactivate') {
      await github.commentIncident(
        issueRepo,
        ev.issueNumber,
        `@${ev.user} \`/deactivate\` needs a key id, and this secret was found without one: find the key in IAM and rotate it as the runbook says. Nothing was done.`,
      );
      return idle(
        `/deactivate by @${ev.user}: a secret without its key id cannot be deactivated by keyleak.`,
      );
    }
    return rescanLoneSecret(deps, ev, issue, keyId, before);
  }
  if (ev.command === 'deactivate' && before?.action !== 'dry-run') {
    await github.commentIncident(
      issueRepo,
      ev.issueNumber,
      `@${ev.user} \`/deactivate\` contains keys a dry run left alone; this incident's containment is **${before?.action ?? 'nothing'}**. Nothing was done.`,
    );
    return idle(`/deactivate by @${ev.user}: the incident is not a dry run.`);
  }

  // The secret lives in the history, not in the issue: scan the checkout again to find it.
  const result = await scanWholeHistory(deps, 'to find the key again');
  const found = result.report.findings.find((f) => f.keyId === keyId);
  // A key neither in this history nor in the incident's own record is not one keyleak found here.
  if (!found && (before?.locations.length ?? 0) === 0) {
    return refuse(
      `\`/${ev.command}\`: key ${keyId} is neither in this repository's history nor in this incident's record. Nothing was done.`,
      `/${ev.command} on #${ev.issueNumber} ignored: ${keyId} is not in this repository's history.`,
    );
  }
  const finding: Finding = found
    ? { ...found, locations: unionLocations(before?.locations ?? [], found.locations) }
    : findingFromState(keyId, before?.locations ?? [], deps.config.canaryAccounts);
  // No `since`: the summary covers the whole window since first exposure, so it holds everything the
  // earlier one did (an attacker's IPs included) and the refresher can replace it.
  const responded = await deps.responder.respond(
    { report: { ...result.report, findings: [finding] }, secrets: result.secrets },
    {
      keyIds: [keyId],
      containment: ev.command === 'deactivate' ? { deactivate: true, dryRun: false } : undefined,
    },
  );
  const { upserts, problems } = await refreshRepositoryIncidents(
    deps,
    {
      ...responded,
      // This incident's key alone: the history's other keys and lone secrets have incidents of their own.
      report: {
        ...responded.report,
        findings: responded.report.findings.filter((f) => f.keyId === keyId),
        loneSecrets: [],
      },
    },
    { secrets: result.secrets },
    {
      existing: issue,
      announce: {
        head: `\`/${ev.command}\` by @${ev.user}: keyleak checked the key again.`,
        quiet: 'Nothing changed since the last check.',
      },
    },
  );
  return {
    report: responded.report,
    issues: [ev.issueNumber],
    notes: [
      `/${ev.command} by @${ev.user} on #${ev.issueNumber}: ${upserts.length > 0 ? upserts[0]!.outcome : 'not refreshed'}.`,
    ],
    problems,
  };
}

/**
 * `/rescan` on the incident of a secret found without its key id: the history is scanned again and the
 * incident says whether the secret is still in it. Nothing is verified or contained (keyleak cannot tell
 * which key the secret is), so no AWS call is made.
 */
async function rescanLoneSecret(
  deps: FlowDeps,
  ev: CommentEvent,
  issue: IncidentIssue,
  fingerprint: string,
  before: IncidentState | null,
): Promise<FlowResult> {
  const result = await scanWholeHistory(deps, 'to find the secret again');
  const found = (result.report.loneSecrets ?? []).find((s) => s.fingerprint === fingerprint);
  const n = found?.locations.length ?? 0;
  const secret: LoneSecret = found
    ? { ...found, locations: unionLocations(before?.locations ?? [], found.locations) }
    : { fingerprint, secretRedacted: before?.secretRedacted ?? '', locations: before?.locations ?? [] };
  const responded: Responded = {
    report: { ...result.report, findings: [], loneSecrets: [secret] },
    trails: new Map(),
    notes: new Map(),
  };
  const { upserts, problems } = await refreshRepositoryIncidents(
    deps,
    responded,
    { secrets: result.secrets },
    {
      existing: issue,
      announce: {
        head: found
          ? `\`/${ev.command}\` by @${ev.user}: keyleak scanned the history again; the secret is still in it (${n} place${n === 1 ? '' : 's'}). It cannot be verified without its key id.`
          : `\`/${ev.command}\` by @${ev.user}: keyleak scanned the history again; the secret is no longer in this repository's branches and tags. Clones, forks and caches keep it: rotate the key all the same.`,
        quiet: 'Nothing else changed since the last check.',
      },
    },
  );
  return {
    report: { ...result.report, findings: [], loneSecrets: found ? [secret] : [] },
    issues: [ev.issueNumber],
    notes: [
      `/${ev.command} by @${ev.user} on #${ev.issueNumber}: the secret is ${found ? 'still' : 'no longer'} in the history; ${upserts.length > 0 ? upserts[0]!.outcome : 'not refreshed'}.`,
    ],
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

/** The whole history, fetched and scanned again, its secrets masked: an incident's secret lives there. */
async function scanWholeHistory(deps: FlowDeps, why: string): Promise<ScanResult> {
  await deps.git.fetchWholeHistory(why, deps.log);
  const result = await scanHistory(
    deps.git,
    { mode: 'all', remotes: true },
    { config: deps.config, jobs: deps.jobs },
  );
  deps.mask(result.secrets);
  return result;
}
