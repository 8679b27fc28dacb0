import type { KeyleakConfig } from './config.js';
import { globMatch } from './config.js';
import type { SecretHit, TextAnalysis } from './detect.js';
import {
  accountIdFromKeyId,
  hasImpossibleKeyChars,
  hasImpossibleAccount,
  isCanaryAccount,
  isLowEntropyKeyId,
  keyKind,
} from './keyid.js';
import { fingerprintKeyId, fingerprintSecret, redactSecret } from './redact.js';
import type { Finding, LoneSecret, Location, Suppressed, SuppressionReason } from './types.js';

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
  /** Candidate secrets, the strongest claim first. */
  secrets: string[];
  /**
   * The candidates the key claims strongly (same line, labelled, or within three lines): the only ones a
   * history rewrite removes before STS has said which secret is the key's.
   */
  strong?: string[];
  /** The candidates labelled as secrets (`aws_secret_access_key = …`) that this key claims. */
  labelled?: string[];
  sessionTokens: string[];
  /** The candidate STS accepted, once verification found it: from then on the only secret used. */
  verified?: string;
}

export interface BuiltFindings {
  findings: Finding[];
  loneSecrets: LoneSecret[];
  suppressed: Suppressed[];
  /**
   * The raw material of each finding by key id, and of each lone secret by its fingerprint (its one
   * value, for masking and the history rewrite; never for STS).
   */
  secrets: Map<string, SecretMaterial>;
}

/** How many candidate secrets one key id keeps; each one costs an STS call, made one after another. */
export const MAX_SECRET_CANDIDATES = 8;

/** Why the key id `keyId` at `unit` is suppressed, or null when it is reported. */
export function suppressionOf(
  keyId: string,
  unit: ScanUnit,
  marker: string | null | undefined,
  config: KeyleakConfig,
): SuppressionReason | null {
  const honoured = config.ignoreInlineAllow?.has(keyId) ? null : marker;
  return keySuppression(keyId, config) ?? locationSuppression(unit, honoured, config);
}

function keySuppression(keyId: string, config: KeyleakConfig): SuppressionReason | null {
  if (keyId.includes('EXAMPLE')) return 'aws-example';
  if (hasImpossibleKeyChars(keyId) || isLowEntropyKeyId(keyId)) return 'placeholder';
  if (hasImpossibleAccount(keyId)) return 'not-aws-key-id';
  if (config.allowKeyIds.has(keyId)) return 'allowed-key-id';
  if (config.baseline.has(fingerprintKeyId(keyId))) return 'baseline';
  return null;
}

