import type { SecretMaterial } from '../core/findings.js';
import type { ScanReport } from '../core/types.js';

/** A scan's report, and the raw secrets kept apart from it for verification only. */
export interface ScanResult {
  report: ScanReport;
  secrets: Map<string, SecretMaterial>;
}
