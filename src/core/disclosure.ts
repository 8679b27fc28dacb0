import { isLoneSecret, type IncidentSubject } from './incident.js';
import type { IncidentContext } from './render/incident.js';

/**
 * Why an incident on a public repository leaves things out. An issue there is read by anyone, including
 * whoever watches public repositories for keys: "live, needs manual containment" with links to the line
 * is a signpost. The people who must act are told where the details can go instead.
 */
export const WITHHELD_NOTE =
  'this repository is public, so keyleak leaves the verdict, the secret, containment and CloudTrail details out of its issues and the job summary. Set `issue-repo` to a private repository to get them in the incident there, or `public-details: true` to write them here';

/**
 * The finding and context as a public incident shows them: where the key is and what to do, without
 * the verdict, the secret's redacted form, what containment did or what CloudTrail saw.
 */
export function withholdDetails<S extends IncidentSubject>(
  f: S,
  ctx: IncidentContext,
): { finding: S; ctx: IncidentContext } {
  // A lone secret has no verdict or containment; its redacted form stays out of the body, its hidden
  // state and the plan below.
  let finding: S = { ...f, secretRedacted: '' };
  if (!isLoneSecret(f)) {
    const { verification: _v, response: _r, ...rest } = f;
    finding = { ...rest, secretRedacted: null } as S;
  }
  return {
    finding,
    ctx: {
      ...ctx,
      withheld: true,
      trail: null,
      trailArtifactUrl: null,
      trailUnavailable: WITHHELD_NOTE,
      verificationNote: WITHHELD_NOTE,
      quarantine: null,
      // The plan's tables show the secret's redacted form; its commits and paths are what matters here.
      historyPlan:
        ctx.historyPlan !== null && f.secretRedacted
          ? ctx.historyPlan.replaceAll(f.secretRedacted, 'not said here')
          : ctx.historyPlan,
    },
  };
}
