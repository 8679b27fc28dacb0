import type { KeyleakConfig } from './config.js';
import { globMatch } from './config.js';
import type { SecretHit, TextAnalysis } from './detect.js';
import {
  accountIdFromKeyId,
  hasImpossibleKeyChars,
  isCanaryAccount,
  isLowEntropyKeyId,
  keyKind,
} from './keyid.js';
import { fingerprintKeyId, redactSecret } from './redact.js';
import type { Finding, Location, Suppressed, SuppressionReason } from './types.js';

export interface CommitMeta {
  sha: string;
  author: string;
  date: string;
  /** Position in history, oldest first, to order commits made within the same second. */
  order?: number;
  /** For an annotated tag's message: the tag's ref name (`sha` is then the tag object's id). */
  tag?: string;
}

/** One analysed text at one place: a file version at a commit and path, a commit message, a plain file. */
export interface ScanUnit {
  commit: CommitMeta | null;
  /** null for a commit message. */
  path: string | null;
  analysis: TextAnalysis;
}

/** The raw material verification needs. Kept apart from `Finding` so no renderer can ever print it. */
export interface SecretMaterial {
  secrets: string[];
  sessionTokens: string[];
}

export interface BuiltFindings {
  findings: Finding[];
  suppressed: Suppressed[];
  secrets: Map<string, SecretMaterial>;
}

/** How many candidate secrets one key id keeps; each one costs an STS call, made one after another. */
export const MAX_SECRET_CANDIDATES = 8;

/** Why the key id `keyId` at `unit` is suppressed, or null when it is reported. */
export function suppressionOf(
  keyId: string,
  unit: ScanUnit,
  allowedOnLine: boolean,
  config: KeyleakConfig,
): SuppressionReason | null {
  return keySuppression(keyId, config) ?? locationSuppression(unit, allowedOnLine, config);
}

function keySuppression(keyId: string, config: KeyleakConfig): SuppressionReason | null {
  if (keyId.endsWith('EXAMPLE')) return 'aws-example';
  if (hasImpossibleKeyChars(keyId) || isLowEntropyKeyId(keyId)) return 'placeholder';
  if (config.allowKeyIds.has(keyId)) return 'allowed-key-id';
  if (config.baseline.has(fingerprintKeyId(keyId))) return 'baseline';
  return null;
}

function locationSuppression(
  unit: ScanUnit,
  allowedOnLine: boolean,
  config: KeyleakConfig,
): SuppressionReason | null {
  if (allowedOnLine) return 'inline-allow';
  if (unit.path !== null && config.allowPaths.some((g) => globMatch(g, unit.path!))) return 'allowed-path';
  const sha = unit.commit?.sha;
  if (sha && config.allowCommits.some((c) => sha.startsWith(c))) return 'allowed-commit';
  return null;
}

function compareLocations(a: Location, b: Location, order?: Map<string, number>): number {
  if (a.date !== b.date) {
    if (a.date === null) return 1;
    if (b.date === null) return -1;
    const d = Date.parse(a.date) - Date.parse(b.date);
    if (d !== 0) return d;
  }
  const oa = a.commit ? order?.get(a.commit) : undefined;
  const ob = b.commit ? order?.get(b.commit) : undefined;
  if (oa !== undefined && ob !== undefined && oa !== ob) return oa - ob;
  return (
    (a.commit ?? '').localeCompare(b.commit ?? '') ||
    (a.path ?? '').localeCompare(b.path ?? '') ||
    a.line - b.line
  );
}

function locationId(l: Location): string {
  return `${l.commit ?? ''}\0${l.path ?? ''}\0${l.line}`;
}

interface KeyGroup {
  reported: Map<string, Location>;
  reportedUnits: Set<ScanUnit>;
  hitLines: Map<ScanUnit, number[]>;
  suppressed: Map<SuppressionReason, Map<string, Location>>;
}

/**
 * Turns analysed texts into one finding per key id: every location, the suppressions with their reasons,
 * and the secrets paired with each key (same file version first, then the same commit).
 */
