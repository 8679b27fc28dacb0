import { describe, expect, it } from 'vitest';
import { accountIdFromKeyId, hasImpossibleAccount, isCanaryAccount, keyKind } from '../../src/core/keyid.js';
import { makeKeyId } from '../helpers/keys.js';

describe('key ids', () => {
  it('decodes the account id offline, keeping leading zeros', () => {
    for (const account of ['000000000001', '052310077262', '123456789012', '999999999999']) {
      expect(accountIdFromKeyId(makeKeyId('AKIA', account))).toBe(account);
      expect(accountIdFromKeyId(makeKeyId('ASIA', account))).toBe(account);
    }
  });

  it('decodes a hand-checked id: body QAAAAAAQAAAAAAAA carries account 32', () => {
    // The leading Q sets the top bit, which marks an id carrying an account and is not part of it. Q (16)
    // at index 7 fills bits 40-44 of the 80-bit value with 10000b, setting bit 44: bit 12 of the top 48
    // bits (z), and (z & 0x7fffffffff80) >> 7 = 2^5.
    expect(accountIdFromKeyId('AKIA' + 'QAAAAAAQAAAAAAAA')).toBe('000000000032');
  });

  it.each([
    ['a legacy id whose fifth character is I', 'AKIAI'],
    ['a legacy id whose fifth character is J', 'AKIAJ'],
    ['an older id whose fifth character is A', 'AKIAA'],
    ['an older id whose fifth character is P', 'ASIAP'],
  ])('gives no account for %s', (_, head) => {
    expect(accountIdFromKeyId(head + makeKeyId().slice(5))).toBeNull();
    expect(hasImpossibleAccount(head + makeKeyId().slice(5))).toBe(false);
  });

  it('gives no account for A3T ids', () => {
    expect(accountIdFromKeyId('A3TX' + makeKeyId().slice(4))).toBeNull();
  });

  it.each(['Q', 'Z', '2'])('decodes ids whose fifth character is %s', (c) => {
    // The fifth character's top bit marks an id carrying an account; its other four bits are the account's.
    const id = 'AKIA' + c + 'AAAAAAAAAAAAAAA';
    expect(accountIdFromKeyId(id)).toMatch(/^\d{12}$/);
    expect(hasImpossibleAccount(id)).toBe(false);
  });

  it('takes an id decoding to more than twelve digits for no AWS key id', () => {
    // 7777… sets every account bit: 2^40 - 1 = 1099511627775, thirteen digits.
    const id = 'AKIA' + '77777777' + makeKeyId().slice(12);
    expect(accountIdFromKeyId(id)).toBeNull();
    expect(hasImpossibleAccount(id)).toBe(true);
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
