import { randomBytes, randomInt } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * A fresh, random, well-formed key id for tests, encoding `account` the way AWS does. Generated at run
 * time so no real-looking key is ever committed.
 */
export function makeKeyId(prefix = 'AKIA', account?: string): string {
  for (;;) {
    // A random account is drawn afresh each try: some accounts always encode to a legacy-looking I or J.
    const acct = account ?? String(randomInt(1e11, 1e12 - 1)).padStart(12, '0');
    const z = (BigInt(acct) << 7n) | BigInt(randomInt(0, 128));
    const bits = (z << 32n) | BigInt(randomBytes(4).readUInt32BE());
    let body = '';
    for (let i = 15; i >= 0; i--) body += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
    // Legacy-looking ids (I or J after the prefix) carry no account: avoid them unless asked.
    if (body[0] === 'I' || body[0] === 'J') {
      if (account !== undefined) throw new Error(`account ${account} encodes to a legacy-looking key id`);
      continue;
    }
    if (new Set(body).size >= 6) return prefix + body;
  }
}

/** A fresh random secret access key (40 base64 characters, with upper, lower and a digit). */
export function makeSecret(): string {
  for (;;) {
    let s = '';
    for (let i = 0; i < 40; i++) s += B64[randomInt(0, 64)];
    if (/[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s)) return s;
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
