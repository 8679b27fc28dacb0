import type { TrailSummary } from './cloudtrail.js';
import {
  decodeState,
  encodeState,
  GENERATED_END,
  STATE_RE,
  stepIdOf,
  stepTag,
  TAILORED_PLAN,
} from './incident-wire.js';
import type { Finding, KeyResponse, LoneSecret, Location, ResponseAction, Verification } from './types.js';
import { mdCode } from './render/escape.js';
import { messageMd } from './render/where.js';

/** The CloudTrail summary of one key, as `keyleak trail --format json` prints it. */
export type { TrailSummary };

/** The verdict an incident shows, in the words the `Status` section uses. */
export type IncidentVerdict = 'live' | 'invalid' | 'wrong secret' | 'unknown' | 'not verified';

export { GENERATED_END };

/**
 * What an incident is about: a key, by its id, or a secret found without its key id, by the secret's
 * fingerprint. A lone secret is never verified nor contained: keyleak cannot tell which key it is.
 */
export type IncidentSubject = Finding | LoneSecret;

export function isLoneSecret(s: IncidentSubject): s is LoneSecret {
  return !('keyId' in s);
}

/** The id an incident is found again by: the key id, or the lone secret's fingerprint. */
export function subjectId(s: IncidentSubject): string {
  return isLoneSecret(s) ? s.fingerprint : s.keyId;
}

export function verdictOf(f: IncidentSubject): IncidentVerdict {
  if (isLoneSecret(f)) return 'not verified';
  const s = f.verification?.status;
  if (s === 'live' || s === 'invalid' || s === 'unknown') return s;
  if (s === 'wrong-secret') return 'wrong secret';
  return 'not verified';
}

/**
 * What an incident last said, kept in a hidden comment of its body so the next run can tell what changed
 * without parsing the markdown people read.
 */
export interface IncidentState {
  /** The key id; absent in a lone secret's incident, which names its secret's fingerprint instead. */
  keyId?: string;
  /** A lone secret's fingerprint (`keyleak:v1:secret:…`). */
  secret?: string;
  /** A lone secret's redacted form, for a `/rescan` that no longer finds it; absent when withheld. */
  secretRedacted?: string;
  verdict: IncidentVerdict;
  action: ResponseAction | null;
  /** The last verification and response, so a run that cannot verify does not erase what one that could found. */
  verification: Verification | null;
  response: KeyResponse | null;
  /** Every location listed (authors by name only), so a later run can add to them. */
  locations: Location[];
  trail: StateTrail | null;
  /** The last check, ISO 8601. */
  checkedAt: string;
}

/** What the state remembers of a CloudTrail summary. `start` is absent in incidents written before it was kept. */
export interface StateTrail {
  start?: string;
  end: string;
  totalEvents: number;
  ips: string[];
  /**
   * Calls in "What the attacker did". Absent in incidents written before the digest, whose count
   * (`flagged`, a coarser list) is not comparable with it.
   */
  actions?: number;
}

export function locationKey(l: Location): string {
  return `${l.commit ?? ''}:${l.path ?? ''}:${l.line}`;
}

export function stateOf(f: IncidentSubject, trail: TrailSummary | null, checkedAt: string): IncidentState {
  const key = isLoneSecret(f) ? null : f;
  return {
    ...(key
      ? { keyId: key.keyId }
      : { secret: f.fingerprint, ...(f.secretRedacted ? { secretRedacted: f.secretRedacted } : {}) }),
    verdict: verdictOf(f),
    action: key?.response?.action ?? null,
    verification: key?.verification ?? null,
    response: key?.response ?? null,
    locations: f.locations.map((l) => ({ ...l, author: l.author?.replace(/\s*<[^>]*>\s*$/, '') ?? null })),
    trail: trail
      ? {
          start: trail.window.start,
          end: trail.window.end,
          totalEvents: trail.totalEvents,
          ips: trail.byIp.map((i) => i.ip).sort(),
          actions: trail.activity?.actions.length ?? 0,
        }
      : null,
    checkedAt,
  };
}

/** The hidden state comment of an incident body. */
export function stateComment(s: IncidentState): string {
  return encodeState(s);
}

export function readState(body: string): IncidentState | null {
  const s = decodeState(body) as IncidentState | null;
  return s && (typeof s.keyId === 'string' || typeof s.secret === 'string') && Array.isArray(s.locations)
    ? s
    : null;
}

/** The id a state names: its key id, or its lone secret's fingerprint. */
export function stateId(s: IncidentState): string | null {
  return s.keyId ?? s.secret ?? null;
}

