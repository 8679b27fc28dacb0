import { describe, expect, it } from 'vitest';
import {
  classifyCallerIdentity,
  combineCandidates,
  isRootArn,
  userNameFromArn,
  type AwsFailure,
  type CandidateVerdict,
} from '../../src/core/verdict.js';

const aws = (code: string | null, httpStatus: number | null, message = ''): AwsFailure => ({
  kind: 'aws',
  code,
  httpStatus,
  message,
});

describe('classifying STS GetCallerIdentity', () => {
  const cases: [string, AwsFailure, CandidateVerdict['status'], RegExp, boolean?][] = [
    [
      'an unknown, inactive or deleted key',
      aws('InvalidClientTokenId', 403),
      'invalid',
      /InvalidClientTokenId/,
    ],
    [
      'a wrong secret (retried once before believed): the key exists and is active',
      aws('SignatureDoesNotMatch', 403),
      'wrong-secret',
      /SignatureDoesNotMatch/,
      true,
    ],
    ['an expired session', aws('ExpiredToken', 400), 'invalid', /ExpiredToken/],
    [
      'a proxy 403 without an AWS error code',
      aws(null, 403),
      'unknown',
      /HTTP 403 without an AWS error code/,
    ],
    ['a 5xx', aws('InternalFailure', 500), 'unknown', /InternalFailure \(HTTP 500\)/],
    ['throttling', aws('Throttling', 400), 'unknown', /throttled/],
    ['an unexpected AWS error', aws('AccessDenied', 403), 'unknown', /AccessDenied/],
    [
      'a timeout',
      { kind: 'timeout', code: null, httpStatus: null, message: 'requestTimeout' },
      'unknown',
      /timed out/,
    ],
    [
      'a network error',
      { kind: 'network', code: null, httpStatus: null, message: 'ECONNREFUSED' },
      'unknown',
      /network error/,
    ],
  ];
  it.each(cases)('%s → %s', (_name, failure, status, reason, retry) => {
    const v = classifyCallerIdentity({ ok: false, failure });
    expect(v.status).toBe(status);
    expect('reason' in v ? v.reason : '').toMatch(reason);
    expect('retry' in v && v.retry).toBe(retry ?? false);
  });

  it('success → live, with the user name taken from the ARN', () => {
    expect(
      classifyCallerIdentity({
        ok: true,
        account: '123456789012',
        arn: 'arn:aws:iam::123456789012:user/ops/ci-bot',
      }),
    ).toEqual({
      status: 'live',
      accountId: '123456789012',
      arn: 'arn:aws:iam::123456789012:user/ops/ci-bot',
      userName: 'ci-bot',
    });
  });

  it('reads user names only from user ARNs and tells root apart', () => {
    expect(userNameFromArn('arn:aws:iam::123456789012:root')).toBeNull();
    expect(userNameFromArn('arn:aws:sts::123456789012:assumed-role/r/s')).toBeNull();
    expect(userNameFromArn('arn:aws-us-gov:iam::123456789012:user/alice')).toBe('alice');
    expect(isRootArn('arn:aws:iam::123456789012:root')).toBe(true);
    expect(isRootArn('arn:aws:iam::123456789012:user/root')).toBe(false);
  });
});

describe('combining candidate secrets', () => {
  const live: CandidateVerdict = {
    status: 'live',
    accountId: '1',
    arn: 'arn:aws:iam::123456789012:user/a',
    userName: 'a',
  };
  const refused: CandidateVerdict = { status: 'invalid', reason: 'InvalidClientTokenId: x', retry: false };
  const wrong: CandidateVerdict = { status: 'wrong-secret', reason: 'SignatureDoesNotMatch: x', retry: true };
  const unknown: CandidateVerdict = { status: 'unknown', reason: 'STS timed out' };
  it('any live candidate makes the key live', () => {
    expect(combineCandidates([refused, unknown, live]).status).toBe('live');
  });
  it('a candidate that could not be told keeps the key unknown', () => {
    expect(combineCandidates([refused, unknown])).toMatchObject({
      status: 'unknown',
      reason: 'STS timed out',
    });
  });
  it('only when every candidate is refused is the key invalid', () => {
    expect(combineCandidates([refused, refused])).toMatchObject({
      status: 'invalid',
      reason: /2 candidate secrets refused/,
    });
    expect(combineCandidates([refused])).toMatchObject({
      status: 'invalid',
      reason: 'InvalidClientTokenId: x',
    });
  });
  it('a SignatureDoesNotMatch proves the key exists: wrong-secret, never invalid', () => {
    expect(combineCandidates([wrong]).status).toBe('wrong-secret');
    expect(combineCandidates([refused, wrong]).status).toBe('wrong-secret');
    expect(combineCandidates([wrong, wrong]).reason).toMatch(/2 candidate secrets/);
    expect(combineCandidates([wrong, unknown]).status).toBe('unknown');
  });
});
