import {
  entryFor,
  isDenied,
  isReadOnlyName,
  str,
  type AttackCategory,
  type CatalogEntry,
  type Reading,
  type Severity,
  type TouchedItem,
} from './attack-catalog.js';

import type { TrailRecord } from './cloudtrail.js';

export type { AttackCategory, Severity, TouchedItem } from './attack-catalog.js';

/** One call that changed something, minted credentials, ran commands or read secrets. */
export interface AttackAction {
  eventId: string;
  eventTime: string;
  eventName: string;
  eventSource: string;
  region: string;
  sourceIPAddress: string;
  userAgent: string;
  category: AttackCategory;
  severity: Severity;
  what: string;
  cite: string;
  /** The error code when the call failed: it did not happen, but shows what was tried. */
  failed: string | null;
  /** How the caller got its credentials when they are not the leaked key ("via role X, session key ASIA…"). */
  via: string | null;
  items: TouchedItem[];
  /** Commands (argv) that remove or revert it. */
  undo: string[][];
  review?: string;
}

/** A key the leaked key (or one it minted) brought into being: followed by its own id. */
export interface MintedKey {
  keyId: string;
  kind: 'session' | 'access-key';
  /** AssumeRole's role; null for session and federation tokens and for access keys. */
  roleArn: string | null;
  sessionName: string | null;
  /** The IAM user an access key belongs to. */
  userName: string | null;
  expiry: string | null;
  mintedBy: string;
  eventTime: string;
  region: string;
  /** The path to the key that minted it; null for the leaked key itself. */
  via: string | null;
}

export interface CallCount {
  eventSource: string;
  eventName: string;
  count: number;
}

export interface CountedCalls {
  total: number;
  calls: CallCount[];
}

/** A minted key whose own CloudTrail was read. */
export interface FollowedKey {
  keyId: string;
  via: string;
  events: number;
  /** Why its events may be incomplete (a region not read, a lookup refused). */
  incomplete: string | null;
}

/** What the attacker did, by category and severity rather than time. Plain data: trail.json holds it whole. */
export interface AttackDigest {
  window: { start: string; end: string };
  actions: AttackAction[];
  minted: MintedKey[];
  reconnaissance: CountedCalls;
  /** Failed reads and unlisted changes refused for lack of permission: what the caller probed for. */
  denied: CountedCalls;
  /** Failed reads for other reasons: throttling, not found, validation. */
  noise: CountedCalls;
  followed: FollowedKey[];
  /** How far minted keys are followed, and the ones that were not, with why. */
  follow: { maxDepth: number; maxKeys: number; notFollowed: { keyId: string; reason: string }[] };
}

