import type { Git } from '../adapters/git.js';
import { UsageError } from '../core/errors.js';
import type { ScanReport } from '../core/types.js';
import { DEFAULT_RUNBOOK_TEMPLATE } from '../core/render/incident.js';
import { configForChange, contactsForChange, scanChange } from './change-config.js';
import { emptyReport } from '../scan/result.js';
import { refreshRepositoryIncidents } from './incidents.js';
import type { FlowDeps, FlowResult } from './ports.js';

const ZERO = /^0{40}$/;
const SHA = /^[0-9a-f]{40}$/;

/** The fields of a push payload keyleak reads. The capped `commits` list is deliberately not one of them. */
export interface PushEvent {
  ref: string;
  before: string;
  after: string;
  /** The ref is new: the event says so, or names no previous commit (`before` all zeros). */
  created: boolean;
  /** The event itself says the ref was created. */
  announcedCreated: boolean;
  deleted: boolean;
  forced: boolean;
  /** The repository's default branch (full ref name), when the payload names it. */
  defaultBranch: string | null;
}

/** Validates a push payload. Pure. */
export function parsePushEvent(payload: Record<string, unknown>): PushEvent {
  const before = String(payload.before ?? '');
  const after = String(payload.after ?? '');
  const ref = String(payload.ref ?? '');
  if (!SHA.test(before) || !SHA.test(after)) {
    throw new UsageError(`malformed push event: 'before' and 'after' must be 40-character commit SHAs`);
  }
  if (!ref.startsWith('refs/'))
    throw new UsageError(`malformed push event: 'ref' must be a full ref name, got '${ref}'`);
  const repo = payload.repository as { default_branch?: unknown } | undefined;
  const def = typeof repo?.default_branch === 'string' ? repo.default_branch : '';
  return {
    ref,
    before,
    after,
    created: payload.created === true || ZERO.test(before),
    announcedCreated: payload.created === true,
    deleted: payload.deleted === true || ZERO.test(after),
    forced: payload.forced === true,
    defaultBranch: def && !def.startsWith('-') ? `refs/heads/${def}` : null,
  };
}

/** What to scan for a push: objects reachable from `include` and not from `exclude`. */
export type PushPlan =
  | { kind: 'nothing'; reason: string }
  | {
      kind: 'range';
      include: string[];
      exclude: string[];
      /** Set when the range is known to be complete although the clone stays shallow. */
      coveredDespiteShallow: boolean;
      notes: string[];
    };

const DEEPEN_STEPS = [50, 500];

