import type { GitHub, RepoRef } from '../adapters/github.js';
import type { Git } from '../adapters/git.js';
import type { KeyleakConfig } from '../core/config.js';
import type { SecretMaterial } from '../core/findings.js';
import type { TrailSummary } from '../core/incident.js';
import type { Finding, ScanReport } from '../core/types.js';
import type { ScanResult } from '../scan/result.js';

/**
 * What the GitHub flows need from the AWS side: verify the found keys, contain live ones and summarise
 * their CloudTrail activity. The flows only ever talk to this interface.
 */
export interface Responder {
  respond(result: ScanResult, opts: RespondOptions): Promise<Responded>;
}

export interface RespondOptions {
  /** Only these key ids (a `/rescan` names one); all findings when absent. */
  keyIds?: string[];
  /** Overrides the run's containment settings (`/deactivate` on a dry-run incident). */
  containment?: { deactivate: boolean; dryRun: boolean };
}

export interface Responded {
  /** The report with `verification` and `response` filled in where they could be. */
  report: ScanReport;
  /** CloudTrail summaries by key id, for the keys whose trail could be read. */
  trails: Map<string, TrailSummary>;
  /** Why a key was not verified (or had no summary), by key id, in words for the incident. */
  notes: Map<string, { verification: string | null; trail: string | null }>;
  /**
   * AWS quarantine policies (`AWSCompromisedKeyQuarantine*`) seen attached to each key's user, by key id;
   * absent when nobody could look.
   */
  quarantine?: Map<string, string[]>;
}

/**
 * A responder that calls nothing: every finding stays `not verified`, with the reason said in the
 * incident (a fork pull request has no secrets; `verify: false`; no AWS responder configured).
 */
export class NoVerification implements Responder {
  constructor(
    private readonly verificationReason: string,
    private readonly trailReason = 'no responder credentials were available to read it',
  ) {}

  async respond(result: ScanResult, opts: RespondOptions): Promise<Responded> {
    const wanted = opts.keyIds ? new Set(opts.keyIds) : null;
    const notes: Responded['notes'] = new Map();
    const findings: Finding[] = result.report.findings.map((f) => {
      if (wanted && !wanted.has(f.keyId)) return f;
      notes.set(f.keyId, { verification: this.verificationReason, trail: this.trailReason });
      return f;
    });
    return { report: { ...result.report, findings }, trails: new Map(), notes };
  }
}

/** Everything a flow (push, pull request, rescan) is given by the entry point. */
export interface FlowDeps {
  git: Git;
  github: GitHub;
  responder: Responder;
  /** The config for flows that do not scan a change (rescan), or the one file given outside the repository. */
  config: KeyleakConfig;
  /**
   * The config file's path in the repository, for flows that scan a change: they read it as committed
   * before the change (see configForChange). Null or absent: `config` is used as it is.
   */
  configPath?: string | null;
  /** Parallel readers for full-history scans. */
  jobs: number;
  /** The repository the workflow runs in (what is scanned). */
  repo: RepoRef;
  /** Where incident issues live: `issue-repo`, or `repo`. */
  issueRepo: RepoRef;
  serverUrl: string;
  runUrl: string | null;
  /** The runbook's contacts block (the `runbook-template` file or the default). */
  contacts: string;
  /**
   * The `runbook-template` file's path in the repository, for flows that scan a change: they read it as
   * committed before the change (see contactsForChange). Null or absent: `contacts` is used as it is.
   */
  contactsPath?: string | null;
  now: () => Date;
  log: (message: string) => void;
  /** Masks raw secrets in the log. Called right after a scan, before anything else is logged. */
  mask: (secrets: Map<string, SecretMaterial>) => void;
  /** Uploads the CloudTrail summaries as trail.json; returns where, or null when nothing was uploaded. */
  uploadTrails: (trails: Map<string, TrailSummary>) => Promise<string | null>;
  /**
   * Incident issues are public (the issue repository is public and `public-details` is off): they carry
   * no verdict, secret, containment or CloudTrail details (see core/disclosure.ts).
   */
  withholdDetails?: boolean;
}

/** What a flow did, for the entry point to report (outputs, summary, exit status). */
export interface FlowResult {
  report: ScanReport;
  /** Incident issues opened or updated, and the PR comment written, if any. */
  issues: number[];
  /** Sentences for the job summary: what was done, what was not and why. */
  notes: string[];
  /** Failures of GitHub or AWS calls: the run fails after reporting everything else. */
  problems: string[];
  /** The incident issue of each key, for the job summary's links (flows that open incidents). */
  incidents?: { keyId: string; number: number; url: string }[];
  /** CloudTrail summaries by key id, for the job summary (flows that read CloudTrail). */
  trails?: Map<string, TrailSummary>;
}
