import type { CostReport, PersistenceStep } from './persistence.js';
import { attackRecordOf, digestAttack, type AttackDigest, type FollowedKey } from './attack-digest.js';

/** One event exactly as `aws cloudtrail lookup-events --output json` prints it (keys in the CLI's order). */
export interface TrailEvent {
  EventId: string;
  EventName: string;
  ReadOnly: string;
  AccessKeyId: string;
  EventTime: string;
  EventSource: string;
  Username?: string;
  Resources: { ResourceType: string; ResourceName: string }[];
  /** The full record, as a JSON string. */
  CloudTrailEvent: string;
}

export interface TrailSummary {
  keyId: string;
  window: { start: string; end: string };
  regions: string[];
  totalEvents: number;
  /** Events keyleak itself caused (its user agent), kept out of the tables below. */
  ownEvents: number;
  byIp: { ip: string; count: number; first: string; last: string }[];
  byUserAgent: { userAgent: string; count: number }[];
  byEvent: { eventSource: string; eventName: string; count: number; errors: number }[];
  incompleteRegions: { region: string; reason: string }[];
  /** What the attacker did: by category and severity, with what each call created and how to undo it. */
  activity?: AttackDigest;
  /** What `contain-persistence` did about it; absent when it was not asked for. */
  persistence?: PersistenceStep[];
  /** Daily cost since the exposure (`cost-check`); absent when not asked for. */
  cost?: CostReport;
}

/** The fields of a CloudTrail record the digest and the runbook's recipes read. */
export interface TrailRecord {
  eventTime: string;
  accessKeyId: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode: string | null;
}

/** keyleak's own calls carry `keyleak/<version>` in their user agent. */
export function isOwnUserAgent(userAgent: string): boolean {
  return /(^|[\s(])keyleak\/\S+/.test(userAgent);
}

/** The record inside an event's CloudTrailEvent string, with the lookup fields as fallback. */
export function recordOf(e: TrailEvent, region: string): TrailRecord {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(e.CloudTrailEvent) as Record<string, unknown>;
  } catch {
    body = {};
  }
  const identity = (body.userIdentity ?? {}) as Record<string, unknown>;
  const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
  return {
    eventTime: toIso(str(body.eventTime, e.EventTime)),
    accessKeyId: str(identity.accessKeyId, e.AccessKeyId),
    eventSource: str(body.eventSource, e.EventSource),
    eventName: str(body.eventName, e.EventName),
    awsRegion: str(body.awsRegion, region),
    sourceIPAddress: str(body.sourceIPAddress, ''),
    userAgent: str(body.userAgent, ''),
    errorCode: typeof body.errorCode === 'string' && body.errorCode ? body.errorCode : null,
  };
}

/** The runbook's jq selections: events from these IPs, of these names, whose user agent contains this. */
export interface TrailFilter {
  ip: string[];
  eventName: string[];
  userAgent: string | null;
}

/** Whether an event passes every field of the filter that is set. */
export function matchesFilter(e: TrailEvent, region: string, f: TrailFilter): boolean {
  const r = recordOf(e, region);
  return (
    (f.ip.length === 0 || f.ip.includes(r.sourceIPAddress)) &&
    (f.eventName.length === 0 || f.eventName.includes(r.eventName)) &&
    (f.userAgent === null || r.userAgent.includes(f.userAgent))
  );
}

/** ISO 8601 UTC without milliseconds, whatever offset or precision came in. */
export function toIso(t: string): string {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

export interface DigestInput {
  keyId: string;
  window: { start: string; end: string };
  regions: string[];
  /** Events of the key and, with `via` set, of keys it minted that were followed. */
  events: { region: string; event: TrailEvent; via?: string | null }[];
  incompleteRegions: { region: string; reason: string }[];
  followed?: FollowedKey[];
  notFollowed?: { keyId: string; reason: string }[];
}

export function parsed(e: TrailEvent): Record<string, unknown> {
  try {
    const body = JSON.parse(e.CloudTrailEvent) as unknown;
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Summarises a key's CloudTrail events: who called from where, what, and what deserves a look first. */
export function digestTrail(input: DigestInput): TrailSummary {
  const seen = new Set<string>();
  const ips = new Map<string, { count: number; first: string; last: string }>();
  const agents = new Map<string, number>();
  const calls = new Map<string, { eventSource: string; eventName: string; count: number; errors: number }>();
  const attack: Parameters<typeof digestAttack>[0] = [];
  let total = 0;
  let own = 0;
  for (const { region, event, via } of input.events) {
    if (event.EventId && seen.has(event.EventId)) continue;
    if (event.EventId) seen.add(event.EventId);
    total++;
    const r = recordOf(event, region);
    const callKey = `${r.eventSource}\0${r.eventName}`;
    const c = calls.get(callKey) ?? {
      eventSource: r.eventSource,
      eventName: r.eventName,
      count: 0,
      errors: 0,
    };
    c.count++;
    if (r.errorCode) c.errors++;
    calls.set(callKey, c);
    if (isOwnUserAgent(r.userAgent)) {
      own++;
      continue;
    }
    const ip = ips.get(r.sourceIPAddress);
    if (!ip) ips.set(r.sourceIPAddress, { count: 1, first: r.eventTime, last: r.eventTime });
    else {
      ip.count++;
      if (r.eventTime < ip.first) ip.first = r.eventTime;
      if (r.eventTime > ip.last) ip.last = r.eventTime;
    }
    agents.set(r.userAgent, (agents.get(r.userAgent) ?? 0) + 1);
    attack.push(
      attackRecordOf(
        parsed(event),
        {
          eventId: event.EventId,
          eventTime: r.eventTime,
          eventSource: r.eventSource,
          eventName: r.eventName,
          region,
          resources: event.Resources ?? [],
        },
        via ?? null,
      ),
    );
  }
  const byCount =
    <T extends { count: number }>(key: (x: T) => string) =>
    (a: T, b: T) =>
      b.count - a.count || key(a).localeCompare(key(b));
  return {
    keyId: input.keyId,
    window: { start: toIso(input.window.start), end: toIso(input.window.end) },
    regions: [...input.regions],
    totalEvents: total,
    ownEvents: own,
    byIp: [...ips].map(([ip, v]) => ({ ip, ...v })).sort(byCount((x) => x.ip)),
    byUserAgent: [...agents]
      .map(([userAgent, count]) => ({ userAgent, count }))
      .sort(byCount((x) => x.userAgent)),
    byEvent: [...calls.values()].sort(byCount((x) => `${x.eventSource} ${x.eventName}`)),
    incompleteRegions: [...input.incompleteRegions].sort((a, b) => a.region.localeCompare(b.region)),
    activity: digestAttack(
      attack.map((a) => ({ ...a, eventTime: toIso(a.eventTime) })),
      { start: toIso(input.window.start), end: toIso(input.window.end) },
      input.followed ?? [],
      input.notFollowed ?? [],
    ),
  };
}

/**
 * The default window: from a day before the first exposure, or 90 days back (as far as LookupEvents
 * reaches), whichever is later, to now.
 */
export function defaultWindow(now: Date, firstExposure: string | null): { start: Date; end: Date } {
  const ninety = new Date(now.getTime() - 90 * 86_400_000);
  const exposed = firstExposure ? Date.parse(firstExposure) : NaN;
  const fromExposure = Number.isNaN(exposed) ? null : new Date(exposed - 86_400_000);
  return { start: fromExposure && fromExposure > ninety ? fromExposure : ninety, end: now };
}
