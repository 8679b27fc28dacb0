import type { KeyKind } from './types.js';

/** Prefixes of key ids that are credentials. IAM unique ids (AIDA, AROA, …) are identifiers and never match. */
export const CREDENTIAL_PREFIXES = ['AKIA', 'ASIA', 'ABIA', 'ACCA'] as const;

/**
 * Thinkst canarytokens.org accounts. Calling STS with one of their keys fires the canary, so these are
 * decoded offline and never verified. Config may add more (`canaryAccounts`).
 */
export const KNOWN_CANARY_ACCOUNTS: ReadonlySet<string> = new Set([
  '052310077262',
  '171436882533',
  '266735846894',
  '534261010715',
  '595918472158',
  '717712589309',
  '729780141977',
  '730335385048',
  '819147034852',
  '992382622183',
]);

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function keyKind(keyId: string): KeyKind {
  return keyId.startsWith('ASIA') ? 'temporary' : 'long-term';
}

/** The 48 bits after the prefix that carry the account in ids that have one; null for others. */
function accountBits(keyId: string): bigint | null {
  if (keyId.length !== 20 || keyId.startsWith('A3T')) return null;
  if (!CREDENTIAL_PREFIXES.some((p) => keyId.startsWith(p))) return null;
  // Only ids whose fifth character is Q-Z or 2-7 (the top bit of the body set) encode an account;
  // older ids (A-P, among them the I and J of the first ones) carry none.
  if (!/[Q-Z2-7]/.test(keyId[4]!)) return null;
  let bits = 0n;
  for (const ch of keyId.slice(4)) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return null;
    bits = (bits << 5n) | BigInt(v);
  }
  // 16 chars × 5 bits = 80 bits = 10 bytes; the first 6 bytes are the top 48 bits.
  return ((bits >> 32n) & 0x7fffffffff80n) >> 7n;
}

/** Largest AWS account id: twelve digits. */
const MAX_ACCOUNT = 999_999_999_999n;

/**
 * The AWS account id encoded in a key id, computed offline: base32-decode the 16 characters after the
 * prefix and take bits 1..40 of the first six bytes. Null for ids that carry no account (fifth character
 * A-P, A3T ids) and for ids whose decoded value is no account at all.
 */
export function accountIdFromKeyId(keyId: string): string | null {
  const account = accountBits(keyId);
  if (account === null || account > MAX_ACCOUNT) return null;
  return account.toString().padStart(12, '0');
}

/** An id that should carry an account but decodes to more than twelve digits: not an AWS key id. */
export function hasImpossibleAccount(keyId: string): boolean {
  const account = accountBits(keyId);
  return account !== null && account > MAX_ACCOUNT;
}

export function isCanaryAccount(accountId: string | null, extra: ReadonlySet<string> = new Set()): boolean {
  return accountId !== null && (KNOWN_CANARY_ACCOUNTS.has(accountId) || extra.has(accountId));
}

/** Characters a real key id body never contains (base32 has no 0, 1, 8 or 9). */
export function hasImpossibleKeyChars(keyId: string): boolean {
  return /[0189]/.test(keyId.slice(4));
}

/** A key id made of very few distinct characters (AKIA and sixteen X, or four runs of four) is a placeholder. */
export function isLowEntropyKeyId(keyId: string): boolean {
  return new Set(keyId.slice(4)).size < 6;
}
