/**
 * The incident's wire format: the hidden parts of an issue body that keyleak reads back on the next run.
 * Everything that writes or parses them lives here, so the format changes in one place.
 *
 * - the marker (`<!-- keyleak:incident {"keyId":…} -->`, or `{"secret":"keyleak:v1:secret:…"}` for a
 *   secret found without its key id), by which an incident is found again;
 * - the state (`<!-- keyleak:state {…} -->`), what the incident last said;
 * - a step id (`<!-- keyleak:step access -->`) at the end of each runbook checkbox, so a tick survives
 *   a reworded step;
 * - the plan mark (`<!-- keyleak:plan tailored -->`), set when the history-rewrite section was built from
 *   the repository itself rather than the generic text;
 * - the end marker, after which everything belongs to people;
 * - the refusal mark on a reply to a command that was not carried out, so one user gets one reply per issue.
 */

const MARKER_RE = /<!--\s*keyleak:incident\s+(\{[^\n]*?\})\s*-->/;
export const STATE_RE = /<!--\s*keyleak:state\s+(\{[^\n]*?\})\s*-->/;
const STEP_RE = /<!-- keyleak:step ([\w-]+) -->/;

/** How a lone secret's fingerprint begins; a key id never does. */
const SECRET_FINGERPRINT = /^keyleak:v1:secret:[0-9a-f]{32}$/;

/** Whether an incident id is a lone secret's fingerprint (the other ids are key ids). */
export function isSecretFingerprint(id: string): boolean {
  return SECRET_FINGERPRINT.test(id);
}

/**
 * The hidden marker an incident issue is found again by, from its id: a key id, or the fingerprint of a
 * secret found without its key id.
 */
export function incidentMarker(id: string): string {
  const subject = isSecretFingerprint(id) ? { secret: id } : { keyId: id };
  return `<!-- keyleak:incident ${JSON.stringify(subject)} -->`;
}

/**
 * The id in an incident body's hidden marker — the key id, or a lone secret's fingerprint — or null when
 * the body carries none (or a malformed one).
 */
export function incidentId(body: string | null | undefined): string | null {
  const m = MARKER_RE.exec(body ?? '');
  if (!m) return null;
  try {
    const v = JSON.parse(m[1]!) as { keyId?: unknown; secret?: unknown };
    if (typeof v.keyId === 'string') return v.keyId;
    return typeof v.secret === 'string' && isSecretFingerprint(v.secret) ? v.secret : null;
  } catch {
    return null;
  }
}

/** The key id in an incident body's hidden marker, or null when it names none (a lone secret's names none). */
export function incidentKeyId(body: string | null | undefined): string | null {
  const id = incidentId(body);
  return id !== null && !isSecretFingerprint(id) ? id : null;
}

/** The hidden state comment. `--` is escaped so no value can end the HTML comment early. */
export function encodeState(state: object): string {
  return `<!-- keyleak:state ${JSON.stringify(state).replace(/--/g, '\\u002d\\u002d')} -->`;
}

/** The raw state object of a body, or null when there is none or it does not parse. */
export function decodeState(body: string): Record<string, unknown> | null {
  const m = STATE_RE.exec(body);
  if (!m) return null;
  try {
    const v = JSON.parse(m[1]!) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The id tag ending a runbook checkbox. */
export function stepTag(id: string): string {
  return `<!-- keyleak:step ${id} -->`;
}

/** The step id a checkbox's text carries, or null. */
export function stepIdOf(text: string): string | null {
  return STEP_RE.exec(text)?.[1] ?? null;
}

/** Marks a history-rewrite section built from the repository (commits, refs, pull requests) itself. */
export const TAILORED_PLAN = '<!-- keyleak:plan tailored -->';

/** Everything after this line of an incident body belongs to people and survives every refresh. */
export const GENERATED_END =
  '<!-- keyleak:end: notes below this line are kept when keyleak updates the issue -->';

/** Ends a reply refusing a command, naming who it answered so nobody gets a second one on the same issue. */
export function refusalTag(user: string): string {
  return `<!-- keyleak:refused ${JSON.stringify({ user: user.toLowerCase() })} -->`;
}
