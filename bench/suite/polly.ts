import FetchAdapter from '@pollyjs/adapter-fetch';
import { Polly } from '@pollyjs/core';
import FSPersister from '@pollyjs/persister-fs';
import { afterAll, beforeAll } from 'vitest';
import { pollyConfig } from '../polly-config.ts';
import { replayTest } from './replay.ts';

// CommonJS whose types declare an ES default export: see contenders.ts.
Polly.register(FetchAdapter as unknown as typeof FetchAdapter.default);
Polly.register(FSPersister as unknown as typeof FSPersister.default);

let polly: Polly | undefined;
beforeAll(() => {
  polly = new Polly(process.env.BENCH_NAME!, pollyConfig(process.env.BENCH_DIR!, 'replay'));
});
afterAll(() => polly?.stop());
replayTest();
