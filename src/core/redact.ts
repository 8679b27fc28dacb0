import { createHash } from 'node:crypto';

/** The redacted form every renderer shows: the first four characters, then a mask of the rest. */
export function redactSecret(secret: string): string {
  return `${secret.slice(0, 4)}${'*'.repeat(Math.max(0, secret.length - 4))}`;
}

/** A stable fingerprint of a leaked key id, used for baselines, SARIF and incident markers. */
export function fingerprintKeyId(keyId: string): string {
  return `keyleak:v1:${createHash('sha256').update(keyId).digest('hex').slice(0, 32)}`;
}

/**
 * A stable fingerprint of a secret found without a key id. Salted with its kind so it can never equal a
 * key id's, and cut to 128 bits of the hash: it names the secret without making it guessable.
 */
export function fingerprintSecret(secret: string): string {
  return `keyleak:v1:secret:${createHash('sha256').update(`secret:${secret}`).digest('hex').slice(0, 32)}`;
}

/**
 * Text with the user info of every URL in it dropped (`https://x-access-token:TOKEN@github.com/o/r` →
 * `https://github.com/o/r`). Checkouts, mirrors and CI systems put tokens in remote URLs, and git quotes
 * them in its errors; nothing keyleak prints, writes or embeds may carry one.
 */
export function stripUrlCredentials(s: string): string {
  return s.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, '$1');
}
