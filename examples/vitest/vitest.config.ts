import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['ai-vcr/vitest'],
    globalSetup: ['ai-vcr/vitest/global-setup'],
    provide: { aiVcr: { dir: 'recordings' } },
  },
});
