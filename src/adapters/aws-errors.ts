import type { AwsFailure } from '../core/verdict.js';

// Kept apart from the SDK clients in aws.ts so that code which only inspects failures does not load them.

/** An AWS call that failed, with what is known about why. */
export class AwsCallError extends Error {
  override name = 'AwsCallError';
  constructor(
    readonly operation: string,
    readonly failure: AwsFailure,
  ) {
    super(`${operation} failed: ${describeFailure(failure)}`);
  }
}

export function describeFailure(f: AwsFailure): string {
  if (f.kind === 'timeout') return `timed out (${f.message})`;
  if (f.kind === 'network') return `network error (${f.message})`;
  return `${f.code ?? `HTTP ${f.httpStatus ?? '?'} without an AWS error code`}${f.message ? `: ${f.message}` : ''}`;
}
