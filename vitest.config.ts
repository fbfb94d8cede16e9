import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/support/no-network.ts'],
    testTimeout: 15_000,
    // A hang (the msw 2 cancel bug) must fail the test, not the CI run.
    hookTimeout: 15_000,
  },
});
