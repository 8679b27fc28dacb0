import { afterAll, afterEach, vi } from 'vitest';
import type { World } from './harness.js';

// Apart from harness.ts, which the demo driver bundles and runs outside vitest.

/**
 * The worlds and emulators a test file starts, stopped after each test (emulators, stubbed environment)
 * and removed after the file (worlds).
 */
export function trackCleanups(): { worlds: World[]; closers: { close(): Promise<void> }[] } {
  const worlds: World[] = [];
  const closers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c.close();
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    for (const w of worlds.splice(0)) w.cleanup();
  });
  return { worlds, closers };
}
