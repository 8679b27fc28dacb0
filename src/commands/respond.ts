import { AwsCallError } from '../adapters/aws-errors.js';
import type { AccountSession, Aws } from '../adapters/aws.js';
import { isQuarantinePolicy, planContainment, type ContainmentOptions } from '../core/containment.js';
import type { Finding, KeyIamState, KeyResponse, ScanReport, Verification } from '../core/types.js';
import {
  classifyCallerIdentity,
  combineCandidates,
  isRootArn,
  type CandidateVerdict,
} from '../core/verdict.js';
import { redactSecret } from '../core/redact.js';
import type { ScanResult } from '../scan/result.js';
import { AccountSessions } from './sessions.js';

/** What `--verify` and its companions asked for. */
export interface RespondSettings extends ContainmentOptions {
  /** Role to assume in a key's account, `{accountId}` standing for it; null: use the responder's own account. */
  roleTemplate: string | null;
  /** Accounts keyleak may change; null: the responder credentials' own account. */
  managedAccounts: string[] | null;
}

export interface RespondDeps {
  aws: Aws;
  /** Pause before retrying a SignatureDoesNotMatch once (STS answers it to a second secret within ~5 s). */
  signatureRetryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Progress lines for people (stderr); never given a secret. */
  log?: (line: string) => void;
  /** The run's sessions, when the caller shares them (one AssumeRole per account per run). */
  sessions?: AccountSessions;
}

export const SIGNATURE_RETRY_DELAY_MS = 6_000;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function denied(e: unknown): boolean {
  return e instanceof AwsCallError && e.failureClass === 'access-denied';
}

/**
 * The SDK found no credentials in any of its providers: nobody configured a responder, which is a setup
 * step to explain, not a failure to show as SDK text.
 */
function noCredentials(e: unknown): boolean {
  if (e instanceof AwsCallError) return e.failureClass === 'no-credentials';
  return (e as { name?: string } | null)?.name === 'CredentialsProviderError';
}

function message(e: unknown): string {
  return e instanceof AwsCallError ? e.message : e instanceof Error ? e.message : String(e);
}

/**
 * Verifies each finding with STS, then decides and performs containment. Candidate secrets of a key are
 * tried one after another; the leaked pair is used for GetCallerIdentity only; every change is made with
 * the responder's credentials, in managed accounts, for keys proven live. Returns the report with
 * `verification` and `response` set on every finding.
 */