const CHECKBOX = /^(\s*[-*] \[)([ xX])(\] )(.*)$/;

function checkboxKey(text: string): string {
  const id = stepIdOf(text);
  return id ? `id:${id}` : `text:${text.trim()}`;
}

/**
 * The finding as an incident should show it: every location ever listed, and the last verification and
 * response when this run had none (a fork pull request or a run without AWS credentials says nothing new
 * about the key).
 */
export function carryForward<S extends IncidentSubject>(f: S, before: IncidentState | null): S {
  if (!before) return f;
  if (isLoneSecret(f)) return { ...f, locations: unionLocations(before.locations, f.locations) };
  return {
    ...f,
    locations: unionLocations(before.locations, f.locations),
    verification: f.verification ?? before.verification ?? undefined,
    response: f.response ?? before.response ?? undefined,
  };
}

/** Locations of both lists, each once, oldest first. */
export function unionLocations(a: Location[], b: Location[]): Location[] {
  const m = new Map<string, Location>();
  for (const l of [...a, ...b]) if (!m.has(locationKey(l))) m.set(locationKey(l), l);
  return [...m.values()].sort(
    (x, y) =>
      (x.date && y.date ? Date.parse(x.date) - Date.parse(y.date) : 0) ||
      locationKey(x).localeCompare(locationKey(y)),
  );
}

/** Keys of `next` locations that `prev` did not list. */
export function newLocations(prev: Location[], next: Location[]): Location[] {
  const seen = new Set(prev.map(locationKey));
  return next.filter((l) => !seen.has(locationKey(l)));
}

const TRAIL_HEADING = '## CloudTrail activity';
const HISTORY_HEADING = '## Remove it from history';
const ATTACK_HEADING = '## What the attacker did';

/** A section of a body: from its heading to the next section or the end of the generated part. */
function sectionSpan(body: string, heading: string): [number, number] | null {
  const start = body.indexOf(`\n${heading}\n`);
  if (start < 0) return null;
  const from = start + 1;
  const next = body.indexOf('\n## ', from + heading.length);
  const end = body.indexOf(GENERATED_END, from);
  const stop = [next >= 0 ? next + 1 : -1, end].filter((i) => i >= 0);
  return [from, stop.length > 0 ? Math.min(...stop) : body.length];
}

/** `regenerated` with the section under `heading` taken from `previous`, when both have it. */
function keepSection(previous: string, regenerated: string, heading: string): string {
  const old = sectionSpan(previous, heading);
  const now = sectionSpan(regenerated, heading);
  if (!old || !now) return regenerated;
  return regenerated.slice(0, now[0]) + previous.slice(old[0], old[1]) + regenerated.slice(now[1]);
}

/**
 * Which CloudTrail summary an incident should show after a refresh. A summary replaces the earlier one
 * only when its window reaches back at least as far, so nothing an earlier run saw (an attacker's IPs,
 * flagged calls) drops out of the issue: a run without credentials, or one whose window no longer reaches
 * the earlier start (LookupEvents keeps 90 days), keeps the earlier summary.
 */
export function chooseTrail(earlier: StateTrail | null, now: TrailSummary | null): 'now' | 'earlier' {
  if (!earlier) return 'now';
  if (!now) return 'earlier';
  if (earlier.start === undefined) return 'now';
  return Date.parse(now.window.start) <= Date.parse(earlier.start) ? 'now' : 'earlier';
}

/**
 * `regenerated` keeping the CloudTrail summary an earlier run wrote (see `chooseTrail`): its CloudTrail and
 * "What the attacker did" sections, the runbook steps they were evidence for, and in the state the earlier
 * summary.
 */
export function keepEarlierTrail(previous: string, regenerated: string, trail: StateTrail): string {
  if (!sectionSpan(previous, TRAIL_HEADING) || !sectionSpan(regenerated, TRAIL_HEADING)) return regenerated;
  let body = keepSection(previous, regenerated, TRAIL_HEADING);
  // The attacker's activity goes back where it stood: before "Where it leaked".
  const attack = sectionSpan(previous, ATTACK_HEADING);
  if (attack) {
    if (sectionSpan(body, ATTACK_HEADING)) body = keepSection(previous, body, ATTACK_HEADING);
    else {
      const where = body.indexOf('\n## Where it leaked\n');
      if (where >= 0)
        body = body.slice(0, where + 1) + previous.slice(attack[0], attack[1]) + body.slice(where + 1);
    }
  }
  // The runbook steps the summary was evidence for keep their evidence too.
  for (const id of ['access', 'resources']) {
    const tag = stepTag(id);
    const step = (b: string) => b.split('\n').find((l) => l.includes(tag));
    const [was, is] = [step(previous), step(body)];
    if (was && is) body = body.replace(is, () => was);
  }
  const state = readState(body);
  if (state) body = body.replace(STATE_RE, () => stateComment({ ...state, trail }));
  return body;
}

