import type { PollyConfig } from '@pollyjs/core';

/** How the bench's Polly records and replays, in run.ts and in the generated suite alike. */
export function pollyConfig(dir: string, mode: 'record' | 'replay'): PollyConfig {
  return {
    adapters: ['fetch'],
    persister: 'fs',
    persisterOptions: { fs: { recordingsDir: dir } },
    mode,
    recordIfMissing: false,
    logLevel: 'silent',
    // The SDK's x-stainless-* headers differ across machines, so a real suite ignores them; order off
    // lets one recorded interaction answer every repeat of the same request.
    matchRequestsBy: { headers: false, order: false },
  };
}
