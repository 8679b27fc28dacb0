import { formatBytes } from './text.js';

/** What a scan is doing, in the words its progress line uses. */
export type ScanPhase = 'reading packs' | 'reading objects' | 'attributing' | 'verifying';

/** Progress of a scan's current phase, for the CLI's progress line. */
export interface PhaseProgress {
  phase: ScanPhase;
  objects: number;
  totalObjects: number;
  bytes: number;
  totalBytes: number;
}

/** Clears from the cursor to the end of the line: whatever a longer line drew before is gone. */
const CLEAR_TO_END = '\x1b[K';

const BAR_WIDTH = 24;

/**
 * One progress line: the phase, how far it is (a bar when its total is known), the bytes read and the
 * rate since the phase began. `seconds` is the time spent in the phase.
 */
export function progressLine(p: PhaseProgress, seconds: number): string {
  const parts: string[] = [p.phase.padEnd(15)];
  const done =
    p.totalBytes > 0 ? p.bytes / p.totalBytes : p.totalObjects > 0 ? p.objects / p.totalObjects : -1;
  if (done >= 0) {
    const pct = Math.min(100, Math.floor(done * 100));
    const filled = Math.round((pct / 100) * BAR_WIDTH);
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(pct).padStart(3)}%`);
  } else if (p.totalObjects > 0 || p.objects > 0) {
    const unit = p.phase === 'verifying' ? 'key' : 'object';
    parts.push(`${p.objects.toLocaleString('en-US')} ${unit}${p.objects === 1 ? '' : 's'}`);
  }
  if (p.bytes > 0) {
    parts.push(formatBytes(p.bytes));
    if (seconds >= 0.5) parts.push(`${formatBytes(p.bytes / seconds)}/s`);
  }
  return parts.join('  ');
}

/**
 * A progress line redrawn in place on a terminal: carriage return, the line, then clear to the end of
 * the line, so a shorter line never leaves the tail of a longer one behind. The rate restarts with each
 * phase.
 */
export class ProgressLine {
  private phase: ScanPhase | null = null;
  private phaseStart = 0;
  private drawn = false;

  constructor(
    private readonly write: (s: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  draw(p: PhaseProgress): void {
    if (p.phase !== this.phase) {
      this.phase = p.phase;
      this.phaseStart = this.now();
    }
    this.write(`\r${progressLine(p, (this.now() - this.phaseStart) / 1000)}${CLEAR_TO_END}`);
    this.drawn = true;
  }

  /** Removes the line, so what is printed next starts on a clean line. */
  clear(): void {
    if (this.drawn) this.write(`\r${CLEAR_TO_END}`);
    this.drawn = false;
  }
}
