import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Interop suites build a Rust peer from SRI's crates: `npm run test:interop` (also run by .ci/run).
    exclude: ['test/interop/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most long tests wait on sockets, child processes and the simulated chips rather than the
    // CPU, so three workers overlap their waits even on two cores (vitest's default there is one).
    maxWorkers: 3,
    // Files share a worker's module cache instead of re-importing the tree (and noble's curve
    // tables) per file: this halves the suite on two cores. Tests reset what they change
    // (SimBinding.reset, vi.restoreAllMocks, their own loggers and process hooks).
    isolate: false,
  },
});
