import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import {
  invalid,
  named,
  parseAccountIds,
  parseBoolean,
  parseLogin,
  parseRoleTemplate,
  parseWholeNumber,
  type Validator,
} from '../../src/core/validate.js';

// Each case: the validator, the raw text, and the value or the expectation the error states.
const accepted: [string, Validator<unknown>, string, unknown][] = [
  ['true is true', parseBoolean(false), 'true', true],
  ['True is true', parseBoolean(false), 'True', true],
  ['FALSE is false', parseBoolean(true), 'FALSE', false],
  ['an unset boolean is its default', parseBoolean(true), '', true],
  [
    'a role ARN with {accountId}',
    parseRoleTemplate,
    'arn:aws:iam::{accountId}:role/keyleak-responder',
    'arn:aws:iam::{accountId}:role/keyleak-responder',
  ],
  [
    'a role ARN with a path, in GovCloud',
    parseRoleTemplate,
    'arn:aws-us-gov:iam::{accountId}:role/sec/responder',
    'arn:aws-us-gov:iam::{accountId}:role/sec/responder',
  ],
  [
    'account ids, repeated, across lines',
    parseAccountIds,
    '111122223333, 444455556666\n111122223333',
    ['111122223333', '444455556666'],
  ],
  ['a login with a hyphen', parseLogin, 'my-org', 'my-org'],
  ['a number at the top of its range', parseWholeNumber(1, 64), '64', 64],
];
it.each(accepted)('accepts %s', (_n, validate, raw, want) => {
  expect(validate(raw)).toEqual(want);
});

const rejected: [string, Validator<unknown>, string, string][] = [
  ['yes as a boolean', parseBoolean(false), 'yes', 'true or false'],
  ['tRUE, which YAML does not read as a boolean', parseBoolean(false), 'tRUE', 'true or false'],
  [
    'a role ARN naming one account',
    parseRoleTemplate,
    'arn:aws:iam::123456789012:role/r',
    'a role ARN with {accountId} for the account',
  ],
  ['a user ARN', parseRoleTemplate, 'arn:aws:iam::{accountId}:user/u', 'a role ARN with {accountId}'],
  [
    '{accountId} outside the account field',
    parseRoleTemplate,
    'arn:aws:iam::123456789012:role/{accountId}',
    'containing {accountId}',
  ],
  ['a short account id', parseAccountIds, '12345', '12-digit AWS account ids separated by commas'],
  ['only separators', parseAccountIds, ', ,', '12-digit AWS account ids'],
  ['a login with a slash', parseLogin, 'acme/api', 'an organisation or user login, like my-org'],
  ['a login with a double hyphen', parseLogin, 'my--org', 'an organisation or user login'],
  ['a login of 40 characters', parseLogin, 'a'.repeat(40), 'an organisation or user login'],
  ['zero below the range', parseWholeNumber(1, 64), '0', 'a whole number from 1 to 64'],
  ['a fraction', parseWholeNumber(1, 64), '1.5', 'a whole number from 1 to 64'],
  ['nothing', parseWholeNumber(1, 64), '', 'a whole number from 1 to 64'],
];
it.each(rejected)('rejects %s, saying what was expected', (_n, validate, raw, expected) => {
  expect(() => validate(raw)).toThrow(expected);
});

describe('named', () => {
  it('words a bad value as the entry names the input', () => {
    expect(() => named('yes', parseBoolean(false), invalid('--verify'))).toThrow(
      new UsageError("invalid --verify 'yes'. Expected true or false"),
    );
    expect(() =>
      named('0', parseWholeNumber(1, 64), (v, e) => `Invalid input 'concurrency': '${v}'. Expected ${e}.`),
    ).toThrow("Invalid input 'concurrency': '0'. Expected a whole number from 1 to 64.");
  });

  it('passes a good value through', () => {
    expect(named('4', parseWholeNumber(1, 64), invalid('concurrency'))).toBe(4);
  });
});