/** A ref's name as every run spells it: origin's branches are the repository's branches. */
function canonicalRef(ref: string): string {
  return ref.replace(/^refs\/remotes\/origin\//, 'refs/heads/');
}

/**
 * Where a ref stands among refs at the same commit: the default branch first, then branches, then tags,
 * then by name. Every run ranks the same refs the same way, so of two refs created at one commit by the
 * same push exactly one scans it.
 */
function rank(ref: string, defaultBranch: string | null): [number, string] {
  if (ref === defaultBranch) return [0, ref];
  return [ref.startsWith('refs/heads/') ? 1 : 2, ref];
}

function before(a: [number, string], b: [number, string]): boolean {
  return a[0] !== b[0] ? a[0] < b[0] : a[1] < b[1];
}

/**
 * What a run that cannot tell what its ref held before the push may leave out: a created ref, or a force
 * push whose replaced commit cannot be fetched. Several refs pushed at once start one run each, in any
 * order, and each sees the others already moved; so a run leaves out only history another run is sure
 * to scan:
 * - the default branch's: every commit it ever held was scanned by the run of the push that brought it
 *   (its creation scans its whole history, each update `before..after`);
 * - branches whose tips are strict ancestors of the pushed commit, and branches at the same commit
 *   ranked before this one: among the refs holding a new commit, the lowest in that order excludes none
 *   of the others, and scans it.
 * Other refs, however old, are kept: the run cannot tell them from refs created or moved by the same
 * push, and scans more rather than less. So are tags: GitHub starts no run for the tags of a push of more
 * than three. The default branch itself leans on no one.
 */
async function coveredElsewhere(git: Git, ev: PushEvent): Promise<string[]> {
  const self = canonicalRef(ev.ref);
  if (self === ev.defaultBranch) return [];
  const me = rank(self, ev.defaultBranch);
  const refs = await git.refs();
  const merged = new Set(await git.refsMergedInto(ev.after));
  const pushed = await git.resolveCommit(ev.after);
  const exclude = new Set<string>();
  for (const r of refs) {
    const name = canonicalRef(r.ref);
    if (name === self || name.startsWith('refs/tags/')) continue;
    if (name === ev.defaultBranch) exclude.add(r.sha);
    else if (merged.has(r.ref) && (r.sha !== pushed || before(rank(name, ev.defaultBranch), me)))
      exclude.add(r.sha);
  }
  return [...exclude];
}

/**
 * The range of a ref whose previous state is unknown, and what it covers, said after `lead` (what the
 * push was). Every branch is fetched first: the other refs decide what is new.
 */
async function unknownStartRange(
  git: Git,
  ev: PushEvent,
  lead: string,
  notes: string[],
  log: (m: string) => void,
): Promise<PushPlan> {
  await git.fetchWholeHistory('the other branches tell what the ref brings', log, { always: true });
  const exclude = await coveredElsewhere(git, ev);
  notes.push(
    exclude.length === 0
      ? `${lead}: scanned its whole history, as no other ref is known to be scanned on its own`
      : `${lead}: scanned the commits that neither the default branch nor the branches it builds on hold; their commits are scanned by their own pushes and were not scanned again`,
  );
  return { kind: 'range', include: [ev.after], exclude, coveredDespiteShallow: false, notes };
}

/** Fetches `shas` from origin when the clone lacks them; returns false when it could not. */
async function ensureCommits(git: Git, shas: string[], log: (m: string) => void): Promise<boolean> {
  const missing: string[] = [];
  for (const s of shas) if (!(await git.hasCommit(s))) missing.push(s);
  if (missing.length === 0) return true;
  if (!(await git.hasRemote())) return false;
  try {
    log(`fetching ${missing.map((s) => s.slice(0, 12)).join(', ')} from origin`);
    await git.fetchCommits(missing);
  } catch (e) {
    log((e as Error).message);
    return false;
  }
  for (const s of missing) if (!(await git.hasCommit(s))) return false;
  return true;
}

/**
 * Decides what a push brought in, fetching what the checkout lacks. `before..after` for an ordinary
 * push (deepening a shallow checkout just enough to reach `before`) and for a force push; for a new ref,
 * or a force push whose `before` cannot be fetched, what no ref scanned on its own holds
 * (`coveredElsewhere`); nothing for a deleted ref. Each plan's notes say what was and was not scanned.
 * Fails with the reason rather than scan too little.
 */
export async function planPush(git: Git, ev: PushEvent, log: (m: string) => void): Promise<PushPlan> {
  if (ev.deleted) {
    return {
      kind: 'nothing',
      reason: `the push deleted ${ev.ref}${ZERO.test(ev.before) ? '' : ` (it was at ${ev.before.slice(0, 12)})`}: a deletion brings no commits, so nothing was scanned, and the commits the ref held were not scanned again`,
    };
  }
  if (!(await ensureCommits(git, [ev.after], log))) {
    throw new Error(
      `the pushed commit ${ev.after} is not in the checkout and could not be fetched from origin`,
    );
  }
  const notes: string[] = [];

  if (ev.created) {
    if (!ev.announcedCreated) {
      notes.push(
        `the push event gives no previous commit for ${ev.ref} (before is all zeros) but does not say it was created: it is scanned as a new one`,
      );
    }
    const what = ev.ref.startsWith('refs/tags/')
      ? (await git.isTagObject(ev.after))
        ? `new annotated tag ${ev.ref} (its message included)`
        : `new tag ${ev.ref}`
      : `new ${ev.ref.startsWith('refs/heads/') ? 'branch' : 'ref'} ${ev.ref}`;
    return unknownStartRange(git, ev, what, notes, log);
  }

  if (ev.forced) {
    // What the force push replaced is not an ancestor of `after`: the whole graph is needed to tell
    // what is new, and the replaced commits stay fetchable by SHA on GitHub.
    await git.fetchWholeHistory('a force push is compared with the commits it replaced', log);
    if (await ensureCommits(git, [ev.before], log)) {
      notes.push(`force push: scanning what ${ev.after.slice(0, 12)} adds to ${ev.before.slice(0, 12)}`);
      return {
        kind: 'range',
        include: [ev.after],
        exclude: [ev.before],
        coveredDespiteShallow: false,
        notes,
      };
    }
    // What the ref held before is unknown: it is treated as new. Excluding every other ref here would
    // let the refs this same push created or moved hide the commits it brought.
    return unknownStartRange(
      git,
      ev,
      `force push of ${ev.ref}: the replaced commit ${ev.before.slice(0, 12)} could not be fetched, so what the push replaced is unknown`,
      notes,
      log,
    );
  }

  // An ordinary push: deepen step by step until `before` is reached, then, if need be, all the way.
  if (await git.isShallow()) {
    for (const depth of DEEPEN_STEPS) {
      if ((await git.hasCommit(ev.before)) && (await git.isAncestor(ev.before, ev.after))) break;
      log(`the checkout is shallow: deepening it by ${depth} commits to reach ${ev.before.slice(0, 12)}`);
      try {
        await git.deepen(depth, ev.after);
      } catch (e) {
        throw new Error(
          `the checkout is shallow and could not be deepened to cover ${ev.before.slice(0, 12)}..${ev.after.slice(0, 12)}: ${(e as Error).message}. Use fetch-depth: 0 on actions/checkout.`,
        );
      }
    }
    if (!((await git.hasCommit(ev.before)) && (await git.isAncestor(ev.before, ev.after)))) {
      await git.fetchWholeHistory(
        `${ev.before.slice(0, 12)} is further back than ${DEEPEN_STEPS.at(-1)} commits`,
        log,
      );
    }
  }
  if (!(await ensureCommits(git, [ev.before], log))) {
    throw new Error(
      `the push's starting commit ${ev.before} is not in the checkout and could not be fetched from origin`,
    );
  }
  if (!(await git.isAncestor(ev.before, ev.after))) {
    notes.push(
      `${ev.before.slice(0, 12)} is not an ancestor of ${ev.after.slice(0, 12)}: scanning what the push adds to it`,
    );
  }
  return {
    kind: 'range',
    include: [ev.after],
    exclude: [ev.before],
    coveredDespiteShallow: await git.isShallow(),
    notes,
  };
}

const SHALLOW_WARNING = /^shallow clone:/;

/**
 * The scanner flags any shallow clone as incomplete. When the plan has checked that `before` is an
 * ancestor inside the fetched graph, the range is whole and that warning does not apply.
 */
export function dropCoveredShallowWarning(report: ScanReport): ScanReport {
  const warnings = report.warnings.filter((w) => !SHALLOW_WARNING.test(w));
  const onlyShallow = report.warnings.length > 0 && warnings.length === report.warnings.length - 1;
  return {
    ...report,
    warnings,
    incomplete: onlyShallow && warnings.length === 0 ? false : report.incomplete,
  };
}

/** The tip of the repository's default branch as origin has it, when the checkout knows it. */
async function defaultBranchTip(git: Git, payload: Record<string, unknown>): Promise<string | null> {
  const name = (payload.repository as { default_branch?: unknown } | undefined)?.default_branch;
  if (typeof name !== 'string' || name === '') return null;
  return git.resolveCommit(`refs/remotes/origin/${name}`).catch(() => null);
}

/** The push flow: scan what the push brought in, respond, open or refresh incidents. */
export async function runPush(deps: FlowDeps, payload: Record<string, unknown>): Promise<FlowResult> {
  const ev = parsePushEvent(payload);
  const plan = await planPush(deps.git, ev, deps.log);
  if (plan.kind === 'nothing') {
    deps.log(plan.reason);
    return { report: emptyReport(), issues: [], notes: [`${plan.reason}.`], problems: [] };
  }
  for (const n of plan.notes) deps.log(n);
  // The push may edit the config: the one at `before` governs it (a new branch, or a `before` that could
  // not be fetched: the default branch's).
  const before =
    !ev.created && (await deps.git.hasCommit(ev.before))
      ? ev.before
      : await defaultBranchTip(deps.git, payload);
  const { config, warnings } = deps.configPath
    ? await configForChange(deps.git, deps.configPath, { before, after: ev.after, what: 'push' })
    : { config: deps.config, warnings: [] };
  const { result, warnings: markers } = await scanChange(
    deps.git,
    { include: plan.include, exclude: plan.exclude },
    { before, what: 'push' },
    config,
  );
  result.report.warnings.push(...warnings, ...markers);
  deps.mask(result.secrets);
  if (plan.coveredDespiteShallow) result.report = dropCoveredShallowWarning(result.report);
  const responded = await deps.responder.respond(result, {});
  // The push may edit the runbook template too: the one at `before` goes into its incidents.
  const { contacts, warnings: runbook } =
    deps.contactsPath && responded.report.findings.length + (responded.report.loneSecrets ?? []).length > 0
      ? await contactsForChange(
          deps.git,
          deps.contactsPath,
          { before, after: ev.after, what: 'push' },
          DEFAULT_RUNBOOK_TEMPLATE,
        )
      : { contacts: deps.contacts, warnings: [] };
  responded.report.warnings.push(...runbook);
  const { upserts, problems } = await refreshRepositoryIncidents({ ...deps, contacts }, responded, {
    forcePush: ev.forced ? { before: ev.before, after: ev.after } : null,
    secrets: result.secrets,
  });
  return {
    report: responded.report,
    issues: upserts.map((u) => u.number),
    incidents: upserts,
    trails: responded.trails,
    notes: [...plan.notes, ...upserts.map((u) => `Incident #${u.number} for ${u.keyId}: ${u.outcome}.`)],
    problems,
  };
}
