/** What an emulated AWS world starts with. Everything is optional except the accounts. */
export interface Scenario {
  accounts: ScenarioAccount[];
  /** Temporary (ASIA) keys that exist before the test starts, e.g. a leaked session. */
  sessions?: ScenarioSession[];
  faults?: Fault[];
  /** LookupEvents calls admitted per second per account and region; AWS allows 2. null: no limit. */
  lookupEventsPerSecond?: number | null;
  /** Whether STS and IAM calls made against the emulator are logged to the caller's CloudTrail. */
  logCallsToTrail?: boolean;
  /**
   * Reproduces STS's quirk: within this many ms of a request that failed its signature check, a request
   * for the same key id is answered SignatureDoesNotMatch even when signed correctly. 0 or unset: off.
   */
  signatureQuirkMs?: number;
}

export type KeyStatus = 'Active' | 'Inactive' | 'Deleted';

export interface ScenarioKey {
  id: string;
  secret: string;
  status?: KeyStatus;
  createDate?: string;
  lastUsed?: { date: string; service: string; region: string };
}

export interface ScenarioUser {
  name: string;
  path?: string;
  keys?: ScenarioKey[];
  /** Names of AWS managed policies attached to the user, e.g. AWSCompromisedKeyQuarantineV2. */
  attachedPolicies?: string[];
  /** IAM actions (`iam:UpdateAccessKey`) this user may not call. */
  deny?: string[];
  /** Whether the user has a console password. */
  loginProfile?: boolean;
}

export interface ScenarioAccount {
  id: string;
  users?: ScenarioUser[];
  rootKeys?: ScenarioKey[];
  /** The role responders assume in this account (`keyleak-responder` unless named); false: none. */
  responderRole?: { name?: string; deny?: string[]; trustedAccounts?: string[] } | false;
  /** Enabled regions (EC2 DescribeRegions); us-east-1 is always one. */
  regions?: string[];
  events?: ScenarioEvent[];
  /** IAM roles (besides the responder role) that exist in the account. */
  roles?: string[];
  /** Daily unblended cost (USD) by day (YYYY-MM-DD), as Cost Explorer reports it. */
  dailyCost?: Record<string, number>;
}

export interface ScenarioSession {
  accountId: string;
  roleName: string;
  sessionName: string;
  key: ScenarioKey & { sessionToken: string; expiresAt: string };
}

/** A CloudTrail management event as LookupEvents will return it. */
export interface ScenarioEvent {
  region?: string;
  eventName: string;
  eventSource?: string;
  eventTime: string;
  accessKeyId: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  readOnly?: boolean;
  userName?: string;
  resources?: { ResourceType: string; ResourceName: string }[];
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  /** The caller as CloudTrail records it; default: the IAM user `userName` of the account. */
  userIdentity?: Record<string, unknown>;
  additionalEventData?: Record<string, unknown>;
}

export type FaultKind = '5xx' | 'hang' | 'throttle' | 'proxy-403';

/** A failure injected before AWS would look at the request. Unset matchers match anything. */
export interface Fault {
  kind: FaultKind;
  service?: 'sts' | 'iam' | 'ec2' | 'cloudtrail' | 'ce';
  action?: string;
  region?: string;
  accessKeyId?: string;
  /** How many matching requests fail; then the fault is spent. Unset: every one. */
  times?: number;
}