function locationSuppression(
  unit: ScanUnit,
  marker: string | null | undefined,
  config: KeyleakConfig,
): SuppressionReason | null {
  if (marker && config.allowMarkers.includes(marker)) return 'inline-allow';
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

/** Where a hit on `line` of `unit` is, as reports show it. */
function locationOf(unit: ScanUnit, line: number): Location {
  return {
    commit: unit.commit?.sha ?? null,
    path: unit.path,
    line,
    author: unit.commit?.author ?? null,
    date: unit.commit?.date ?? null,
    ...(unit.commit?.tag ? { tag: unit.commit.tag } : {}),
  };
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
      const loc = locationOf(unit, hit.line);
      const documented = unit.analysis.secrets.some((s) => s.documented && Math.abs(s.line - hit.line) <= 2);
      // A marker the scanned change added itself does not silence it (suppressionOf).
      const reason =
        keySuppression(hit.keyId, config) ??
        (documented ? 'aws-example' : null) ??
        suppressionOf(hit.keyId, unit, hit.marker, config);
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

  const claims = claimSecrets(units, byCommit, config);
  const findings: Finding[] = [];
  const suppressed: Suppressed[] = [];
  const secrets = new Map<string, SecretMaterial>();
  for (const [keyId, g] of groups) {
    const fingerprint = fingerprintKeyId(keyId);
    for (const [reason, locs] of g.suppressed) {
      suppressed.push({ keyId, reason, fingerprint, locations: [...locs.values()].sort(byOrder) });
    }
    if (g.reported.size === 0) continue;
    const material = materialOf(keyId, claims.get(keyId) ?? [], g, byCommit);
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
  const loneSecrets = loneSecretsOf(units, claims, config, byOrder, secrets, suppressed);
  // Keys by id first, then the secrets found without one by fingerprint.
  suppressed.sort(
    (a, b) =>
      (a.keyId === null ? 1 : 0) - (b.keyId === null ? 1 : 0) ||
      (a.keyId ?? a.fingerprint).localeCompare(b.keyId ?? b.fingerprint) ||
      a.reason.localeCompare(b.reason),
  );
  return { findings, loneSecrets, suppressed, secrets };
}

/**
 * Secrets labelled as AWS secret access keys that no key id claims anywhere in the scan: nothing in their
 * file version or commit names a key. Unlabelled 40-character runs stay out (most are hashes or paths),
 * and so do AWS's documentation secrets. Those the baseline lists, and places an allow marker, path or
 * commit silences, go to `suppressed` with the reason, as a key's do.
 */
function loneSecretsOf(
  units: readonly ScanUnit[],
  claims: Map<string, Claim[]>,
  config: KeyleakConfig,
  byOrder: (a: Location, b: Location) => number,
  secrets: Map<string, SecretMaterial>,
  suppressed: Suppressed[],
): LoneSecret[] {
  const claimed = new Set<string>();
  for (const list of claims.values()) for (const c of list) claimed.add(c.value);
  const lone = new Map<string, Map<string, Location>>();
  const silenced = new Map<string, Map<SuppressionReason, Map<string, Location>>>();
  for (const unit of units) {
    for (const s of unit.analysis.secrets) {
      if (!s.awsLabelled || s.documented || claimed.has(s.value)) continue;
      const loc = locationOf(unit, s.line);
      const fingerprint = fingerprintSecret(s.value);
      // A marker the scanned change added itself does not silence it (scanChange), as for a key.
      const marker = config.ignoreInlineAllow?.has(fingerprint) ? null : s.marker;
      const reason: SuppressionReason | null = config.baseline.has(fingerprint)
        ? 'baseline'
        : locationSuppression(unit, marker, config);
      if (reason) {
        let byReason = silenced.get(s.value);
        if (!byReason) silenced.set(s.value, (byReason = new Map()));
        let m = byReason.get(reason);
        if (!m) byReason.set(reason, (m = new Map()));
        m.set(locationId(loc), loc);
        continue;
      }
      let locs = lone.get(s.value);
      if (!locs) lone.set(s.value, (locs = new Map()));
      locs.set(locationId(loc), loc);
    }
  }
  for (const [value, byReason] of silenced) {
    for (const [reason, locs] of byReason) {
      suppressed.push({
        keyId: null,
        secretRedacted: redactSecret(value),
        reason,
        fingerprint: fingerprintSecret(value),
        locations: [...locs.values()].sort(byOrder),
      });
    }
  }
  const out: LoneSecret[] = [...lone].map(([value, locs]) => {
    const fingerprint = fingerprintSecret(value);
    // Labelled, so it is the secret itself: a rewrite removes it and checks it is gone.
    secrets.set(fingerprint, { secrets: [value], strong: [value], labelled: [value], sessionTokens: [] });
    return { secretRedacted: redactSecret(value), fingerprint, locations: [...locs.values()].sort(byOrder) };
  });
  return out.sort(
    (a, b) =>
      compareLocations(a.locations[0]!, b.locations[0]!) || a.fingerprint.localeCompare(b.fingerprint),
  );
}

/** How strongly one key id claims one secret: lower tiers first, then the smaller distance. */
interface Claim {
  value: string;
  /** 0 the same line, 1 the same file version, 2 another file of the same commit. */
  tier: number;
  /**
   * Within a file: twice the line distance, plus one when the secret comes before the key id. Across
   * files: 1 when the key id has a secret of its own in its file, else 0.
   */
  distance: number;
  labelled: boolean;
}

const NOT_A_KEY: ReadonlySet<string> = new Set(['aws-example', 'placeholder', 'not-aws-key-id']);

/** Lines within which an unlabelled secret in the same file is claimed strongly enough to be removed. */
const STRONG_DISTANCE = 3;

/**
 * Gives each secret to the key id that claims it most strongly: the same line, then the nearest in the
 * same file version (a secret after its key id before one above it), then any key id of the same commit.
 * Another key id gets the secret only when nothing nearer claims it, so a neighbour's secret is never
 * tried on (or removed for) the wrong key. Allowed and baselined key ids claim too; documentation ids and
 * placeholders do not.
 */
function claimSecrets(
  units: readonly ScanUnit[],
  byCommit: Map<string, ScanUnit[]>,
  config: KeyleakConfig,
): Map<string, Claim[]> {
  const out = new Map<string, Claim[]>();
  const give = (keyId: string, c: Claim) => {
    const list = out.get(keyId);
    if (list) list.push(c);
    else out.set(keyId, [c]);
  };
  const seenCommits = new Set<string>();
  for (const unit of units) {
    let group: readonly ScanUnit[];
    if (unit.commit) {
      if (seenCommits.has(unit.commit.sha)) continue;
      seenCommits.add(unit.commit.sha);
      group = byCommit.get(unit.commit.sha) ?? [unit];
    } else group = [unit];
    // Documentation ids, placeholders and ids that are no AWS key id own no secret: a real secret beside
    // one belongs to a real key id of the commit.
    const hits = group.flatMap((u) =>
      u.analysis.keyIds
        .filter((k) => !NOT_A_KEY.has(keySuppression(k.keyId, config) ?? ''))
        .map((k) => ({ unit: u, k })),
    );
    if (hits.length === 0) continue;
    // A key id with a secret of its own in its file claims another file's secret less than one without.
    const candidate = (s: SecretHit, u: ScanUnit) =>
      !s.documented && locationSuppression(u, s.marker, config) !== 'inline-allow';
    const hasOwn = new Set(
      group.filter((u) => u.analysis.secrets.some((s) => candidate(s, u))).flatMap((u) => u.analysis.keyIds),
    );
    for (const u of group) {
      for (const s of u.analysis.secrets) {
        if (!candidate(s, u)) continue;
        let best: Claim | null = null;
        const winners: string[] = [];
        for (const { unit: ku, k } of hits) {
          const c: Claim =
            ku !== u
              ? { value: s.value, tier: 2, distance: hasOwn.has(k) ? 1 : 0, labelled: s.labelled }
              : k.line === s.line
                ? { value: s.value, tier: 0, distance: 0, labelled: s.labelled }
                : {
                    value: s.value,
                    tier: 1,
                    distance: Math.abs(k.line - s.line) * 2 + (s.line < k.line ? 1 : 0),
                    labelled: s.labelled,
                  };
          const cmp = best ? c.tier - best.tier || c.distance - best.distance : -1;
          if (cmp < 0) {
            best = c;
            winners.length = 0;
          }
          if (cmp <= 0 && !winners.includes(k.keyId)) winners.push(k.keyId);
        }
        for (const keyId of winners) give(keyId, best!);
      }
    }
  }
  return out;
}

function isStrong(c: Claim): boolean {
  return c.tier === 0 || c.labelled || (c.tier === 1 && c.distance <= STRONG_DISTANCE * 2 + 1);
}

/**
 * A key's candidates in the order they are tried: the same line first, then labelled secrets wherever
 * they are in the commit, then the rest by claim.
 */
function materialOf(
  keyId: string,
  claims: Claim[],
  g: KeyGroup,
  byCommit: Map<string, ScanUnit[]>,
): SecretMaterial {
  const rank = (c: Claim) => (c.tier === 0 ? 0 : c.labelled ? 1 : 2);
  const sorted = [...claims].sort((a, b) => rank(a) - rank(b) || a.tier - b.tier || a.distance - b.distance);
  const secrets = [...new Set(sorted.map((c) => c.value))].slice(0, MAX_SECRET_CANDIDATES);
  const strong = [...new Set(sorted.filter(isStrong).map((c) => c.value))].filter((v) => secrets.includes(v));
  const tokens: string[] = [];
  if (keyKind(keyId) === 'temporary') {
    const near = new Set<ScanUnit>(g.reportedUnits);
    for (const unit of g.reportedUnits) {
      tokens.push(...unit.analysis.tokens.map((t) => t.value));
      if (unit.commit) for (const other of byCommit.get(unit.commit.sha) ?? []) near.add(other);
    }
    for (const unit of near) tokens.push(...unit.analysis.tokens.map((t) => t.value));
  }
  const labelled = [...new Set(sorted.filter((c) => c.labelled).map((c) => c.value))];
  return { secrets, strong, labelled, sessionTokens: [...new Set(tokens)].slice(0, 2) };
}
