import { describe, expect, it } from 'vitest';
import { accountIdFromKeyId, isCanaryAccount, keyKind } from '../../src/core/keyid.js';
import { makeKeyId } from '../helpers/keys.js';

describe('key ids', () => {
  it('decodes the account id offline, keeping leading zeros', () => {
    for (const account of ['000000000001', '052310077262', '123456789012', '999999999999']) {
      expect(accountIdFromKeyId(makeKeyId('AKIA', account))).toBe(account);
      expect(accountIdFromKeyId(makeKeyId('ASIA', account))).toBe(account);
    }
  });

  it('decodes a hand-checked id: body AAAAAAAQAAAAAAAA carries account 32', () => {
    // Q (16) at index 7 fills bits 40-44 of the 80-bit value with 10000b, setting bit 44: bit 12 of the
    // top 48 bits (z), and (z & 0x7fffffffff80) >> 7 = 2^5.
    expect(accountIdFromKeyId('AKIA' + 'AAAAAAAQAAAAAAAA')).toBe('000000000032');
  });

  it('gives no account for legacy ids whose fifth character is I or J, nor for A3T ids', () => {
    const body = makeKeyId().slice(5);
    expect(accountIdFromKeyId('AKIAI' + body)).toBeNull();
    expect(accountIdFromKeyId('AKIAJ' + body)).toBeNull();
    expect(accountIdFromKeyId('A3TX' + makeKeyId().slice(4))).toBeNull();
  });

  it('marks canary-token accounts and config-added ones', () => {
    expect(isCanaryAccount('052310077262')).toBe(true);
    expect(isCanaryAccount('123456789012')).toBe(false);
    expect(isCanaryAccount('123456789012', new Set(['123456789012']))).toBe(true);
    expect(isCanaryAccount(null)).toBe(false);
  });

  it('tells temporary keys from long-term ones', () => {
    expect(keyKind(makeKeyId('ASIA'))).toBe('temporary');
    expect(keyKind(makeKeyId('AKIA'))).toBe('long-term');
    expect(keyKind(makeKeyId('ABIA'))).toBe('long-term');
  });
});