export function buildFindings(units: readonly ScanUnit[], config: KeyleakConfig): BuiltFindings {
  const byCommit = new Map<string, ScanUnit[]>();
  for (const u of units) {
    if (!u.commit) continue;
    const list = byCommit.get(u.commit.sha);
    if (list) list.push(u);
    else byCommit.set(u.commit.sha, [u]);
  }

  const order = new Map<string, number>();
  for (const u of units) if (u.commit?.order !== undefined) order.set(u.commit.sha, u.commit.order);
  const byOrder = (a: Location, b: Location) => compareLocations(a, b, order);

  const groups = new Map<string, KeyGroup>();
  for (const unit of units) {
    for (const hit of unit.analysis.keyIds) {
      let g = groups.get(hit.keyId);
      if (!g) {
        g = { reported: new Map(), reportedUnits: new Set(), hitLines: new Map(), suppressed: new Map() };
        groups.set(hit.keyId, g);
      }
      const loc: Location = {
        commit: unit.commit?.sha ?? null,
        path: unit.path,
        line: hit.line,
        author: unit.commit?.author ?? null,
        date: unit.commit?.date ?? null,
        ...(unit.commit?.tag ? { tag: unit.commit.tag } : {}),
      };
      // A marker the scanned change added itself does not silence it.
      const allowed = hit.allowed && !config.ignoreInlineAllow?.has(hit.keyId);
      const reason = suppressionOf(hit.keyId, unit, allowed, config);
      if (reason) {
        let m = g.suppressed.get(reason);
        if (!m) g.suppressed.set(reason, (m = new Map()));
        m.set(locationId(loc), loc);
      } else {
        g.reported.set(locationId(loc), loc);
        g.reportedUnits.add(unit);
        const lines = g.hitLines.get(unit);
        if (lines) lines.push(hit.line);
        else g.hitLines.set(unit, [hit.line]);
      }
    }
  }

  const findings: Finding[] = [];
  const suppressed: Suppressed[] = [];
  const secrets = new Map<string, SecretMaterial>();
  for (const [keyId, g] of groups) {
    const fingerprint = fingerprintKeyId(keyId);
    for (const [reason, locs] of g.suppressed) {
      suppressed.push({ keyId, reason, fingerprint, locations: [...locs.values()].sort(byOrder) });
    }
    if (g.reported.size === 0) continue;
    const material = pairSecrets(keyId, g, byCommit);
    secrets.set(keyId, material);
    const accountId = accountIdFromKeyId(keyId);
    findings.push({
      keyId,
      keyKind: keyKind(keyId),
      accountId,
      canary: isCanaryAccount(accountId, config.canaryAccounts),
      secretFound: material.secrets.length > 0,
      secretRedacted: material.secrets[0] ? redactSecret(material.secrets[0]) : null,
      sessionTokenFound: material.sessionTokens.length > 0,
      fingerprint,
      locations: [...g.reported.values()].sort(byOrder),
    });
  }
  findings.sort(
    (a, b) => compareLocations(a.locations[0]!, b.locations[0]!) || a.keyId.localeCompare(b.keyId),
  );
  suppressed.sort((a, b) => a.keyId.localeCompare(b.keyId) || a.reason.localeCompare(b.reason));
  return { findings, suppressed, secrets };
}

function pairSecrets(keyId: string, g: KeyGroup, byCommit: Map<string, ScanUnit[]>): SecretMaterial {
  const ranked: { value: string; rank: number }[] = [];
  const tokens: string[] = [];
  const sameCommitUnits = new Set<ScanUnit>();
  for (const unit of g.reportedUnits) {
    const lines = g.hitLines.get(unit) ?? [];
    const distance = (s: SecretHit) => Math.min(...lines.map((l) => Math.abs(l - s.line)));
    for (const s of unit.analysis.secrets) {
      // Same file version: labelled ones first, then the nearest to the key id.
      ranked.push({ value: s.value, rank: (s.labelled ? 0 : 1_000_000) + distance(s) });
    }
    tokens.push(...unit.analysis.tokens.map((t) => t.value));
    if (unit.commit) for (const other of byCommit.get(unit.commit.sha) ?? []) sameCommitUnits.add(other);
  }
  for (const unit of g.reportedUnits) sameCommitUnits.delete(unit);
  for (const unit of sameCommitUnits) {
    for (const s of unit.analysis.secrets)
      ranked.push({ value: s.value, rank: (s.labelled ? 2 : 3) * 1_000_000 });
    tokens.push(...unit.analysis.tokens.map((t) => t.value));
  }
  ranked.sort((a, b) => a.rank - b.rank);
  const secrets = [...new Set(ranked.map((r) => r.value))].slice(0, MAX_SECRET_CANDIDATES);
  const sessionTokens = keyKind(keyId) === 'temporary' ? [...new Set(tokens)].slice(0, 2) : [];
  return { secrets, sessionTokens };
}
