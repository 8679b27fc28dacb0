import type { Verification } from './types.js';

/** Why an AWS call failed, as far as can be told from the response (or its absence). */
export interface AwsFailure {
  /** `aws`: AWS (or something in between) answered; `timeout` / `network`: no answer. */
  kind: 'aws' | 'timeout' | 'network';
  /** The AWS error code from the response body; null when the body carried none. */
  code: string | null;
  httpStatus: number | null;
  message: string;
}

/** What one GetCallerIdentity call, signed with one candidate secret, says about the key. */
export type CandidateVerdict =
  | { status: 'live'; accountId: string; arn: string; userName: string | null }
  | { status: 'invalid'; reason: string; retry: boolean }
  | { status: 'wrong-secret'; reason: string; retry: boolean }
  | { status: 'unknown'; reason: string };

/** What a `wrong-secret` verdict says, wherever it is shown. */
export const WRONG_SECRET_REASON =
  'SignatureDoesNotMatch: key exists and is active; the secret found is not its secret';

/** The IAM user name in an ARN (`arn:aws:iam::1:user/path/name` → name); null for root, roles, sessions. */
export function userNameFromArn(arn: string): string | null {
  const m = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? m[1]! : null;
}

export function isRootArn(arn: string | null): boolean {
  return arn !== null && /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(arn);
}

/**
 * Classifies the outcome of STS GetCallerIdentity signed with a found pair. Every STS quirk lives here.
 *
 * - Success is the only proof of life. GetCallerIdentity needs no permission and no deny can block it, so
 *   even a quarantined key answers.
 * - `InvalidClientTokenId`: AWS does not know the key id, or the key is inactive or deleted. Definitive.
 * - `SignatureDoesNotMatch`: the key exists and is active, the secret is wrong (`wrong-secret`, never
 *   "invalid": the key works for whoever holds its real secret). But two calls within ~5 s for the same
 *   key id with different secrets can make a correct one fail this way too, so the caller retries once
 *   after a pause (`retry: true`) before believing it.
 * - `ExpiredToken`: a temporary key whose session has ended: no longer usable.
 * - Anything else is "could not tell": timeouts, network errors, 5xx, throttling, and above all a 403
 *   that carries no AWS error code — a proxy or firewall refusing the request says nothing about the
 *   key (trufflehog's users saw such keys reported as invalid).
 */
export function classifyCallerIdentity(
  outcome: { ok: true; account: string; arn: string } | { ok: false; failure: AwsFailure },
): CandidateVerdict {
  if (outcome.ok) {
    return {
      status: 'live',
      accountId: outcome.account,
      arn: outcome.arn,
      userName: userNameFromArn(outcome.arn),
    };
  }
  const f = outcome.failure;
  if (f.kind === 'timeout') return { status: 'unknown', reason: `STS timed out: ${f.message}` };
  if (f.kind === 'network') return { status: 'unknown', reason: `network error reaching STS: ${f.message}` };
  switch (f.code) {
    case 'InvalidClientTokenId':
      return {
        status: 'invalid',
        reason: 'InvalidClientTokenId: the key id is unknown, inactive or deleted',
        retry: false,
      };
    case 'SignatureDoesNotMatch':
      return {
        status: 'wrong-secret',
        reason: WRONG_SECRET_REASON,
        retry: true,
      };
    case 'ExpiredToken':
      return {
        status: 'invalid',
        reason: 'ExpiredToken: the temporary credentials have expired',
        retry: false,
      };
    case null:
      return {
        status: 'unknown',
        reason: `HTTP ${f.httpStatus ?? '?'} without an AWS error code (a proxy or firewall, not AWS)`,
      };
    default:
      if (/Throttl|RequestLimitExceeded|TooManyRequests/.test(f.code)) {
        return { status: 'unknown', reason: `STS throttled the call (${f.code})` };
      }
      return {
        status: 'unknown',
        reason: `STS answered ${f.code}${f.httpStatus ? ` (HTTP ${f.httpStatus})` : ''}`,
      };
  }
}

/**
 * One verdict for a key id from the verdicts of its candidates, tried in order: any live candidate makes
 * the key live; otherwise one that could not be told makes the whole key unknown (the untested secret
 * might be the right one); a SignatureDoesNotMatch proves the key exists and is active (`wrong-secret`,
 * whatever the other candidates got); only when every candidate was refused otherwise is the key invalid.
 */
export function combineCandidates(verdicts: CandidateVerdict[]): Verification {
  const live = verdicts.find((v) => v.status === 'live');
  if (live && live.status === 'live') {
    return {
      status: 'live',
      reason: null,
      accountId: live.accountId,
      arn: live.arn,
      userName: live.userName,
    };
  }
  const unknown = verdicts.find((v) => v.status === 'unknown');
  if (unknown)
    return { status: 'unknown', reason: unknown.reason, accountId: null, arn: null, userName: null };
  const wrong = verdicts.find((v) => v.status === 'wrong-secret');
  if (wrong) {
    const n = verdicts.filter((v) => v.status === 'wrong-secret').length;
    return {
      status: 'wrong-secret',
      reason: n > 1 ? `${n} candidate secrets: ${WRONG_SECRET_REASON}` : WRONG_SECRET_REASON,
      accountId: null,
      arn: null,
      userName: null,
    };
  }
  const invalid = verdicts.find((v) => v.status === 'invalid');
  if (!invalid) {
    return { status: 'skipped', reason: 'no secret found', accountId: null, arn: null, userName: null };
  }
  const reasons = [...new Set(verdicts.map((v) => (v.status === 'invalid' ? v.reason : '')))];
  return {
    status: 'invalid',
    reason:
      verdicts.length > 1
        ? `${verdicts.length} candidate secrets refused: ${reasons.join('; ')}`
        : reasons[0]!,
    accountId: null,
    arn: null,
    userName: null,
  };
}