/** Whether a body's history-rewrite section was built from the repository itself. */
export function hasTailoredPlan(body: string): boolean {
  const span = sectionSpan(body, HISTORY_HEADING);
  return span !== null && body.slice(span[0], span[1]).includes(TAILORED_PLAN);
}

/**
 * `regenerated` keeping the tailored history-rewrite plan of `previous` when this run could only write
 * the generic one (the secret is no longer in the history it scanned, or the plan could not be built).
 */
export function keepTailoredPlan(previous: string, regenerated: string): string {
  if (!hasTailoredPlan(previous) || hasTailoredPlan(regenerated)) return regenerated;
  return keepSection(previous, regenerated, HISTORY_HEADING);
}

/**
 * Merges a regenerated body into the one a person may have edited: every checkbox ticked in `previous`
 * stays ticked (matched by its step id, or by its text), and notes below the generated part are kept.
 */
export function mergeIncidentBody(previous: string, regenerated: string): string {
  const ticked = new Set<string>();
  for (const line of previous.split('\n')) {
    const m = CHECKBOX.exec(line);
    if (m && m[2] !== ' ') ticked.add(checkboxKey(m[4]!));
  }
  const merged = regenerated
    .split('\n')
    .map((line) => {
      const m = CHECKBOX.exec(line);
      if (m && m[2] === ' ' && ticked.has(checkboxKey(m[4]!))) return `${m[1]}x${m[3]}${m[4]}`;
      return line;
    })
    .join('\n');
  const cut = previous.indexOf(GENERATED_END);
  if (cut < 0) return merged;
  const notes = previous.slice(cut + GENERATED_END.length);
  const mine = merged.indexOf(GENERATED_END);
  return mine < 0 ? merged : merged.slice(0, mine + GENERATED_END.length) + notes;
}

/** A location for a comment's sentence: repository text as code, a message named as a commit's or a tag's. */
function describeLocation(l: Location): string {
  const where = l.path !== null ? `${mdCode(l.path)}:${l.line}` : `the ${messageMd(l)}`;
  return l.commit ? `${where} in ${mdCode(l.commit.slice(0, 12))}` : where;
}

/**
 * What changed between two states, one sentence each, for the single comment an update adds. Empty when
 * nothing did (a rerun over the same history changes nothing). `checkedAt` alone is not a change.
 */
export function describeChanges(before: IncidentState | null, after: IncidentState): string[] {
  if (!before) return [];
  const out: string[] = [];
  if (before.verdict !== after.verdict)
    out.push(`Status changed from **${before.verdict}** to **${after.verdict}**.`);
  // `none` is what an unverifiable key gets: not worth a comment when there was nothing before either.
  if (
    before.action !== after.action &&
    after.action !== null &&
    !(after.action === 'none' && before.action === null)
  ) {
    out.push(`Containment changed from **${before.action ?? 'nothing'}** to **${after.action}**.`);
  }
  const seen = new Set(before.locations.map(locationKey));
  const added = after.locations.filter((l) => !seen.has(locationKey(l)));
  if (added.length > 0) {
    const shown = added.slice(0, 10).map(describeLocation);
    out.push(
      `Found in ${added.length} new location${added.length === 1 ? '' : 's'}: ${shown.join(', ')}${added.length > 10 ? ', …' : ''}.`,
    );
  }
  if (after.trail) {
    const prev = before.trail;
    const ips = new Set(prev?.ips ?? []);
    const newIps = after.trail.ips.filter((ip) => !ips.has(ip));
    const newEvents = after.trail.totalEvents - (prev?.totalEvents ?? 0);
    if (!prev) out.push(`CloudTrail summarised: ${after.trail.totalEvents} events.`);
    else if (newEvents > 0) out.push(`CloudTrail: ${newEvents} new events since the last check.`);
    if (newIps.length > 0) out.push(`New source IPs: ${newIps.map((i) => mdCode(i)).join(', ')}.`);
    const actions = after.trail.actions ?? 0;
    // An incident written before the digest has no comparable count: its body now lists every action.
    const newActions = prev && prev.actions === undefined ? 0 : actions - (prev?.actions ?? 0);
    if (newActions > 0)
      out.push(
        `${newActions} new attacker action${newActions === 1 ? '' : 's'} (see What the attacker did).`,
      );
  }
  return out;
}
