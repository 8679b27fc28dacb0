import type { ScanReport } from '../types.js';

/** The JSON report: `{ findings, loneSecrets, suppressed, stats, incomplete, warnings }`. Holds no secret. */
export function renderJson(report: ScanReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
