import { createHash, randomBytes, randomInt } from 'node:crypto';
import { looksLikeSecret } from '../../src/core/detect.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * A fresh, random, well-formed key id for tests, encoding `account` the way AWS does. Generated at run
 * time so no real-looking key is ever committed.
 */
export function makeKeyId(prefix = 'AKIA', account?: string): string {
  for (;;) {
    const acct = account ?? String(randomInt(1e11, 1e12 - 1)).padStart(12, '0');
    // Like AWS's own ids, set the top bit (ignored by the decoding) so the fifth character is Q-Z or 2-7,
    // never the I or J of legacy ids that carry no account.
    const z = (1n << 47n) | (BigInt(acct) << 7n) | BigInt(randomInt(0, 128));
    const bits = (z << 32n) | BigInt(randomBytes(4).readUInt32BE());
    let body = '';
    for (let i = 15; i >= 0; i--) body += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
    if (new Set(body).size >= 6) return prefix + body;
  }
}

/** A fresh random secret access key (40 base64 characters, with upper, lower and a digit). */
export function makeSecret(): string {
  for (;;) {
    let s = '';
    for (let i = 0; i < 40; i++) s += B64[randomInt(0, 64)];
    // The shape rules turn away about one random string in 100,000 as a name: never hand one to a test.
    if (/[0-9]/.test(s) && looksLikeSecret(s)) return s;
  }
}

/** A fresh STS-style session token. */
export function makeSessionToken(): string {
  let s = 'IQoJb3JpZ2luX2Vj';
  for (let i = 0; i < 300; i++) s += B64[randomInt(0, 64)];
  return s;
}

export interface KeyPair {
  keyId: string;
  secret: string;
}

export function makePair(prefix = 'AKIA', account?: string): KeyPair {
  return { keyId: makeKeyId(prefix, account), secret: makeSecret() };
}

/**
 * A key pair derived from `seed` alone, for tests that must build the same bytes on every run (a seeded
 * fuzz test). Shaped like makePair's; never a real key, as it is generated at run time.
 */
export function seededPair(seed: string): KeyPair {
  for (let n = 0; ; n++) {
    const h = createHash('sha256').update(`${seed}:${n}`).digest();
    const acct = BigInt(h.readUInt32BE(0) % 1_000_000) * 1_000_000n + BigInt(h.readUInt32BE(4) % 1_000_000);
    const z = (1n << 47n) | (acct << 7n) | BigInt(h[8]! & 127);
    const bits = (z << 32n) | BigInt(h.readUInt32BE(9));
    let body = '';
    for (let i = 15; i >= 0; i--) body += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
    if (acct < 100_000_000_000n || new Set(body).size < 6) continue;
    const s = createHash('sha512').update(`${seed}:secret:${n}`).digest();
    let secret = '';
    for (let i = 0; i < 40; i++) secret += B64[s[i]! & 63];
    if (/[A-Z]/.test(secret) && /[a-z]/.test(secret) && /[0-9]/.test(secret))
      return { keyId: 'AKIA' + body, secret };
  }
}
