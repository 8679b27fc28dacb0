import type { RepoRef } from './adapters/github.js';
import { DEFAULT_CONFIG_PATH } from './core/config.js';
import { UsageError } from './core/errors.js';
import { parseOrgSettings, type OrgScanSettings, type RawOrgInputs } from './core/org/settings.js';
import {
  named,
  parseAccountIds,
  parseBoolean,
  parseLogin,
  parseRepoName,
  parseRoleTemplate,
  type Validator,
} from './core/validate.js';

/** The modes that scan the one repository checked out in the workspace. */
export type RepositoryMode = 'push' | 'pull-request' | 'full' | 'rescan';
export type ActionMode = RepositoryMode | 'org' | 'org-merge';

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
  /** Write verdicts, secrets' redacted forms and CloudTrail details into incidents on a public repository. */
  publicDetails: boolean;
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

const MODES = ['auto', 'push', 'pull-request', 'full', 'org', 'org-merge', 'rescan'] as const;

/** An input through a shared validator; the error names the input, the value and what was expected. */
function input<T>(name: string, raw: string, validate: Validator<T>): T {
  return named(
    raw,
    validate,
    (value, expected) => `Invalid input '${name}': '${value}'. Expected ${expected}.`,
  );
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
  if (template !== null) input('aws-role-template', template, parseRoleTemplate);
  const managed = v('managed-accounts')
    ? input('managed-accounts', v('managed-accounts'), parseAccountIds)
    : [];
  const issueRepo: RepoRef | null = v('issue-repo')
    ? input('issue-repo', v('issue-repo'), parseRepoName)
    : null;
  const org = v('org') || null;
  if (org !== null) input('org', org, parseLogin);
  if ((mode === 'org' || mode === 'org-merge') && org === null) {
    throw new UsageError(`Input 'org' is required when mode is ${mode}.`);
  }
  const bool = (name: string, fallback: boolean) => input(name, v(name), parseBoolean(fallback));
  const dryRun = bool('dry-run', false);
  const deactivate = bool('deactivate', false);
  const revokeSessions = bool('revoke-sessions', false);
  return {
    githubToken: token,
    mode: mode as ActionInputs['mode'],
    verify: bool('verify', true),
    dryRun,
    deactivate,
    revokeSessions,
    containPersistence: bool('contain-persistence', false),
    costCheck: bool('cost-check', false),
    awsRoleTemplate: template,
    managedAccounts: managed,
    issueRepo,
    publicDetails: bool('public-details', false),
    org,
    config: v('config', DEFAULT_CONFIG_PATH),
    runbookTemplate: v('runbook-template') || null,
    failOnFindings: bool('fail-on-findings', true),
    failOnErrors: bool('fail-on-errors', true),
  };
}

/**
 * The mode for an event when `mode` is auto; an error names events keyleak does not handle. A schedule
 * or a manual run scans the organisation when `org` is set, and this repository's whole history when not.
 */
export function resolveMode(
  mode: ActionInputs['mode'],
  eventName: string,
  org: string | null = null,
): ActionMode {
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
      return org === null ? 'full' : 'org';
    default:
      throw new UsageError(
        `mode: auto cannot handle the '${eventName}' event. Expected push, pull_request, issue_comment, schedule or workflow_dispatch, or set mode.`,
      );
  }
}

/** What a run does, by mode: each mode with the settings only it has, validated together. */
export type ModeSettings =
  | { mode: RepositoryMode }
  | { mode: 'org'; org: OrgScanSettings }
  | { mode: 'org-merge'; org: OrgScanSettings; /** The downloaded shards' results. */ shardResults: string };

/** Every input of a run, parsed once: the common inputs and the resolved mode's own settings. */
export type ActionSettings = ModeSettings & { inputs: ActionInputs };

/**
 * Parses every input the run's mode reads, org mode included. `get` is as for `parseActionInputs`;
 * `env` is what the runner says: the event, the workspace and the cores.
 */
export function parseActionSettings(
  get: (name: string) => string,
  env: { eventName: string; workDir: string; cpus: number },
): ActionSettings {
  const inputs = parseActionInputs(get);
  const mode = resolveMode(inputs.mode, env.eventName, inputs.org);
  if (mode !== 'org' && mode !== 'org-merge') return { inputs, mode };
  const org = parseOrgSettings(orgInputs(get, inputs), { workDir: env.workDir, cpus: env.cpus });
  if (mode === 'org') return { inputs, mode, org };
  const shardResults = get('shard-results').trim();
  if (!shardResults) throw new UsageError(`Input 'shard-results' is required when mode is org-merge.`);
  return { inputs, mode, org, shardResults };
}

/** The org inputs as parseOrgSettings validates them. */
function orgInputs(get: (name: string) => string, inputs: ActionInputs): RawOrgInputs {
  return {
    org: inputs.org ?? '',
    shard: get('shard'),
    fullRescan: get('full-rescan'),
    maxDuration: get('max-duration'),
    concurrency: get('concurrency'),
    stateFile: get('state-file'),
    config: inputs.config === DEFAULT_CONFIG_PATH ? '' : inputs.config,
    token: inputs.githubToken,
    includeArchived: get('include-archived'),
    includeForks: get('include-forks'),
    visibility: get('visibility'),
    include: get('include'),
    exclude: get('exclude'),
    topics: get('topics'),
    excludeTopics: get('exclude-topics'),
  };
}
