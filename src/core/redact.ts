import { createHash } from 'node:crypto';

/** The redacted form every renderer shows: the first four characters, then a mask of the rest. */
export function redactSecret(secret: string): string {
  return `${secret.slice(0, 4)}${'*'.repeat(Math.max(0, secret.length - 4))}`;
}

/** A stable fingerprint of a leaked key id, used for baselines, SARIF and incident markers. */
export function fingerprintKeyId(keyId: string): string {
  return `keyleak:v1:${createHash('sha256').update(keyId).digest('hex').slice(0, 32)}`;
}
