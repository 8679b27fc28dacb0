import type { Finding, KeyIamState, ResponseAction, Verification } from './types.js';
import { isRootArn } from './verdict.js';

/** What the person running keyleak asked for. */
export interface ContainmentOptions {
  deactivate: boolean;
  dryRun: boolean;
  revokeSessions: boolean;
}

export interface ContainmentInput {
  finding: Finding;
  verification: Verification;
  /** The key's account is one keyleak may change. */
  managed: boolean;
  /** No responder credentials are configured at all, so nobody could decide or act. */
  noResponder?: boolean;
  /** The account the key belongs to, when known (from STS, else decoded offline). */
  accountId: string | null;
  /** IAM's view of the key, when it could be read; null when it was not or could not be. */
  iam: KeyIamState | null;
  /** Why IAM could not be read, or why no responder exists for the account; null when it could. */
  responderProblem: { message: string; accessDenied: boolean } | null;
  options: ContainmentOptions;
  /** The instant sessions would be revoked before (ISO). */
  now: string;
}

/** The decision: a final action, or `deactivate` (perform IAM UpdateAccessKey, then report). */
export interface ContainmentPlan {
  action: ResponseAction | 'deactivate';
  detail: string;
  userName: string | null;
  /** Also attach the session-revoking deny policy (only when the user name is known). */
  revokeSessions: boolean;
}

const QUARANTINE_PREFIX = 'AWSCompromisedKeyQuarantine';

export function isQuarantinePolicy(name: string): boolean {
  return name.startsWith(QUARANTINE_PREFIX);
}

function deactivateCommand(keyId: string, userName: string | null): string {
  return `aws iam update-access-key --access-key-id ${keyId} --status Inactive --user-name ${userName ?? '<USER>'}`;
}

function quarantineNote(iam: KeyIamState | null): string {
  if (!iam || iam.quarantinePolicies.length === 0) return '';
  return ` AWS has already attached ${iam.quarantinePolicies.join(', ')} to the user: the key is quarantined but still live.`;
}

/**
 * Decides what to do about one finding. Pure: the caller performs the plan. Nothing changes unless the key
 * is proven live, long-term, not root, in a managed account, active in IAM, and `--deactivate` was given
 * without `--dry-run`.
 */
export function planContainment(input: ContainmentInput): ContainmentPlan {
  const { finding: f, verification: v, options: o, iam } = input;
  const none = (detail: string): ContainmentPlan => ({
    action: 'none',
    detail,
    userName: null,
    revokeSessions: false,
  });
  if (v.status === 'skipped') {
    if (f.canary)
      return none('canary token: not verified (calling STS would trip its alert); nothing was changed.');
    return none(
      `${v.reason ?? 'not verified'}: not deactivated automatically. Without the secret nobody can use the key, and turning off a working key breaks its owner; rotate it if the secret may be elsewhere.`,
    );
  }
  if (v.status === 'invalid') return none(`not usable (${v.reason}); nothing to contain.`);
  if (v.status === 'wrong-secret') {
    return none(
      `the key exists and is active, but the secret found is not its secret (STS: SignatureDoesNotMatch, after a retry): not deactivated automatically, since nobody here can use it and turning off a working key breaks its owner. Its real secret may be elsewhere: find the owner (aws iam get-access-key-last-used --access-key-id ${f.keyId}), rotate the key and then deactivate it (aws iam update-access-key --access-key-id ${f.keyId} --status Inactive --user-name USER).`,
    );
  }
  if (v.status === 'unknown') {
    return none(
      `could not tell whether the key is live (${v.reason}); nothing was changed. Verify again, or check it in IAM: aws iam get-access-key-last-used --access-key-id ${f.keyId}`,
    );
  }
  // live from here on.
  const account = input.accountId ?? 'unknown';
  if (!input.managed && input.noResponder) {
    return {
      action: 'no-responder',
      detail: `live key of account ${account}; nothing was done: no responder credentials configured. To contain keys automatically, give the job AWS credentials for a responder role (aws-actions/configure-aws-credentials, see "AWS responder role" in keyleak's README) and set deactivate: true. Until then, ask the account owner to deactivate it: ${deactivateCommand(f.keyId, v.userName)}, and review its CloudTrail activity.`,
      userName: v.userName,
      revokeSessions: false,
    };
  }
  if (!input.managed) {
    return {
      action: 'not-managed',
      detail: `live key of account ${account}, which keyleak does not manage: nothing was changed. Ask the account owner to deactivate it (${deactivateCommand(f.keyId, v.userName)}) and review its CloudTrail activity; if the owner is unknown, report it to AWS (aws-security@amazon.com).`,
      userName: v.userName,
      revokeSessions: false,
    };
  }
  if (f.keyKind === 'temporary') {
    return {
      action: 'manual',
      detail: `live temporary credentials (${v.arn}): they cannot be deactivated and expire on their own. Revoke the sessions of the role or user that issued them (deny on aws:TokenIssueTime) and find and deactivate the key they were minted from.`,
      userName: null,
      revokeSessions: false,
    };
  }
  if (isRootArn(v.arn)) {
    return {
      action: 'manual',
      detail: `live root user access key of account ${account}: only the root user can deactivate it. Sign in as root, open Security credentials, deactivate the key, then delete it; root should have no access keys.`,
      userName: null,
      revokeSessions: false,
    };
  }
  const userName = iam?.userName ?? v.userName;
  const q = quarantineNote(iam);
  if (input.responderProblem) {
    const how = deactivateCommand(f.keyId, userName);
    return input.responderProblem.accessDenied
      ? {
          action: 'manual',
          detail: `the responder may not do this (${input.responderProblem.message}). A person with iam:UpdateAccessKey in account ${account} must run: ${how}.${q}`,
          userName,
          revokeSessions: false,
        }
      : {
          action: 'failed',
          detail: `could not read the key in IAM (${input.responderProblem.message}); nothing was changed. Deactivate it by hand: ${how}.${q}`,
          userName,
          revokeSessions: false,
        };
  }
  if (!userName) {
    return {
      action: 'manual',
      detail: `IAM did not name the key's user; deactivate it by hand: ${deactivateCommand(f.keyId, null)}.${q}`,
      userName: null,
      revokeSessions: false,
    };
  }
  const revoke = o.revokeSessions;
  const revokeText = revoke
    ? ` and deny the user's sessions by attaching the keyleak-revoke-sessions managed policy (a deny on aws:TokenIssueTime)`
    : '';
  if (iam?.status === 'Inactive') {
    return {
      action: 'already-inactive',
      detail: `IAM shows the key of user ${userName} inactive already; no deactivation call was made.${q}`,
      userName,
      revokeSessions: revoke && o.deactivate && !o.dryRun,
    };
  }
  if (o.dryRun) {
    return {
      action: 'dry-run',
      detail: `would deactivate the key of user ${userName} in account ${account} with iam:UpdateAccessKey (Status=Inactive)${revokeText}; nothing was changed.${q}`,
      userName,
      revokeSessions: false,
    };
  }
  if (!o.deactivate) {
    return {
      action: 'manual',
      detail: `live key of user ${userName} in account ${account}; deactivation was not requested (--deactivate). Deactivate it: ${deactivateCommand(f.keyId, userName)}.${q}`,
      userName,
      revokeSessions: false,
    };
  }
  return {
    action: 'deactivate',
    detail: `deactivate the key of user ${userName} in account ${account}${revokeText}.${q}`,
    userName,
    revokeSessions: revoke,
  };
}
