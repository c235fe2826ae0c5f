/**
 * Interop suites (test/interop/*.interop.test.ts): sv2miner against SRI's own SV2 code (the Rust
 * sri-peer built by globalSetup) and, opt-in, pyasic. Kept out of `npm test`; run with
 * `npm run test:interop` or test/interop/run.sh. One file at a time: the machine has two cores.
 */
import { defineConfig } from 'vitest/config';

// biome-ignore lint/style/noDefaultExport: vitest loads the config from the default export
export default defineConfig({
  test: {
    include: ['test/interop/**/*.interop.test.ts'],
    globalSetup: ['test/interop/global-setup.ts'],
    testTimeout: 120_000,
    // The first cargo build of sri-peer's dependencies takes minutes on two shared cores.
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
