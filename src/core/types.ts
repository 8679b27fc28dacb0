/** What kind of credential a key id names. */
export type KeyKind = 'long-term' | 'temporary';

/** One place a key id was seen. `path` is null for a commit message; `commit` null outside git history. */
export interface Location {
  /** The repository (`owner/name`), set only when one report spans several (org scans). */
  repo?: string;
  commit: string | null;
  path: string | null;
  line: number;
  author: string | null;
  date: string | null;
  /**
   * Set for an annotated tag's message: the tag's ref name. `commit` is then the tag object's id and
   * `path` null.
   */
  tag?: string;
}

/** A candidate secret found near a key id. The raw value never leaves the process except to STS. */
export interface SecretCandidate {
  value: string;
  /** Where the pairing came from: the same file version, or another file of the same commit. */
  proximity: 'same-file' | 'same-commit';
  labelled: boolean;
}

/**
 * Verification verdicts, kept three-valued plus "skipped" when there was nothing to verify with, and
 * `wrong-secret`: STS knows the key id and it is active, but the secret found is not its secret.
 */
export type VerificationStatus = 'live' | 'invalid' | 'wrong-secret' | 'unknown' | 'skipped';

export interface Verification {
  status: VerificationStatus;
  reason: string | null;
  accountId: string | null;
  arn: string | null;
  userName: string | null;
  /** What IAM says about the key, read with the responder's credentials; only for managed accounts. */
  iam?: KeyIamState;
}

/** A key as IAM describes it to the responder. */
export interface KeyIamState {
  userName: string | null;
  status: 'Active' | 'Inactive' | null;
  lastUsedDate: string | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
  /** AWS managed quarantine policies (`AWSCompromisedKeyQuarantine*`) attached to the key's user. */
  quarantinePolicies: string[];
}

/**
 * `no-responder`: nothing was done because no responder credentials are configured at all (not a
 * judgement about the account, which `not-managed` is).
 */
export type ResponseAction =
  | 'deactivated'
  | 'already-inactive'
  | 'dry-run'
  | 'not-managed'
  | 'no-responder'
  | 'manual'
  | 'failed'
  | 'none';

export interface KeyResponse {
  action: ResponseAction;
  detail: string;
  at: string;
  /**
   * What keyleak was asked to do for this key and could not (containment, reading IAM or CloudTrail),
   * each with the class of the failure. Any entry fails the run unless `fail-on-errors` is false.
   */
  errors?: string[];
}

/** One leaked key id, with every location it was seen at. */
export interface Finding {
  keyId: string;
  keyKind: KeyKind;
  accountId: string | null;
  canary: boolean;
  secretFound: boolean;
  secretRedacted: string | null;
  sessionTokenFound: boolean;
  fingerprint: string;
  locations: Location[];
  verification?: Verification;
  response?: KeyResponse;
}

/**
 * A secret access key labelled as one (`aws_secret_access_key = …`, `"SecretAccessKey": "…"`) with no key
 * id anywhere in its file version or commit. It cannot be verified (STS needs the key id) but still has to
 * be rotated and removed from history.
 */
export interface LoneSecret {
  secretRedacted: string;
  /** Fingerprint of the secret itself (`keyleak:v1:secret:…`): the secret never leaves the process. */
  fingerprint: string;
  locations: Location[];
}

export type SuppressionReason =
  | 'aws-example'
  | 'placeholder'
  | 'not-aws-key-id'
  | 'inline-allow'
  | 'allowed-key-id'
  | 'allowed-path'
  | 'allowed-commit'
  | 'baseline';

/** A key id, or a secret found without its key id, that was found and not reported, with the reason. */
export interface Suppressed {
  /** null for a secret found without its key id (its fingerprint is `keyleak:v1:secret:…`). */
  keyId: string | null;
  /** The redacted form of a secret found without its key id. */
  secretRedacted?: string;
  reason: SuppressionReason;
  fingerprint: string;
  locations: Location[];
}

export interface ScanStats {
  mode: 'all' | 'range' | 'staged' | 'no-git';
  objectsScanned: number;
  bytesScanned: number;
  commitsScanned: number;
  durationMs: number;
}

/** An object the scanned history names that the store lacks or cannot read. */
export interface MissingObject {
  oid: string;
  /**
   * Commits that put it at a path (newest first, a few at most); empty when no commit of the scanned
   * history puts it at a path (a commit, or an object only the store's index lists); null when where it
   * is referenced could not be found.
   */
  referencedBy: { commit: string; path: string }[] | null;
}

export interface ScanReport {
  findings: Finding[];
  /** Labelled secrets without a key id; absent from reports made before this kind existed. */
  loneSecrets?: LoneSecret[];
  suppressed: Suppressed[];
  stats: ScanStats;
  incomplete: boolean;
  warnings: string[];
  /** Objects the history names that were not scanned (`incomplete` is then true); absent when none. */
  missing?: MissingObject[];
}
