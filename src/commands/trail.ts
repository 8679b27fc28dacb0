import { writeFile } from 'node:fs/promises';
import { AwsCallError } from '../adapters/aws-errors.js';
import type { AccountSession, Aws } from '../adapters/aws.js';
import {
  FOLLOW_DEPTH,
  FOLLOW_KEYS,
  attackRecordOf,
  mintedBy,
  pathOf,
  type FollowedKey,
  type MintedKey,
} from '../core/attack-digest.js';
import {
  defaultWindow,
  digestTrail,
  matchesFilter,
  parsed,
  recordOf,
  type TrailEvent,
  type TrailFilter,
  type TrailSummary,
} from '../core/cloudtrail.js';
import { UsageError } from '../core/errors.js';
import { accountIdFromKeyId } from '../core/keyid.js';
import { renderEventsOut, renderTrailJson, renderTrailText, renderTrailTsv } from '../core/render/trail.js';
import type { TrailSettings } from '../settings.js';
import { AccountSessions, type Outcome } from './sessions.js';

export interface TrailDeps {
  aws: Aws;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Least time between two LookupEvents calls in one region. AWS admits 2 per second; 600 ms leaves room
   * for requests that arrive closer together than they were sent.
   */
  minIntervalMs?: number;
  /** First pause after a throttled or failed page; doubles each attempt. */
  backoffBaseMs?: number;
  /** Attempts per page before the region is declared incomplete. */
  maxAttempts?: number;
  log?: (line: string) => void;
}

export interface TrailResult {
  summary: TrailSummary;
  /** The session that read the trail, for what follows from it (containment, cost). */
  session: AccountSession;
  /** Every event read, with the region it was read in, in the order LookupEvents returned them. */
  events: { region: string; event: TrailEvent }[];
}

