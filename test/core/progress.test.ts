import { describe, expect, it } from 'vitest';
import { ProgressLine, progressLine, type PhaseProgress } from '../../src/core/render/progress.js';

const MiB = 1 << 20;
const GiB = 1 << 30;

/** A terminal line: what is left on screen after the writes, honouring \r and clear-to-end-of-line. */
function screen(writes: string[]): string {
  let line = '';
  let col = 0;
  for (const w of writes) {
    for (let i = 0; i < w.length; i++) {
      if (w[i] === '\r') col = 0;
      else if (w.startsWith('\x1b[K', i)) {
        line = line.slice(0, col);
        i += 2;
      } else {
        line = line.slice(0, col) + w[i] + line.slice(col + 1);
        col++;
      }
    }
  }
  return line;
}

describe('the progress line', () => {
  it.each<{ what: string; p: PhaseProgress; seconds: number; line: string }>([
    {
      what: 'reading packs: a bar from the objects counted, the bytes and the rate',
      p: { phase: 'reading packs', objects: 50, totalObjects: 200, bytes: 300 * MiB, totalBytes: 0 },
      seconds: 2,
      line: 'reading packs    [######..................]  25%  300.0 MiB  150.0 MiB/s',
    },
    {
      what: 'reading objects through git: a bar from the bytes',
      p: { phase: 'reading objects', objects: 0, totalObjects: 0, bytes: GiB, totalBytes: 2 * GiB },
      seconds: 4,
      line: 'reading objects  [############............]  50%  1.0 GiB  256.0 MiB/s',
    },
    {
      what: 'attributing: the objects analysed of those flagged',
      p: { phase: 'attributing', objects: 3, totalObjects: 4, bytes: 3 * MiB, totalBytes: 0 },
      seconds: 1,
      line: 'attributing      [##################......]  75%  3.0 MiB  3.0 MiB/s',
    },
    {
      what: 'verifying: the keys, without a bar',
      p: { phase: 'verifying', objects: 2, totalObjects: 0, bytes: 0, totalBytes: 0 },
      seconds: 3,
      line: 'verifying        2 keys',
    },
    {
      what: 'no rate in the first half second (it would be noise)',
      p: { phase: 'reading packs', objects: 1, totalObjects: 100, bytes: 5 * MiB, totalBytes: 0 },
      seconds: 0.1,
      line: 'reading packs    [........................]   1%  5.0 MiB',
    },
  ])('$what', ({ p, seconds, line }) => {
    expect(progressLine(p, seconds)).toBe(line);
  });

  it('redraws in place and leaves no characters of a longer line behind', () => {
    const writes: string[] = [];
    let t = 0;
    const bar = new ProgressLine(
      (s) => writes.push(s),
      () => t,
    );
    bar.draw({ phase: 'reading packs', objects: 10, totalObjects: 10, bytes: 1.2 * GiB, totalBytes: 0 });
    t = 1000;
    bar.draw({ phase: 'verifying', objects: 1, totalObjects: 0, bytes: 0, totalBytes: 0 });
    expect(screen(writes)).toBe('verifying        1 key');
    expect(writes.every((w) => w.startsWith('\r') && w.endsWith('\x1b[K'))).toBe(true);
    bar.clear();
    expect(screen(writes)).toBe('');
  });

  it('restarts the rate with each phase', () => {
    const writes: string[] = [];
    let t = 0;
    const bar = new ProgressLine(
      (s) => writes.push(s),
      () => t,
    );
    bar.draw({ phase: 'reading packs', objects: 0, totalObjects: 1, bytes: 0, totalBytes: 0 });
    t = 10_000;
    bar.draw({ phase: 'attributing', objects: 0, totalObjects: 2, bytes: 0, totalBytes: 0 });
    t = 11_000;
    bar.draw({ phase: 'attributing', objects: 1, totalObjects: 2, bytes: 4 * MiB, totalBytes: 0 });
    expect(screen(writes)).toContain('4.0 MiB/s');
  });
});