/** The fields of a CloudTrail record the digest reads: the call's, and what it asked for and got back. */
export interface AttackRecord extends Omit<TrailRecord, 'accessKeyId'> {
  eventId: string;
  params: Record<string, unknown>;
  response: Record<string, unknown>;
  resources: { ResourceType: string; ResourceName: string }[];
  /** Set on records of a followed key: how its credentials were obtained. */
  via: string | null;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The parts of a parsed CloudTrail record (the `CloudTrailEvent` JSON) the digest reads. */
export function attackRecordOf(
  body: Record<string, unknown>,
  fallback: {
    eventId: string;
    eventTime: string;
    eventSource: string;
    eventName: string;
    region: string;
    resources: { ResourceType: string; ResourceName: string }[];
  },
  via: string | null,
): AttackRecord {
  const s = (k: string, d: string) => (typeof body[k] === 'string' ? (body[k] as string) : d);
  return {
    eventId: s('eventID', fallback.eventId),
    eventTime: s('eventTime', fallback.eventTime),
    eventSource: s('eventSource', fallback.eventSource),
    eventName: s('eventName', fallback.eventName),
    awsRegion: s('awsRegion', fallback.region),
    sourceIPAddress: s('sourceIPAddress', ''),
    userAgent: s('userAgent', ''),
    errorCode: typeof body.errorCode === 'string' && body.errorCode ? body.errorCode : null,
    params: obj(body.requestParameters),
    response: obj(body.responseElements),
    resources: fallback.resources,
    via,
  };
}

/** Keys a successful call minted: AssumeRole and token sessions, and access keys created. */
export function mintedBy(r: AttackRecord): MintedKey[] {
  if (r.errorCode) return [];
  const minted = (
    keyId: string,
    how: Omit<MintedKey, 'keyId' | 'mintedBy' | 'eventTime' | 'region' | 'via'>,
  ): MintedKey[] =>
    keyId
      ? [{ mintedBy: r.eventName, eventTime: r.eventTime, region: r.awsRegion, via: r.via, keyId, ...how }]
      : [];
  if (r.eventSource === 'sts.amazonaws.com')
    return minted(str(r.response, 'credentials.accessKeyId'), {
      kind: 'session',
      roleArn: str(r.params, 'roleArn') || null,
      sessionName:
        str(r.params, 'roleSessionName') ||
        str(r.params, 'name') ||
        str(r.response, 'federatedUser.arn') ||
        null,
      userName: null,
      expiry: str(r.response, 'credentials.expiration') || null,
    });
  if (r.eventSource === 'iam.amazonaws.com' && r.eventName === 'CreateAccessKey')
    return minted(str(r.response, 'accessKey.accessKeyId'), {
      kind: 'access-key',
      roleArn: null,
      sessionName: null,
      userName: str(r.response, 'accessKey.userName') || str(r.params, 'userName') || null,
      expiry: null,
    });
  return [];
}

/** How a minted key's own calls are labelled: "via role X, session key ASIA…". */
export function pathOf(m: MintedKey): string {
  const role = m.roleArn ? m.roleArn.replace(/^arn:aws[\w-]*:iam::\d+:role\//, '') : null;
  const hop =
    m.kind === 'access-key'
      ? `via access key ${m.keyId}${m.userName ? ` of user ${m.userName}` : ''}`
      : role
        ? `via role ${role}, session key ${m.keyId}`
        : `via ${m.mintedBy} session key ${m.keyId}`;
  return m.via ? `${m.via}; ${hop}` : hop;
}

const CATEGORY_ORDER: AttackCategory[] = [
  'defense-evasion',
  'access',
  'temporary-credentials',
  'execution',
  'resources',
  'data',
  'other-changes',
];

/** Worst first; within a severity by category, then oldest first. */
export function compareActions(a: AttackAction, b: AttackAction): number {
  return (
    a.severity - b.severity ||
    CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) ||
    a.eventTime.localeCompare(b.eventTime) ||
    a.eventName.localeCompare(b.eventName) ||
    a.eventId.localeCompare(b.eventId)
  );
}

function count(m: Map<string, CallCount>, r: { eventSource: string; eventName: string }, n = 1): void {
  const k = `${r.eventSource} ${r.eventName}`;
  const c = m.get(k);
  if (c) c.count += n;
  else m.set(k, { eventSource: r.eventSource, eventName: r.eventName, count: n });
}

function counted(m: Map<string, CallCount>): CountedCalls {
  const calls = [...m.values()].sort(
    (a, b) =>
      b.count - a.count || `${a.eventSource} ${a.eventName}`.localeCompare(`${b.eventSource} ${b.eventName}`),
  );
  return { total: calls.reduce((n, c) => n + c.count, 0), calls };
}

function readingOf(r: AttackRecord, read: CatalogEntry['read']): Reading {
  if (!read) return { items: [], undo: [] };
  try {
    return read({
      eventName: r.eventName,
      eventSource: r.eventSource,
      region: r.awsRegion,
      params: r.params,
      response: r.response,
      resources: r.resources,
    });
  } catch {
    // A record shaped unlike AWS's documentation still counts as the call it names.
    return { items: [], undo: [] };
  }
}

/**
 * What a call missing from the table touched: its resources, else the ids, ARNs and names in its response,
 * else in its request (a few, shallow), so "other changes" still say what changed.
 */
function namedIn(r: AttackRecord): TouchedItem[] {
  const fromResources = r.resources
    .filter((x) => x.ResourceName)
    .map((x) => ({ kind: x.ResourceType || 'resource', id: x.ResourceName }));
  if (fromResources.length > 0) return fromResources;
  const found: TouchedItem[] = [];
  const walk = (v: unknown, depth: number) => {
    if (found.length >= 3 || depth > 3 || !v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (found.length >= 3) return;
      if (typeof x === 'string' && x && /(Id|Arn|ARN|Name|Identifier)$/.test(k) && k !== 'requestId')
        found.push({ kind: k, id: x });
      else walk(x, depth + 1);
    }
  };
  walk(r.response, 0);
  if (found.length === 0) walk(r.params, 0);
  return found;
}

/** Limits on following minted keys, said in the incident. */
export const FOLLOW_DEPTH = 3;
export const FOLLOW_KEYS = 25;

/**
 * The attacker-activity digest of a key's records (and those of keys it minted, each carrying `via`).
 * keyleak's own calls must be left out by the caller.
 */
export function digestAttack(
  records: AttackRecord[],
  window: { start: string; end: string },
  followed: FollowedKey[] = [],
  notFollowed: { keyId: string; reason: string }[] = [],
): AttackDigest {
  const actions: AttackAction[] = [];
  const minted = new Map<string, MintedKey>();
  const recon = new Map<string, CallCount>();
  const denied = new Map<string, CallCount>();
  const noise = new Map<string, CallCount>();
  const seen = new Set<string>();
  for (const r of records) {
    if (r.eventId) {
      if (seen.has(r.eventId)) continue;
      seen.add(r.eventId);
    }
    for (const m of mintedBy(r)) if (!minted.has(m.keyId)) minted.set(m.keyId, m);
    const entry = entryFor(r.eventSource, r.eventName);
    const readOnly = isReadOnlyName(r.eventName);
    if (!entry && (readOnly || r.errorCode)) {
      if (!r.errorCode) count(recon, r);
      else if (isDenied(r.errorCode)) count(denied, r);
      else count(noise, r);
      continue;
    }
    const reading: Reading = entry ? readingOf(r, entry.read) : { items: namedIn(r), undo: [] };
    actions.push({
      eventId: r.eventId,
      eventTime: r.eventTime,
      eventName: r.eventName,
      eventSource: r.eventSource,
      region: r.awsRegion,
      sourceIPAddress: r.sourceIPAddress,
      userAgent: r.userAgent,
      category: entry?.category ?? 'other-changes',
      severity: entry?.severity ?? 4,
      what: entry?.what ?? 'changed',
      cite: entry?.cite ?? 'not in the table: any call that is not a read',
      failed: r.errorCode,
      via: r.via,
      items: reading.items,
      // A failed call changed nothing: nothing to undo.
      undo: r.errorCode ? [] : reading.undo,
      ...(reading.review && !r.errorCode ? { review: reading.review } : {}),
    });
  }
  return {
    window,
    actions: actions.sort(compareActions),
    minted: [...minted.values()].sort(
      (a, b) => a.eventTime.localeCompare(b.eventTime) || a.keyId.localeCompare(b.keyId),
    ),
    reconnaissance: counted(recon),
    denied: counted(denied),
    noise: counted(noise),
    followed: [...followed],
    follow: { maxDepth: FOLLOW_DEPTH, maxKeys: FOLLOW_KEYS, notFollowed: [...notFollowed] },
  };
}

function mergeCounts(a: CountedCalls, b: CountedCalls, disjoint: boolean): CountedCalls {
  const m = new Map<string, CallCount>();
  for (const c of a.calls) count(m, c, c.count);
  for (const c of b.calls) {
    const k = `${c.eventSource} ${c.eventName}`;
    const had = m.get(k);
    // Overlapping windows count the same calls twice: keep the larger count, a lower bound.
    if (had && !disjoint) had.count = Math.max(had.count, c.count);
    else count(m, c, c.count);
  }
  return counted(m);
}

/**
 * A digest covering both windows: every action and minted key of either (each once, by event id), call
 * counts added up when the windows do not overlap. Nothing the earlier digest held is lost.
 */
export function mergeDigests(earlier: AttackDigest, later: AttackDigest): AttackDigest {
  const disjoint = later.window.start >= earlier.window.end || earlier.window.start >= later.window.end;
  const actions = new Map<string, AttackAction>();
  const key = (a: AttackAction) => a.eventId || `${a.eventTime} ${a.eventSource} ${a.eventName} ${a.region}`;
  for (const a of [...earlier.actions, ...later.actions]) if (!actions.has(key(a))) actions.set(key(a), a);
  const minted = new Map<string, MintedKey>();
  for (const m of [...earlier.minted, ...later.minted]) if (!minted.has(m.keyId)) minted.set(m.keyId, m);
  const followed = new Map<string, FollowedKey>();
  for (const f of [...earlier.followed, ...later.followed]) {
    const had = followed.get(f.keyId);
    followed.set(
      f.keyId,
      had
        ? {
            ...had,
            events: disjoint ? had.events + f.events : Math.max(had.events, f.events),
            incomplete: f.incomplete ?? had.incomplete,
          }
        : f,
    );
  }
  const followedIds = new Set(followed.keys());
  const notFollowed = new Map<string, { keyId: string; reason: string }>();
  for (const n of [...earlier.follow.notFollowed, ...later.follow.notFollowed])
    if (!followedIds.has(n.keyId)) notFollowed.set(n.keyId, n);
  return {
    window: {
      start: earlier.window.start < later.window.start ? earlier.window.start : later.window.start,
      end: earlier.window.end > later.window.end ? earlier.window.end : later.window.end,
    },
    actions: [...actions.values()].sort(compareActions),
    minted: [...minted.values()].sort(
      (a, b) => a.eventTime.localeCompare(b.eventTime) || a.keyId.localeCompare(b.keyId),
    ),
    reconnaissance: mergeCounts(earlier.reconnaissance, later.reconnaissance, disjoint),
    denied: mergeCounts(earlier.denied, later.denied, disjoint),
    noise: mergeCounts(earlier.noise, later.noise, disjoint),
    followed: [...followed.values()],
    follow: { ...later.follow, notFollowed: [...notFollowed.values()] },
  };
}

/** Items the responder must remove or revert: successful actions that created or changed something. */
export function toRemove(d: AttackDigest): AttackAction[] {
  return d.actions.filter(
    (a) =>
      !a.failed &&
      a.category !== 'data' &&
      a.category !== 'temporary-credentials' &&
      a.category !== 'other-changes' &&
      (a.undo.length > 0 || a.review !== undefined),
  );
}
