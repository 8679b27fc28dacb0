import { scanHistory } from '../scan/history.js';
import { refreshRepositoryIncidents } from './incidents.js';
import type { FlowDeps, FlowResult } from './ports.js';

/**
 * `mode: full`: this repository's whole history (every branch and tag), for a schedule or a manual run.
 * Incidents as on push; the SARIF goes under a category of its own (see SARIF_CATEGORIES).
 */
export async function runFull(deps: FlowDeps): Promise<FlowResult> {
  await deps.git.fetchWholeHistory('every branch and tag is scanned', deps.log, {
    tags: true,
    always: true,
  });
  const result = await scanHistory(
    deps.git,
    { mode: 'all', remotes: true },
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
