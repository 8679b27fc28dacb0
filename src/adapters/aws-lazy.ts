import type { Aws } from './aws.js';

/**
 * The AWS adapter, loaded on its first call. The SDK is most of the action's size and start-up time and
 * many runs (no key found, `verify: false`) never call AWS; the CLI loads it the same way.
 */
export function lazyAws(): Aws {
  let aws: Promise<Aws> | null = null;
  const load = () =>
    (aws ??= import('./aws.js').then(({ createAws, defaultAwsOptions }) => createAws(defaultAwsOptions())));
  return {
    callerIdentity: async (pair) => (await load()).callerIdentity(pair),
    ownSession: async () => (await load()).ownSession(),
    assumeRole: async (accountId, roleArn) => (await load()).assumeRole(accountId, roleArn),
  };
}
