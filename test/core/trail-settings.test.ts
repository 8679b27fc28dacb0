import { describe, expect, it } from 'vitest';
import { parseScanArgs, parseTrailArgs } from '../../src/settings.js';
import { makeKeyId } from '../helpers/keys.js';

const defaults = { cwd: '/repo', isTTY: false };

describe('scan response flags', () => {
  it('are off unless asked for', () => {
    expect(parseScanArgs([], defaults)).toMatchObject({
      verify: false,
      deactivate: false,
      dryRun: false,
      revokeSessions: false,
      roleTemplate: null,
      managedAccounts: null,
    });
  });

  it('parse role templates and managed accounts', () => {
    const s = parseScanArgs(
      [
        '--verify',
        '--deactivate',
        '--revoke-sessions',
        '--role-template',
        'arn:aws:iam::{accountId}:role/keyleak-responder',
        '--managed-accounts',
        '123456789012, 210987654321',
      ],
      defaults,
    );
    expect(s).toMatchObject({
      verify: true,
      deactivate: true,
      revokeSessions: true,
      roleTemplate: 'arn:aws:iam::{accountId}:role/keyleak-responder',
      managedAccounts: ['123456789012', '210987654321'],
    });
  });

  it.each([
    [['--deactivate'], /--deactivate needs --verify/],
    [['--verify', '--revoke-sessions'], /--revoke-sessions needs --deactivate/],
    [
      ['--verify', '--role-template', 'arn:aws:iam::123456789012:role/x'],
      /Expected a role ARN with \{accountId\}/,
    ],
    [['--verify', '--managed-accounts', '12345'], /invalid --managed-accounts '12345'/],
  ])('reject %j', (argv, message) => {
    expect(() => parseScanArgs(argv, defaults)).toThrow(message);
  });
});

describe('trail arguments', () => {
  const key = makeKeyId();
  it('default to every region, text, no window', () => {
    expect(parseTrailArgs(['--key', key])).toEqual({
      keyId: key,
      since: null,
      until: null,
      regions: 'all',
      format: 'text',
      eventsOut: null,
      roleTemplate: null,
      firstExposure: null,
      follow: false,
      filter: null,
    });
  });

  it("take the runbook's filters and --follow", () => {
    expect(
      parseTrailArgs([
        '--key',
        key,
        '--follow',
        '--ip',
        '198.51.100.7,2001:db8::1',
        '--ip',
        'ec2.amazonaws.com',
        '--event-name',
        'ListBuckets',
        '--user-agent',
        'pacu',
      ]),
    ).toMatchObject({
      follow: true,
      filter: {
        ip: ['198.51.100.7', '2001:db8::1', 'ec2.amazonaws.com'],
        eventName: ['ListBuckets'],
        userAgent: 'pacu',
      },
    });
  });

  it('parse a window, regions and formats', () => {
    expect(
      parseTrailArgs([
        '--key',
        key,
        '--since',
        '2026-01-01',
        '--until',
        '2026-01-02T12:00:00+02:00',
        '--regions',
        'eu-west-1,ap-south-1',
        '--format',
        'tsv',
        '--events-out',
        't.json',
      ]),
    ).toMatchObject({
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-01-02T10:00:00.000Z',
      regions: ['eu-west-1', 'ap-south-1'],
      format: 'tsv',
      eventsOut: 't.json',
    });
  });

  it.each([
    [[], /--key is required/],
    [['--key', 'AIDA' + key.slice(4)], /invalid --key/],
    [['--key', key, '--since', 'yesterday'], /invalid --since 'yesterday'/],
    [['--key', key, '--since', '2026-02-01', '--until', '2026-01-01'], /is after --until/],
    [['--key', key, '--regions', 'mars-1'], /invalid --regions/],
    [['--key', key, '--format', 'csv'], /invalid --format 'csv'/],
    [['--key', key, '--ip', '1.2.3.4; rm -rf /'], /invalid --ip '1.2.3.4; rm -rf \/'/],
    [['--key', key, '--event-name', 'List*'], /invalid --event-name 'List\*'/],
    [['--key', key, '--user-agent', ' '], /invalid --user-agent/],
  ])('reject %j', (argv, message) => {
    expect(() => parseTrailArgs(argv)).toThrow(message);
  });
});
