import { fetchOrigin, hasCommit, hasRemote, isAncestor, listRefs } from '../adapters/git-remote.js';
import type { Git } from '../adapters/git.js';
import { UsageError } from '../core/errors.js';
import type { ScanReport } from '../core/types.js';
import { configForChange, scanChange } from './change-config.js';
import { refreshRepositoryIncidents } from './incidents.js';
import type { FlowDeps, FlowResult } from './ports.js';

const ZERO = /^0{40}$/;
const SHA = /^[0-9a-f]{40}$/;

/** The fields of a push payload keyleak reads. The capped `commits` list is deliberately not one of them. */
export interface PushEvent {
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
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
  return {
    ref,
    before,
    after,
    created: payload.created === true || ZERO.test(before),
    deleted: payload.deleted === true || ZERO.test(after),
    forced: payload.forced === true,
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

/** Fetches `shas` from origin when the clone lacks them; returns false when it could not. */
async function ensureCommits(git: Git, shas: string[], log: (m: string) => void): Promise<boolean> {
  const missing: string[] = [];
  for (const s of shas) if (!(await hasCommit(git, s))) missing.push(s);
  if (missing.length === 0) return true;
  if (!(await hasRemote(git))) return false;
  try {
    log(`fetching ${missing.map((s) => s.slice(0, 12)).join(', ')} from origin`);
    await fetchOrigin(git, ['origin', ...missing]);
  } catch (e) {
    log((e as Error).message);
    return false;
  }
  for (const s of missing) if (!(await hasCommit(git, s))) return false;
  return true;
}

async function unshallow(git: Git, log: (m: string) => void, why: string): Promise<void> {
  if (!(await git.isShallow())) return;
  log(`the checkout is shallow: fetching the whole history (${why})`);
  if (!(await hasRemote(git))) {
    throw new Error(
      `the checkout is shallow and has no 'origin' remote to deepen it from (${why}). Use fetch-depth: 0 on actions/checkout.`,
    );
  }
  try {
    await fetchOrigin(git, ['--unshallow', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  } catch (e) {
    throw new Error(
      `the checkout is shallow and could not be deepened (${why}): ${(e as Error).message}. Use fetch-depth: 0 on actions/checkout.`,
    );
  }
}

/**
 * Decides what a push brought in, fetching what the checkout lacks. `before..after` for an ordinary
 * push (deepening a shallow checkout just enough to reach `before`); for a new ref, the commits on no
 * other branch or tag; nothing for a deleted ref. Fails with the reason rather than scan too little.
 */
export async function planPush(git: Git, ev: PushEvent, log: (m: string) => void): Promise<PushPlan> {
  if (ev.deleted) return { kind: 'nothing', reason: `the push deleted ${ev.ref}` };
  if (!(await ensureCommits(git, [ev.after], log))) {
    throw new Error(
      `the pushed commit ${ev.after} is not in the checkout and could not be fetched from origin`,
    );
  }
  const notes: string[] = [];

  if (ev.created) {
    // Other refs decide what is new, so every branch is fetched, with their whole history.
    await unshallow(git, log, 'a new ref is compared with every other branch');
    if (await hasRemote(git)) {
      try {
        await fetchOrigin(git, ['origin', '+refs/heads/*:refs/remotes/origin/*']);
      } catch (e) {
        throw new Error(
          `could not fetch the other branches to tell what ${ev.ref} adds: ${(e as Error).message}`,
        );
      }
    }
    const name = ev.ref.replace(/^refs\/(heads|tags)\//, '');
    const same = new Set([ev.ref, `refs/remotes/origin/${name}`]);
    const others = (await listRefs(git)).filter((r) => !same.has(r.ref)).map((r) => r.sha);
    notes.push(`new ref ${ev.ref}: scanning the commits that are on no other branch or tag`);
    return {
      kind: 'range',
      include: [ev.after],
      exclude: [...new Set(others)],
      coveredDespiteShallow: false,
      notes,
    };
  }

  if (ev.forced) {
    // What the force push replaced is not an ancestor of `after`: the whole graph is needed to tell
    // what is new, and the replaced commits stay fetchable by SHA on GitHub.
    await unshallow(git, log, 'a force push is compared with the commits it replaced');
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
    const others = (await listRefs(git)).filter(
      (r) => !r.ref.endsWith(`/${ev.ref.replace(/^refs\/(heads|tags)\//, '')}`),
    );
    notes.push(
      `force push: the replaced commit ${ev.before.slice(0, 12)} could not be fetched; scanning every commit of ${ev.ref} that is on no other branch`,
    );
    return {
      kind: 'range',
      include: [ev.after],
      exclude: [...new Set(others.map((r) => r.sha))],
      coveredDespiteShallow: false,
      notes,
    };
  }

  // An ordinary push: deepen step by step until `before` is reached, then, if need be, all the way.
  if (await git.isShallow()) {
    for (const depth of DEEPEN_STEPS) {
      if ((await hasCommit(git, ev.before)) && (await isAncestor(git, ev.before, ev.after))) break;
      log(`the checkout is shallow: deepening it by ${depth} commits to reach ${ev.before.slice(0, 12)}`);
      try {
        await fetchOrigin(git, [`--deepen=${depth}`, 'origin', ev.after]);
      } catch (e) {
        throw new Error(
          `the checkout is shallow and could not be deepened to cover ${ev.before.slice(0, 12)}..${ev.after.slice(0, 12)}: ${(e as Error).message}. Use fetch-depth: 0 on actions/checkout.`,
        );
      }
    }
    if (!((await hasCommit(git, ev.before)) && (await isAncestor(git, ev.before, ev.after)))) {
      await unshallow(
        git,
        log,
        `${ev.before.slice(0, 12)} is further back than ${DEEPEN_STEPS.at(-1)} commits`,
      );
    }
  }
  if (!(await ensureCommits(git, [ev.before], log))) {
    throw new Error(
      `the push's starting commit ${ev.before} is not in the checkout and could not be fetched from origin`,
    );
  }
  if (!(await isAncestor(git, ev.before, ev.after))) {
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
    deps.log(`${plan.reason}: nothing to scan`);
    return { report: emptyReport(), issues: [], notes: [`${plan.reason}: nothing to scan.`], problems: [] };
  }
  for (const n of plan.notes) deps.log(n);
  // The push may edit the config: the one at `before` governs it (a new branch: the default branch's).
  const before = ev.created ? await defaultBranchTip(deps.git, payload) : ev.before;
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
  const { upserts, problems } = await refreshRepositoryIncidents(deps, responded, {
    forcePush: ev.forced ? { before: ev.before, after: ev.after } : null,
    secrets: result.secrets,
  });
  return {
    report: responded.report,
    issues: upserts.map((u) => u.number),
    notes: [...plan.notes, ...upserts.map((u) => `Incident #${u.number} for ${u.keyId}: ${u.outcome}.`)],
    problems,
  };
}

export function emptyReport(): ScanReport {
  return {
    findings: [],
    suppressed: [],
    stats: { mode: 'range', objectsScanned: 0, bytesScanned: 0, commitsScanned: 0, durationMs: 0 },
    incomplete: false,
    warnings: [],
  };
}
