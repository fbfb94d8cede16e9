import nock from 'nock';
import { afterAll, beforeAll } from 'vitest';
import { replayTest } from './replay.ts';

let done: (() => void) | undefined;
beforeAll(async () => {
  nock.back.fixtures = process.env.BENCH_DIR!;
  // lockdown refuses any request the fixture does not cover, so a miss cannot reach the upstream.
  nock.back.setMode('lockdown');
  ({ nockDone: done } = await nock.back(`${process.env.BENCH_NAME}.json`));
});
afterAll(() => done?.());
replayTest();
