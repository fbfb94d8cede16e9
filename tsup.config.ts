import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  // Peers and runtime dependencies stay imports, so the user's single copy of msw is the one patched.
  external: ['msw', 'msw/node'],
});
