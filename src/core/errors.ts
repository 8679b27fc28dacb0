/** A problem with what the user asked for (flags, revisions, config): exit code 2, message only. */
export class UsageError extends Error {
  override name = 'UsageError';
}
