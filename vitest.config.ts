import { defineConfig } from 'vitest/config';

// Two projects: `unit` (everything in-process: the real SDK and Octokit against the emulators, real git)
// and `e2e` (the bundled action run as the runner runs it). `npm test` runs both; `npm run test:unit`
// only the first. Timeouts are generous on purpose: they catch a hang, never a slow machine.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.e2e.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          // Bundles the action once for every e2e file, before any of them starts.
          globalSetup: ['test/helpers/e2e-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
