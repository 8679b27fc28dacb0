import { UsageError } from './errors.js';
import { CREDENTIAL_PREFIXES } from './keyid.js';

/**
 * The validators every entry shares (action inputs, org inputs, CLI flags): one rule per concept. A
 * validator takes the raw text and returns the value, or throws `InvalidValue` saying what was expected;
 * the entry that read the text names it (`--role-template`, input 'aws-role-template') through `named`.
 */
export class InvalidValue extends Error {
  constructor(
    readonly value: string,
    readonly expected: string,
  ) {
    super(`'${value}'. Expected ${expected}`);
  }
}

export type Validator<T> = (raw: string) => T;

/** How an entry words a bad value: its name for the input, the value and what was expected. */
export type Wording = (value: string, expected: string) => string;

/** `invalid NAME 'value'. Expected …`: how the CLI (NAME a flag) and the org settings word a bad value. */
export function invalid(name: string): Wording {
  return (value, expected) => `invalid ${name} '${value}'. Expected ${expected}`;
}

/** Runs a validator; an invalid value becomes a UsageError worded by the entry. */
export function named<T>(raw: string, validate: Validator<T>, wording: Wording): T {
  try {
    return validate(raw);
  } catch (e) {
    if (e instanceof InvalidValue) throw new UsageError(wording(e.value, e.expected));
    throw e;
  }
}

/**
 * The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them; empty is the
 * fallback (an input left unset).
 */
export function parseBoolean(fallback: boolean): Validator<boolean> {
  return (raw) => {
    const t = raw.trim();
    if (t === '') return fallback;
    if (['true', 'True', 'TRUE'].includes(t)) return true;
    if (['false', 'False', 'FALSE'].includes(t)) return false;
    throw new InvalidValue(raw, 'true or false');
  };
}

/** A role ARN with `{accountId}` where each key's account goes. */
export const parseRoleTemplate: Validator<string> = (raw) => {
  if (!/^arn:aws[a-z-]*:iam::\{accountId\}:role\/[\w+=,.@/-]+$/.test(raw)) {
    throw new InvalidValue(
      raw,
      'a role ARN with {accountId} for the account, e.g. arn:aws:iam::{accountId}:role/keyleak-responder (only an ARN containing {accountId} can name the role in every account)',
    );
  }
  return raw;
};

/** A comma-, space- or newline-separated list of 12-digit account ids, without repeats. */
export const parseAccountIds: Validator<string[]> = (raw) => {
  const ids = raw.split(/[\s,]+/).filter(Boolean);
  if (ids.length === 0 || ids.some((id) => !/^\d{12}$/.test(id))) {
    throw new InvalidValue(raw, '12-digit AWS account ids separated by commas');
  }
  return [...new Set(ids)];
};

const KEY_ID = new RegExp(`^(${CREDENTIAL_PREFIXES.join('|')})[A-Z2-7]{16}$`);

/** An access key id: one of the credential prefixes and 16 more characters. */
export const parseKeyId: Validator<string> = (raw) => {
  if (!KEY_ID.test(raw)) throw new InvalidValue(raw, 'an access key id (AKIA… or ASIA…, 20 characters)');
  return raw;
};

/** GitHub logins: alphanumerics and single hyphens, at most 39 characters. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** An organisation or user login. */
export const parseLogin: Validator<string> = (raw) => {
  if (!LOGIN.test(raw)) throw new InvalidValue(raw, 'an organisation or user login, like my-org');
  return raw;
};

/** A repository as `owner/name`: the owner a login (the rule `org` follows), the name GitHub's characters. */
export const parseRepoName: Validator<{ owner: string; repo: string }> = (raw) => {
  const [owner = '', repo = '', ...rest] = raw.split('/');
  if (rest.length > 0 || !LOGIN.test(owner) || !/^[A-Za-z0-9._-]+$/.test(repo)) {
    throw new InvalidValue(raw, 'a repository as owner/name, like my-org/security');
  }
  return { owner, repo };
};

/** A whole number from `min` to `max`. */
export function parseWholeNumber(min: number, max: number): Validator<number> {
  return (raw) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidValue(raw, `a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
