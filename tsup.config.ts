import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'vitest/index': 'src/vitest/index.ts',
    'vitest/global-setup': 'src/vitest/global-setup.ts',
    'jest/index': 'src/jest/index.ts',
    'jest/reporter': 'src/jest/reporter.ts',
    'jest/environment': 'src/jest/environment.ts',
    'jest/babel-plugin': 'src/jest/babel-plugin.ts',
    // The command line (package.json "bin"); its source starts with the #!/usr/bin/env node line.
    'cli/index': 'src/cli/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  // src/msw.ts resolves msw's package.json with import.meta.url, which CommonJS lacks.
  shims: true,
  // Peers and runtime dependencies stay imports, so the user's single copy of msw is the one
  // patched, and the runner integrations use the runner that loaded them.
  external: ['msw', 'msw/node', 'vitest', 'vitest/node', '@jest/globals', 'jest-environment-node'],
});
