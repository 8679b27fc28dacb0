import { parseRepo, type RepoRef } from './adapters/github.js';
import { UsageError } from './core/errors.js';

export type ActionMode = 'push' | 'pull-request' | 'org' | 'org-merge' | 'rescan';

/** Every input of action.yml, parsed once and validated. */
export interface ActionInputs {
  /** Token for the GitHub API. Masked before anything is logged. */
  githubToken: string;
  /** What to scan; `auto` is resolved from the event (see `resolveMode`). */
  mode: ActionMode | 'auto';
  /** Verify found pairs with STS GetCallerIdentity. */
  verify: boolean;
  /** Say what containment would do without changing anything. */
  dryRun: boolean;
  /** Deactivate live keys in managed accounts. */
  deactivate: boolean;
  /** Also deny sessions minted from the key before now. */
  revokeSessions: boolean;
  /** Contain what the attacker left behind: keys and passwords it created, sessions of roles it assumed. */
  containPersistence: boolean;
  /** Read daily cost since the exposure from Cost Explorer and flag a spike. */
  costCheck: boolean;
  /** Role to assume in the key's account; contains `{accountId}`. Null when unset. */
  awsRoleTemplate: string | null;
  /** Accounts keyleak may act in; empty means the responder credentials' own account. */
  managedAccounts: string[];
  /** Where incident issues are opened; null means the scanned repository. */
  issueRepo: RepoRef | null;
  /** Organisation or user to scan in org mode. */
  org: string | null;
  /** Config file path (relative to the workspace). */
  config: string;
  /** Markdown file with the runbook's channels and contacts; null for the default. */
  runbookTemplate: string | null;
  /** Fail the run when keys are found. */
  failOnFindings: boolean;
  /**
   * Fail the run when something keyleak was asked to do could not be done: containment, investigation,
   * an incident, a repository of an org scan. True unless set to false.
   */
  failOnErrors: boolean;
}

const MODES = ['auto', 'push', 'pull-request', 'org', 'org-merge', 'rescan'] as const;

// The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them.
function bool(name: string, raw: string): boolean {
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw new UsageError(`Invalid input '${name}': '${raw}'. Expected true or false.`);
}

/**
 * Parses the action's inputs. `get` returns an input's raw value as the runner passes it (trimmed, ''
 * when unset); defaults are action.yml's, repeated here so a missing value means the same thing.
 */
export function parseActionInputs(get: (name: string) => string): ActionInputs {
  const v = (name: string, fallback = '') => {
    const s = get(name).trim();
    return s === '' ? fallback : s;
  };
  const mode = v('mode', 'auto');
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`Invalid input 'mode': '${mode}'. Expected one of ${MODES.join(', ')}.`);
  }
  const token = v('github-token');
  if (!token) throw new UsageError(`Input 'github-token' is empty. Pass \${{ github.token }} or a PAT.`);

  const template = v('aws-role-template') || null;
  if (template !== null && (!template.startsWith('arn:') || !template.includes('{accountId}'))) {
    throw new UsageError(
      `Invalid input 'aws-role-template': '${template}'. Expected a role ARN containing {accountId}, e.g. arn:aws:iam::{accountId}:role/keyleak-responder.`,
    );
  }
  const managed = v('managed-accounts')
    .split(/[\s,]+/)
    .filter(Boolean);
  for (const a of managed) {
    if (!/^\d{12}$/.test(a)) {
      throw new UsageError(
        `Invalid input 'managed-accounts': '${a}'. Expected 12-digit AWS account ids separated by commas.`,
      );
    }
  }
  let issueRepo: RepoRef | null = null;
  if (v('issue-repo')) {
    try {
      issueRepo = parseRepo(v('issue-repo'));
    } catch (e) {
      throw new UsageError(`Invalid input 'issue-repo': ${(e as Error).message}`);
    }
  }
  const org = v('org') || null;
  if (org !== null && !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(org)) {
    throw new UsageError(`Invalid input 'org': '${org}'. Expected an organisation or user login.`);
  }
  if ((mode === 'org' || mode === 'org-merge') && org === null) {
    throw new UsageError(`Input 'org' is required when mode is ${mode}.`);
  }
  const dryRun = bool('dry-run', v('dry-run', 'false'));
  const deactivate = bool('deactivate', v('deactivate', 'false'));
  const revokeSessions = bool('revoke-sessions', v('revoke-sessions', 'false'));
  return {
    githubToken: token,
    mode: mode as ActionInputs['mode'],
    verify: bool('verify', v('verify', 'true')),
    dryRun,
    deactivate,
    revokeSessions,
    containPersistence: bool('contain-persistence', v('contain-persistence', 'false')),
    costCheck: bool('cost-check', v('cost-check', 'false')),
    awsRoleTemplate: template,
    managedAccounts: [...new Set(managed)],
    issueRepo,
    org,
    config: v('config', '.github/keyleak.yml'),
    runbookTemplate: v('runbook-template') || null,
    failOnFindings: bool('fail-on-findings', v('fail-on-findings', 'true')),
    failOnErrors: bool('fail-on-errors', v('fail-on-errors', 'true')),
  };
}

/** The mode for an event when `mode` is auto; an error names events keyleak does not handle. */
export function resolveMode(mode: ActionInputs['mode'], eventName: string): ActionMode {
  if (mode !== 'auto') return mode;
  switch (eventName) {
    case 'push':
      return 'push';
    case 'pull_request':
    case 'pull_request_target':
      return 'pull-request';
    case 'issue_comment':
      return 'rescan';
    case 'schedule':
    case 'workflow_dispatch':
      return 'org';
    default:
      throw new UsageError(
        `mode: auto cannot handle the '${eventName}' event. Expected push, pull_request, issue_comment, schedule or workflow_dispatch, or set mode.`,
      );
  }
}