/** Where IAM and global STS events land; always read. */
export const HOME_REGION = 'us-east-1';

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Worth another attempt: throttling, 5xx, timeouts, dropped connections. Not: access denied, bad input.
function transient(e: unknown): boolean {
  if (!(e instanceof AwsCallError)) return false;
  const f = e.failure;
  if (f.kind !== 'aws') return true;
  if (
    f.code &&
    /Throttl|RequestLimitExceeded|TooManyRequests|ServiceUnavailable|InternalFailure|InternalError/.test(
      f.code,
    )
  )
    return true;
  return f.httpStatus !== null && f.httpStatus >= 500;
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What to read of a key's CloudTrail: its id, the window, and the regions besides us-east-1. */
export interface TrailQuery {
  keyId: string;
  start: Date;
  end: Date;
  regions: 'all' | string[];
  /** Also read the events of sessions and access keys the key minted. */
  follow: boolean;
  /** Keep only the events matching this (the runbook's jq recipes), or all. */
  filter: TrailFilter | null;
}

/**
 * The window to read: from `since` (default: a day before first exposure, at most 90 days back, which is
 * all LookupEvents keeps) to `until` (default: now).
 */
export function trailWindow(
  w: { since: string | null; until: string | null; firstExposure: string | null },
  now: Date,
): { start: Date; end: Date } {
  const end = w.until ? new Date(w.until) : now;
  const start = w.since ? new Date(w.since) : defaultWindow(end, w.firstExposure).start;
  if (start > end)
    throw new UsageError(`--since ${start.toISOString()} is after --until ${end.toISOString()}`);
  return { start, end };
}

/**
 * `keyleak trail`: the window from the settings, the session from the role template (or the default
 * credentials), then `readTrail`.
 */
export async function runTrail(s: TrailSettings, deps: TrailDeps): Promise<TrailResult> {
  const { start, end } = trailWindow(s, (deps.now ?? (() => new Date()))());
  const sessions = new AccountSessions(deps.aws, s.roleTemplate);
  let session: Outcome<AccountSession>;
  if (s.roleTemplate !== null) {
    const accountId = accountIdFromKeyId(s.keyId);
    if (accountId === null) {
      throw new UsageError(
        `cannot tell the account of ${s.keyId} offline, so --role-template cannot name a role`,
      );
    }
    session = await sessions.assumedSession(accountId);
  } else {
    session = await sessions.ownSession();
  }
  if (!session.ok) throw session.error;
  return readTrail(
    session.value,
    { keyId: s.keyId, start, end, regions: s.regions, follow: s.follow, filter: s.filter },
    deps,
  );
}

/**
 * Reads every CloudTrail management event of a key in us-east-1 and the chosen (default: every enabled)
 * region, all pages, paced per region and backing off on throttling, and digests them. A region that
 * cannot be read is listed in `incompleteRegions`, never silently skipped.
 */
export async function readTrail(
  session: AccountSession,
  q: TrailQuery,
  deps: Omit<TrailDeps, 'aws' | 'now'>,
): Promise<TrailResult> {
  const sleep = deps.sleep ?? sleepFor;
  const minInterval = deps.minIntervalMs ?? 600;
  const backoff = deps.backoffBaseMs ?? 500;
  const attempts = Math.max(1, deps.maxAttempts ?? 8);
  const log = deps.log ?? (() => {});
  const { start, end } = q;
  const s = q;

  const incomplete: { region: string; reason: string }[] = [];
  let regions: string[];
  if (s.regions === 'all') {
    regions = [HOME_REGION];
    try {
      regions.push(...(await session.enabledRegions()));
    } catch (e) {
      incomplete.push({
        region: 'other enabled regions',
        reason: `could not list enabled regions: ${reasonOf(e)}`,
      });
    }
  } else regions = [HOME_REGION, ...s.regions];
  regions = [...new Set(regions)];

  // Reads every page of one key's events in one region; a region that cannot be read is said, not skipped.
  async function readRegion(
    keyId: string,
    region: string,
    got: { region: string; event: TrailEvent }[],
    incompleteFor: { region: string; reason: string }[],
  ): Promise<void> {
    let nextToken: string | null = null;
    let last = -Infinity;
    for (;;) {
      let page = null;
      for (let attempt = 1; page === null; attempt++) {
        const wait = last + minInterval - Date.now();
        if (wait > 0) await sleep(wait);
        last = Date.now();
        try {
          page = await session.lookupEvents(region, { keyId, start, end, nextToken, maxResults: 50 });
        } catch (e) {
          if (!transient(e) || attempt >= attempts) {
            incompleteFor.push({
              region,
              reason: `${reasonOf(e)}${transient(e) ? ` (gave up after ${attempt} attempts)` : ''}; ${got.length} events read before`,
            });
            return;
          }
          const pause = Math.min(backoff * 2 ** (attempt - 1), 20_000);
          log(`${region}: ${reasonOf(e)}; retrying in ${pause} ms`);
          await sleep(pause);
        }
      }
      for (const event of page.events) got.push({ region, event });
      if (!page.nextToken) return;
      nextToken = page.nextToken;
    }
  }

  // Regions are independent (the limit is per region), so they are read side by side, a few at a time.
  async function readKey(keyId: string, incompleteFor: { region: string; reason: string }[]) {
    const perRegion = new Map<string, { region: string; event: TrailEvent }[]>();
    const queue = [...regions];
    await Promise.all(
      Array.from({ length: Math.min(4, queue.length) }, async () => {
        for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
          const got: { region: string; event: TrailEvent }[] = [];
          perRegion.set(r, got);
          await readRegion(keyId, r, got, incompleteFor);
        }
      }),
    );
    return regions.flatMap((r) => perRegion.get(r) ?? []);
  }

  const events: { region: string; event: TrailEvent; via?: string | null }[] = await readKey(
    s.keyId,
    incomplete,
  );

  // Follow the credentials: sessions the key minted and access keys created with it are read by their
  // own key ids, breadth first, as deep and as many as FOLLOW_DEPTH and FOLLOW_KEYS allow.
  const followed: FollowedKey[] = [];
  const notFollowed: { keyId: string; reason: string }[] = [];
  if (s.follow) {
    const known = new Set([s.keyId]);
    let frontier = mintedIn(events, null);
    for (let depth = 1; frontier.length > 0; depth++) {
      const next: MintedKey[] = [];
      for (const m of frontier) {
        if (known.has(m.keyId)) continue;
        known.add(m.keyId);
        if (depth > FOLLOW_DEPTH) {
          notFollowed.push({ keyId: m.keyId, reason: `deeper than ${FOLLOW_DEPTH} hops` });
          continue;
        }
        if (followed.length >= FOLLOW_KEYS) {
          notFollowed.push({ keyId: m.keyId, reason: `more than ${FOLLOW_KEYS} keys to follow` });
          continue;
        }
        const via = pathOf(m);
        const missing: { region: string; reason: string }[] = [];
        const got = (await readKey(m.keyId, missing)).map((e) => ({ ...e, via }));
        log(`${m.keyId}: ${got.length} events (${via})`);
        events.push(...got);
        followed.push({
          keyId: m.keyId,
          via,
          events: got.length,
          incomplete: missing.length > 0 ? missing.map((x) => `${x.region}: ${x.reason}`).join('; ') : null,
        });
        next.push(...mintedIn(got, via));
      }
      frontier = next;
    }
  }

  const filtered = s.filter ? events.filter((e) => matchesFilter(e.event, e.region, s.filter!)) : events;
  const summary = digestTrail({
    keyId: s.keyId,
    window: { start: start.toISOString(), end: end.toISOString() },
    regions,
    events: filtered,
    incompleteRegions: incomplete,
    followed,
    notFollowed,
  });
  return { summary, events: filtered, session };
}

/** Keys minted by the successful calls among `events`, labelled with the path that led to them. */
function mintedIn(events: { region: string; event: TrailEvent }[], via: string | null): MintedKey[] {
  return events.flatMap(({ region, event }) => {
    const r = recordOf(event, region);
    return mintedBy(
      attackRecordOf(
        parsed(event),
        { ...r, eventId: event.EventId, region, resources: event.Resources ?? [] },
        via,
      ),
    );
  });
}

/** 0 when every region was read, 1 when some could not be. */
export function trailExitCode(summary: TrailSummary): number {
  return summary.incompleteRegions.length > 0 ? 1 : 0;
}

export function renderTrail(r: TrailResult, format: TrailSettings['format']): string {
  if (format === 'json') return renderTrailJson(r.summary);
  if (format === 'tsv') return renderTrailTsv(r.events);
  return renderTrailText(r.summary);
}

export async function writeEventsOut(r: TrailResult, file: string): Promise<void> {
  try {
    await writeFile(file, renderEventsOut(r.events));
  } catch (e) {
    throw new UsageError(
      `cannot write --events-out '${file}': ${(e as NodeJS.ErrnoException).code ?? reasonOf(e)}`,
    );
  }
}
