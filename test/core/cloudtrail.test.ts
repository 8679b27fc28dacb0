import { describe, expect, it } from 'vitest';
import { defaultWindow, digestTrail, isOwnUserAgent, type TrailEvent } from '../../src/core/cloudtrail.js';
import { makeKeyId } from '../helpers/keys.js';
import { renderEventsOut, renderTrailText, renderTrailTsv } from '../../src/core/render/trail.js';

const KEY = makeKeyId();

function event(over: Record<string, unknown>): TrailEvent {
  const body = {
    eventTime: '2026-01-01T00:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    userIdentity: { accessKeyId: KEY },
    ...over,
  };
  return {
    EventId: String(over.eventID ?? Math.random()),
    EventName: String(body.eventName),
    ReadOnly: 'true',
    AccessKeyId: KEY,
    EventTime: '2026-01-01T00:00:00+00:00',
    EventSource: String(body.eventSource),
    Resources: [],
    CloudTrailEvent: JSON.stringify(body),
  };
}

describe("keyleak's own calls", () => {
  it("recognises keyleak's own user agent", () => {
    expect(isOwnUserAgent('aws-sdk-js/3.1 ua/2.1 lang/js keyleak/0.1.0')).toBe(true);
    expect(isOwnUserAgent('keyleak/1.2.3')).toBe(true);
    expect(isOwnUserAgent('aws-cli/2.15.0 notkeyleak/1')).toBe(false);
  });
});

describe('the digest', () => {
  const events = [
    {
      region: 'us-east-1',
      event: event({
        eventName: 'GetCallerIdentity',
        eventSource: 'sts.amazonaws.com',
        eventTime: '2026-01-01T10:00:00Z',
      }),
    },
    { region: 'us-east-1', event: event({ eventName: 'CreateUser', eventTime: '2026-01-01T10:05:00Z' }) },
    {
      region: 'us-east-1',
      event: event({ eventName: 'CreateUser', eventTime: '2026-01-01T10:06:00Z', errorCode: 'AccessDenied' }),
    },
    {
      region: 'eu-west-1',
      event: event({
        eventName: 'RunInstances',
        eventSource: 'ec2.amazonaws.com',
        awsRegion: 'eu-west-1',
        sourceIPAddress: '203.0.113.9',
        userAgent: 'Boto3/1.34',
        eventTime: '2026-01-02T00:00:00.000Z',
      }),
    },
    {
      region: 'us-east-1',
      event: event({
        eventName: 'GetCallerIdentity',
        eventSource: 'sts.amazonaws.com',
        userAgent: 'aws-sdk-js/3 keyleak/0.1.0',
        sourceIPAddress: '10.0.0.1',
      }),
    },
  ];
  const summary = digestTrail({
    keyId: KEY,
    window: { start: '2025-12-01T00:00:00.000Z', end: '2026-01-03T00:00:00.000Z' },
    regions: ['us-east-1', 'eu-west-1'],
    events,
    incompleteRegions: [{ region: 'ap-south-1', reason: 'ThrottlingException' }],
  });

  it('counts by IP, user agent and call, leaving keyleak out of the IP and agent tables and the digest', () => {
    expect(summary.totalEvents).toBe(5);
    expect(summary.ownEvents).toBe(1);
    expect(summary.byIp).toEqual([
      { ip: '198.51.100.7', count: 3, first: '2026-01-01T10:00:00Z', last: '2026-01-01T10:06:00Z' },
      { ip: '203.0.113.9', count: 1, first: '2026-01-02T00:00:00Z', last: '2026-01-02T00:00:00Z' },
    ]);
    expect(summary.byUserAgent).toEqual([
      { userAgent: 'aws-cli/2.15.0', count: 3 },
      { userAgent: 'Boto3/1.34', count: 1 },
    ]);
    expect(summary.byEvent).toContainEqual({
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
      count: 2,
      errors: 1,
    });
    expect(summary.byEvent).toContainEqual({
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      count: 2,
      errors: 0,
    });
  });

  it('digests what the attacker did, worst first, with times in ISO 8601 UTC', () => {
    expect(
      summary.activity!.actions.map((a) => [a.category, a.eventName, a.eventTime, a.region, a.failed]),
    ).toEqual([
      ['access', 'CreateUser', '2026-01-01T10:05:00Z', 'us-east-1', null],
      ['access', 'CreateUser', '2026-01-01T10:06:00Z', 'us-east-1', 'AccessDenied'],
      ['resources', 'RunInstances', '2026-01-02T00:00:00Z', 'eu-west-1', null],
    ]);
    expect(summary.window).toEqual({ start: '2025-12-01T00:00:00Z', end: '2026-01-03T00:00:00Z' });
    expect(summary.incompleteRegions).toEqual([{ region: 'ap-south-1', reason: 'ThrottlingException' }]);
  });

  it('counts an event read twice once', () => {
    const again = digestTrail({
      keyId: KEY,
      window: summary.window,
      regions: [],
      events: [events[1]!, events[1]!],
      incompleteRegions: [],
    });
    expect(again.totalEvents).toBe(1);
  });

  it("prints the runbook's TSV fields, oldest first", () => {
    const lines = renderTrailTsv(events).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]!.split('\t')).toEqual([
      '2026-01-01T00:00:00Z',
      KEY,
      'sts.amazonaws.com',
      'GetCallerIdentity',
      '10.0.0.1',
      'aws-sdk-js/3 keyleak/0.1.0',
    ]);
    expect(lines[4]!.split('\t')).toEqual([
      '2026-01-02T00:00:00Z',
      KEY,
      'ec2.amazonaws.com',
      'RunInstances',
      '203.0.113.9',
      'Boto3/1.34',
    ]);
  });

  it('renders text tables a responder reads first, incomplete regions on top', () => {
    const text = renderTrailText(summary);
    expect(text).toMatch(/INCOMPLETE: these regions could not be read:\n {2}ap-south-1: ThrottlingException/);
    expect(text).toMatch(/what the attacker did \(3 calls, worst first\):/);
    expect(text).toMatch(/CreateUser FAILED AccessDenied/);
    expect(text).toMatch(/5 events, 1 of them keyleak's own/);
    expect(text.indexOf('what the attacker did')).toBeLessThan(text.indexOf('source IPs'));
  });

  it('writes events as the AWS CLI does: { "Events": [...] } with a 4-space indent', () => {
    const out = renderEventsOut(events.slice(0, 1));
    expect(out.startsWith('{\n    "Events": [\n        {\n            "EventId"')).toBe(true);
    expect(JSON.parse(out).Events[0]).toEqual(events[0]!.event);
  });
});

describe('the default window', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  it('starts a day before the first exposure when that is within 90 days', () => {
    expect(defaultWindow(now, '2026-05-10T12:00:00+02:00').start.toISOString()).toBe(
      '2026-05-09T10:00:00.000Z',
    );
  });
  it('starts 90 days back when the exposure is older or unknown', () => {
    expect(defaultWindow(now, '2020-01-01T00:00:00Z').start.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(defaultWindow(now, null).start.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(defaultWindow(now, null).end).toBe(now);
  });
});
