import type { AwsFailure } from '../core/verdict.js';

// Kept apart from the SDK clients in aws.ts so that code which only inspects failures does not load them.

/** Why an AWS call failed, in the terms a responder acts on. */
export type AwsFailureClass =
  'no-credentials' | 'credentials' | 'access-denied' | 'throttled' | 'server' | 'network' | 'request';

const CREDENTIAL_CODES = new Set([
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidAccessKeyId',
  'InvalidSecurity',
  'UnrecognizedClientException',
  'AuthFailure',
  'MissingAuthenticationToken',
  'InvalidToken',
  'TokenRefreshRequired',
]);
const DENIED_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'UnauthorizedAccess',
  'Forbidden',
]);
const THROTTLE = /Throttl|RequestLimitExceeded|TooManyRequests|SlowDown|PriorRequestNotComplete/;
const SERVER = /^(InternalFailure|InternalError|InternalServerError|ServiceUnavailable|ServiceFailure)/;

/** Sorts a failure into the classes the issue and the summary name. */
export function classifyFailure(f: AwsFailure): AwsFailureClass {
  if (f.kind !== 'aws') return 'network';
  const code = f.code ?? '';
  // The SDK's own error when the default chain found nothing: keyleak was given no responder at all.
  if (code === 'CredentialsProviderError') return 'no-credentials';
  if (CREDENTIAL_CODES.has(code)) return 'credentials';
  if (DENIED_CODES.has(code)) return 'access-denied';
  if (THROTTLE.test(code) || f.httpStatus === 429) return 'throttled';
  if (SERVER.test(code) || (f.httpStatus !== null && f.httpStatus >= 500)) return 'server';
  if (f.httpStatus === 403) return 'access-denied';
  return 'request';
}

const WORDS: Record<AwsFailureClass, string> = {
  'no-credentials': 'no AWS credentials were available',
  credentials: 'the credentials are invalid or expired',
  'access-denied': 'access denied',
  throttled: 'throttled by AWS',
  server: 'AWS server error',
  network: 'no answer from AWS',
  request: 'AWS refused the request',
};

/**
 * The failure in words: its class, then the AWS error code or HTTP status that decided it. AWS's own
 * message is left out: it can quote ARNs and policy text, and it is not what a responder acts on.
 */
export function describeFailure(f: AwsFailure): string {
  const cls = classifyFailure(f);
  if (f.kind === 'timeout') return `${WORDS.network} (timed out)`;
  if (f.kind === 'network')
    return `${WORDS.network} (network error${/^E[A-Z_]+$/.test(f.message) ? ` ${f.message}` : ''})`;
  const code = f.code ?? (f.httpStatus !== null ? `HTTP ${f.httpStatus}` : 'no error code');
  return `${WORDS[cls]} (${code})`;
}

/** An AWS call that failed, with what is known about why. */
export class AwsCallError extends Error {
  override name = 'AwsCallError';
  readonly failureClass: AwsFailureClass;
  constructor(
    readonly operation: string,
    readonly failure: AwsFailure,
  ) {
    super(`${operation} failed: ${describeFailure(failure)}`);
    this.failureClass = classifyFailure(failure);
  }
}
