import type { SecretMaterial } from '../core/findings.js';
import type { RepoRecord } from '../core/org/select.js';
import type { Finding, LoneSecret, VerificationStatus } from '../core/types.js';

/** Lists an owner's repositories (an organisation, or a user), every page of them. */
export interface RepoLister {
  listRepositories(owner: string): AsyncIterable<RepoRecord>;
}

/** One key's finding in one repository: `finding.locations` are all in `repo`. */
export interface KeyOccurrence {
  repo: RepoRecord;
  finding: Finding;
  /** This key was already handed over for this repository by an earlier run (its fingerprint is in the state). */
  alreadyReported: boolean;
}

/**
 * One leaked key across every repository a run found it in: the unit of an incident. The same key in
 * three repositories is one of these, with three occurrences.
 */
export interface OrgKeyFinding {
  keyId: string;
  fingerprint: string;
  occurrences: KeyOccurrence[];
  /** Candidate secrets from every repository, for STS only; never rendered. */
  secrets: SecretMaterial;
}

/**
 * One secret found without its key id, across every repository a run found it in: the unit of its
 * incident, as a key's is. It is never verified.
 */
export interface OrgSecretFinding {
  /** The secret's fingerprint (`keyleak:v1:secret:…`). */
  fingerprint: string;
  secretRedacted: string;
  /** `secret.locations` are all in `repo`. */
  occurrences: { repo: RepoRecord; secret: LoneSecret; alreadyReported: boolean }[];
  /** The secret itself, for masking only; never rendered. */
  material: SecretMaterial;
}

/** What the incident pipeline made of one key (or lone secret): its verification status and its incident issue. */
export interface KeyIncident {
  /** The key id, or a lone secret's fingerprint. */
  keyId: string;
  status: VerificationStatus | 'not verified';
  /** The incident issue opened or updated, when there is one. */
  issue: number | null;
}

/**
 * Verifies, contains and opens or updates one incident per key, and one per secret found without its
 * key id (never verified). Called once per run (per shard) with
 * every key found; a key also found by another shard of the same run arrives there separately, so an
 * incident found again by its key id must gain the new locations rather than be duplicated.
 */
export interface IncidentSink {
  report(keys: readonly OrgKeyFinding[], secrets?: readonly OrgSecretFinding[]): Promise<KeyIncident[]>;
}
