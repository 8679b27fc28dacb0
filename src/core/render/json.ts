import type { ScanReport } from '../types.js';

/**
 * The JSON report: `{ findings, loneSecrets, suppressed, stats, incomplete, warnings }`, and `missing` when
 * objects could not be read. Holds no secret.
 */
export function renderJson(report: ScanReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
