import type { KeyleakConfig } from '../core/config.js';
import { buildFindings, type ScanUnit, type SecretMaterial } from '../core/findings.js';
import type { ScanReport } from '../core/types.js';

/** A scan's report, and the raw secrets kept apart from it for verification only. */
export interface ScanResult {
  report: ScanReport;
  secrets: Map<string, SecretMaterial>;
}

/**
 * The one way a scan becomes a result: its units paired into findings, with what it read and what it
 * could not (a warning makes the scan incomplete unless `incomplete` says otherwise).
 */
export function scanResult(
  units: ScanUnit[],
  config: KeyleakConfig,
  stats: ScanReport['stats'],
  warnings: string[],
  incomplete = warnings.length > 0,
): ScanResult {
  const built = buildFindings(units, config);
  return {
    report: {
      findings: built.findings,
      loneSecrets: built.loneSecrets,
      suppressed: built.suppressed,
      stats,
      incomplete,
      warnings,
    },
    secrets: built.secrets,
  };
}

/** The report of a scan that had nothing to read (a push of no new commits). */
export function emptyReport(): ScanReport {
  return {
    findings: [],
    suppressed: [],
    stats: { mode: 'range', objectsScanned: 0, bytesScanned: 0, commitsScanned: 0, durationMs: 0 },
    incomplete: false,
    warnings: [],
  };
}
