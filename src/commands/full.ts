import { fetchOrigin, hasRemote } from '../adapters/git-remote.js';
import type { Git } from '../adapters/git.js';
import { scanHistory } from '../scan/history.js';
import { refreshRepositoryIncidents } from './incidents.js';
import type { FlowDeps, FlowResult } from './ports.js';

/**
 * Makes the checkout hold the repository's whole history: actions/checkout fetches one commit of one
 * branch unless told otherwise, and a whole-history scan of that would pass over everything else.
 */
async function fetchWholeHistory(git: Git, log: (m: string) => void): Promise<void> {
  if (!(await hasRemote(git))) {
    if (await git.isShallow()) {
      throw new Error(
        "the checkout is shallow and has no 'origin' remote to deepen it from. Use fetch-depth: 0 on actions/checkout.",
      );
    }
    return;
  }
  const shallow = await git.isShallow();
  log(`fetching every branch and tag${shallow ? ' and the whole history' : ''} from origin`);
  try {
    await fetchOrigin(git, [
      ...(shallow ? ['--unshallow'] : []),
      '--tags',
      'origin',
      '+refs/heads/*:refs/remotes/origin/*',
    ]);
  } catch (e) {
    throw new Error(
      `could not fetch the repository's history from origin: ${(e as Error).message}. Use fetch-depth: 0 on actions/checkout.`,
    );
  }
}

/**
 * `mode: full`: this repository's whole history (every branch and tag), for a schedule or a manual run.
 * Incidents as on push; the SARIF goes under a category of its own (see SARIF_CATEGORIES).
 */
export async function runFull(deps: FlowDeps): Promise<FlowResult> {
  await fetchWholeHistory(deps.git, deps.log);
  const head = await deps.git.run(['rev-parse', '--verify', '--quiet', 'HEAD']).then(
    () => ['HEAD'],
    () => [],
  );
  const result = await scanHistory(
    deps.git,
    { mode: 'all', include: ['--branches', '--remotes', '--tags', ...head], exclude: [] },
    { config: deps.config, jobs: deps.jobs },
  );
  deps.mask(result.secrets);
  const responded = await deps.responder.respond(result, {});
  const { upserts, problems } = await refreshRepositoryIncidents(deps, responded, {
    secrets: result.secrets,
  });
  const st = responded.report.stats;
  return {
    report: responded.report,
    issues: upserts.map((u) => u.number),
    incidents: upserts,
    trails: responded.trails,
    notes: [
      `Whole history: ${st.commitsScanned} commits on every branch and tag.`,
      ...upserts.map((u) => `Incident #${u.number} for ${u.keyId}: ${u.outcome}.`),
    ],
    problems,
  };
}
