import { randomInt } from 'node:crypto';
import { makeKeyId, makeSecret, type KeyPair } from '../helpers/keys.js';

// makeKeyId retries with the same account until the key id does not look legacy, and accounts from
// 550000000000 to 687194767359 always encode as a legacy-looking id (fifth character I or J), so a
// random account can make it loop forever. An account below that range never does.
const account = () => String(randomInt(1e11, 5e11));

/** A generated key id whose account never makes the generator loop. */
export function freshKeyId(prefix = 'AKIA'): string {
  return makeKeyId(prefix, account());
}

export function freshPair(): KeyPair {
  return { keyId: freshKeyId(), secret: makeSecret() };
}
