/** The data a GitHub emulator serves. Tests build it, run keyleak against it, then read it back. */

export interface EmuLabel {
  name: string;
  color: string;
  description: string | null;
}

export interface EmuReaction {
  id: number;
  content: string;
  user: string;
}

export interface EmuComment {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
  reactions: EmuReaction[];
}

export interface EmuIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  user: string;
  isPullRequest: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The permission levels the API reports in `role_name` (custom roles are reported by name). */
export type EmuRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface EmuRepo {
  owner: string;
  name: string;
  private: boolean;
  archived: boolean;
  fork: boolean;
  defaultBranch: string;
  topics: string[];
  issues: EmuIssue[];
  comments: EmuComment[];
  labels: EmuLabel[];
  /** Collaborator login → role. Anyone absent has `none` (or `read` on a public repository). */
  collaborators: Record<string, EmuRole>;
  /** Commit SHA → numbers of the pull requests containing it. */
  commitPulls: Record<string, number[]>;
}

/** A canned answer for requests matching `method` and `path` (a regular expression over the path). */
export interface EmuFault {
  method?: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Never answer (the connection stays open until the emulator closes); `status` is then unused. */
  hang?: boolean;
  /** How many matching requests get the fault; then it is spent. Infinity for every one. */
  times: number;
  /** Carry the request out first, then answer with the fault: a success whose answer was lost. */
  afterHandling?: boolean;
}

/**
 * Holds requests matching `method` and `path` until `count` of them have arrived, then lets them all
 * through at once: two runs made to race at a chosen step.
 */
export interface EmuBarrier {
  method?: string;
  path: RegExp;
  count: number;
}

export interface EmuRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The status the emulator answered with. */
  status: number;
}

export interface GitHubState {
  repos: Record<string, EmuRepo>;
  /** Accepted tokens and the login each one acts as. */
  tokens: Record<string, string>;
  /** Owner (organisation or user) → names of its repositories, for the org listing endpoints. */
  orgs: Record<string, string[]>;
  users: Record<string, string[]>;
  faults: EmuFault[];
  barriers?: EmuBarrier[];
  /** Remaining core rate limit, reported in x-ratelimit-* headers. */
  rateLimit: { limit: number; remaining: number; reset: number };
  nextId: number;
}

export function emptyRepo(fullName: string, over: Partial<EmuRepo> = {}): EmuRepo {
  const [owner, name] = fullName.split('/') as [string, string];
  return {
    owner,
    name,
    private: false,
    archived: false,
    fork: false,
    defaultBranch: 'main',
    topics: [],
    issues: [],
    comments: [],
    labels: [],
    collaborators: {},
    commitPulls: {},
    ...over,
  };
}

/** A state with the given repositories and one token, `test-token`, acting as `keyleak-bot`. */
export function makeState(repos: string[] = ['octo/app'], over: Partial<GitHubState> = {}): GitHubState {
  return {
    repos: Object.fromEntries(repos.map((r) => [r, emptyRepo(r)])),
    tokens: { 'test-token': 'keyleak-bot' },
    orgs: {},
    users: {},
    faults: [],
    rateLimit: { limit: 5000, remaining: 4999, reset: Math.floor(Date.now() / 1000) + 3600 },
    nextId: 1000,
    ...over,
  };
}
