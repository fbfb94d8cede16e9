import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['llm-vcr/vitest'],
    globalSetup: ['llm-vcr/vitest/global-setup'],
    provide: { llmVcr: { dir: 'recordings' } },
  },
});