export async function respond(
  result: ScanResult,
  s: RespondSettings,
  deps: RespondDeps,
): Promise<ScanReport> {
  const { aws } = deps;
  const sleep = deps.sleep ?? sleepFor;
  const delay = deps.signatureRetryDelayMs ?? SIGNATURE_RETRY_DELAY_MS;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => {});

  const sessions = deps.sessions ?? new AccountSessions(aws, s.roleTemplate);

  async function managed(
    accountId: string | null,
  ): Promise<{ managed: boolean; note: string | null; noResponder?: boolean }> {
    if (accountId === null) return { managed: false, note: 'the account could not be determined' };
    if (s.managedAccounts !== null) return { managed: s.managedAccounts.includes(accountId), note: null };
    const r = await sessions.ownSession();
    if (!r.ok) {
      if (noCredentials(r.error)) return { managed: false, note: null, noResponder: true };
      // Responder credentials that fail (revoked, expired, denied, unreachable) are a failure to contain,
      // never "not managed": the key is taken as managed so that the failure is reported as such.
      return { managed: true, note: null };
    }
    return { managed: r.value.accountId === accountId, note: null };
  }

  async function readIam(r: AccountSession, keyId: string): Promise<KeyIamState> {
    const state = await r.keyStatus(keyId);
    const policies =
      state.userName && state.userName !== 'root' ? await r.attachedPolicies(state.userName) : [];
    return {
      userName: state.userName,
      status: state.status,
      lastUsedDate: state.lastUsed?.date ?? null,
      lastUsedService: state.lastUsed?.service ?? null,
      lastUsedRegion: state.lastUsed?.region ?? null,
      quarantinePolicies: policies.filter(isQuarantinePolicy),
    };
  }

  async function verify(f: Finding): Promise<Verification> {
    const blank = { accountId: f.accountId, arn: null, userName: null };
    if (f.canary) {
      return { status: 'skipped', reason: 'canary token account: never verified with STS', ...blank };
    }
    const material = result.secrets.get(f.keyId);
    if (!material || material.secrets.length === 0) {
      return { status: 'skipped', reason: 'no secret found', ...blank };
    }
    const tokens: (string | null)[] = f.keyKind === 'temporary' ? material.sessionTokens : [null];
    if (tokens.length === 0) {
      return { status: 'skipped', reason: 'temporary key found without its session token', ...blank };
    }
    const verdicts: CandidateVerdict[] = [];
    // One candidate after another, never in parallel: STS misreports parallel or quick successive tries.
    for (const secret of material.secrets) {
      for (const sessionToken of tokens) {
        const pair = { keyId: f.keyId, secret, sessionToken };
        let v = classifyCallerIdentity(await aws.callerIdentity(pair));
        if (v.status === 'wrong-secret' && v.retry) {
          await sleep(delay);
          v = classifyCallerIdentity(await aws.callerIdentity(pair));
        }
        verdicts.push(v);
        if (v.status === 'live') {
          // From here on this secret, and only it, is the key's: the incident, the redacted form and
          // the history rewrite use it.
          material.verified = secret;
          return combineCandidates(verdicts);
        }
      }
    }
    const combined = combineCandidates(verdicts);
    return { ...combined, accountId: combined.accountId ?? f.accountId };
  }

  const findings: Finding[] = [];
  for (const f of result.report.findings) {
    let verification = await verify(f);
    const accountId = verification.accountId ?? f.accountId;
    log(`${f.keyId}: ${verification.status}${verification.reason ? ` (${verification.reason})` : ''}`);

    let iam: KeyIamState | null = null;
    let responderProblem: { message: string; accessDenied: boolean } | null = null;
    let isManaged = false;
    let managedNote: string | null = null;
    let noResponder = false;
    const wantsIam =
      (verification.status === 'live' && f.keyKind === 'long-term' && !isRootArn(verification.arn)) ||
      (idOnly(verification) && !f.canary && f.keyKind === 'long-term');
    if (verification.status === 'live' || (idOnly(verification) && !f.canary)) {
      const m = await managed(accountId);
      ({ managed: isManaged, note: managedNote } = m);
      noResponder = m.noResponder === true;
    }
    let session: AccountSession | null = null;
    if (isManaged && wantsIam && accountId !== null) {
      const r = await sessions.sessionFor(accountId);
      if (!r.ok) responderProblem = { message: message(r.error), accessDenied: denied(r.error) };
      else {
        session = r.value;
        try {
          iam = await readIam(session, f.keyId);
        } catch (e) {
          responderProblem = { message: message(e), accessDenied: denied(e) };
        }
      }
      if (iam) verification = { ...verification, iam };
    }

    const at = now();
    const plan = planContainment({
      finding: f,
      verification,
      managed: isManaged,
      noResponder,
      accountId,
      iam,
      responderProblem: verification.status === 'live' ? responderProblem : null,
      options: s,
      now: at.toISOString(),
    });
    let response: KeyResponse;
    let deactivateDenied = false;
    let revokeFailed: string | null = null;
    if (plan.action === 'deactivate') {
      try {
        await session!.deactivateKey(f.keyId, plan.userName!);
        response = {
          action: 'deactivated',
          // Not plan.detail: that is the instruction ("deactivate the key…"), which reads as still to do.
          detail: `deactivated with iam:UpdateAccessKey (Status=Inactive, UserName=${plan.userName}) as ${session!.arn}.${
            iam && iam.quarantinePolicies.length > 0
              ? ` AWS had already attached ${iam.quarantinePolicies.join(', ')} to the user.`
              : ''
          }`,
          at: now().toISOString(),
        };
      } catch (e) {
        deactivateDenied = denied(e);
        response = denied(e)
          ? {
              action: 'manual',
              detail: `the responder may not deactivate it (${message(e)}). A person with iam:UpdateAccessKey in account ${accountId} must run: aws iam update-access-key --access-key-id ${f.keyId} --status Inactive --user-name ${plan.userName}`,
              at: now().toISOString(),
            }
          : { action: 'failed', detail: `deactivation failed: ${message(e)}`, at: now().toISOString() };
      }
    } else {
      let detail = plan.detail;
      if (plan.action === 'not-managed' && managedNote) detail += ` (${managedNote})`;
      response = { action: plan.action, detail, at: at.toISOString() };
    }
    if (
      plan.revokeSessions &&
      session &&
      plan.userName &&
      response.action !== 'failed' &&
      response.action !== 'manual'
    ) {
      try {
        const arn = await session.revokeSessions(plan.userName);
        response.detail += ` Sessions minted from the user's keys denied (managed policy ${arn} attached to user ${plan.userName}).`;
      } catch (e) {
        revokeFailed = message(e);
        response.detail += ` Revoking sessions failed: ${message(e)}.`;
      }
    }
    if (idOnly(verification) && iam) {
      response.detail += ` IAM: user ${iam.userName ?? 'unknown'}, status ${iam.status ?? 'unknown'}, last used ${iam.lastUsedDate ?? 'never'}${iam.lastUsedService ? ` (${iam.lastUsedService} in ${iam.lastUsedRegion})` : ''}.`;
    } else if (idOnly(verification) && responderProblem) {
      response.detail += ` IAM could not be read: ${responderProblem.message}.`;
    }
    const errors: string[] = [];
    if (
      response.action === 'failed' ||
      (response.action === 'manual' && (responderProblem || deactivateDenied))
    )
      errors.push(`containment of ${f.keyId} could not be done: ${response.detail}`);
    if (revokeFailed) errors.push(`revoking the sessions of ${f.keyId} failed: ${revokeFailed}`);
    if (verification.status === 'skipped' && responderProblem)
      errors.push(`IAM could not be read for ${f.keyId}: ${responderProblem.message}`);
    if (errors.length > 0) response.errors = errors;
    log(`${f.keyId}: ${response.action}`);
    const material = result.secrets.get(f.keyId);
    const secretRedacted = material?.verified ? redactSecret(material.verified) : f.secretRedacted;
    findings.push({ ...f, secretRedacted, verification, response });
  }
  return { ...result.report, findings };
}

/**
 * Keys handled like a key id found without its secret: nobody here can use them, so they are never
 * deactivated automatically; in a managed account IAM is asked about them and the responder told how.
 */
function idOnly(v: Verification): boolean {
  return v.status === 'skipped' || v.status === 'wrong-secret';
}
