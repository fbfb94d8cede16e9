import { copyFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './support/fixtures.js';
import { ASK, NO_NETWORK, project, recordingsIn, sh, SUITES, summaryOf, testIdsByQuestion } from './support/project.js';
import { startUpstream } from './support/upstream.js';

const EARTH = 'seeds/004_93e64aa372a341f8.json';

// The preset, as users set it up; no-network.ts is TypeScript, which the preset leaves to the suite.
const CONFIG = `
module.exports = {
  preset: 'ai-vcr',
  setupFiles: [${JSON.stringify(NO_NETWORK)}],
  reporters: ['default', ['ai-vcr/jest/reporter', { dir: 'recordings' }]],
  transform: { '^.+\\\\.ts$': ['babel-jest', { presets: [['@babel/preset-env', { targets: { node: 'current' } }], '@babel/preset-typescript'] }] },
};
`;

// The same by hand, as a suite that keeps its own testEnvironment, transform and reporters
// lists would set it up.
const MANUAL_CONFIG = `
module.exports = {
  testEnvironment: 'ai-vcr/jest/environment',
  setupFiles: [${JSON.stringify(NO_NETWORK)}],
  setupFilesAfterEnv: ['ai-vcr/jest'],
  reporters: ['default', ['ai-vcr/jest/reporter', { dir: 'recordings' }]],
  transform: {
    '^.+\\\\.[cm]?[jt]s$': ['babel-jest', {
      presets: [['@babel/preset-env', { targets: { node: 'current' } }], '@babel/preset-typescript'],
      plugins: [require.resolve('ai-vcr/jest/babel-plugin')],
    }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(\\\\.pnpm|msw|@msw|@mswjs|@open-draft|until-async|rettime|cookie)/)'],
};
`;

// A call in a beforeAll, outside any test; its miss's error is printed on one line, not thrown.
const EARLY = `
import { ask } from './ask.js';

beforeAll(async () => {
  await ask('early').catch((error) => console.log('early: ' + JSON.stringify(error.message)));
});

test('says hello', async () => {
  expect(await ask('hello')).toMatch(/: hello$/);
});
`;

describe('ai-vcr/jest with ai-vcr/jest/reporter', () => {
  it('stamps recordings with their test, and sums up the run: misses with the command that records them, unused recordings', async () => {
    const upstream = await startUpstream();
    const dir = await project({
      'jest.config.cjs': CONFIG,
      'tests/ask.js': ASK,
      'tests/chat.test.js': SUITES['tests/chat.test.js'],
      'tests/[id]/quoted.test.js': SUITES['tests/[id]/quoted.test.js'],
    });
    const recordings = path.join(dir, 'recordings');

    const recorded = await sh(dir, 'jest tests/chat.test.js', { AI_VCR_MODE: 'record-if-missing', UPSTREAM_URL: upstream.baseURL });
    expect(summaryOf(recorded.output)).toEqual(['ai-vcr: 0 replayed, 2 recorded, 0 missed (mode record-if-missing, dir recordings)']);
    expect(recorded.code).toBe(0);
    expect((await recordingsIn(recordings)).map(({ testId, text }) => [testId, text]).sort()).toEqual([
      ['tests/chat.test.js > chat > says bye', 'echo 2: bye'],
      ['tests/chat.test.js > chat > says hello', 'echo 1: hello'],
    ]);

    await copyFile(path.join(FIXTURES, EARTH), path.join(recordings, 'earth.json'));
    const replayed = await sh(dir, 'jest');
    expect(replayed.code).toBe(1);
    // The file's path is a pattern to jest: brackets (a Next.js route, say) must not make it match nothing.
    const command = `npx jest --runTestsByPath 'tests/[id]/quoted.test.js' -t '^asks about "quotes" \\(and parens\\)$'`;
    expect(summaryOf(replayed.output)).toEqual([
      'ai-vcr: 2 replayed, 0 recorded, 1 missed (mode replay, dir recordings)',
      '  missed POST /v1/chat/completions (model "echo") in tests/[id]/quoted.test.js > asks about "quotes" (and parens)',
      `    record it: AI_VCR_MODE=record-if-missing ${command}`,
    ]);

    // The command in the summary records exactly the test that missed; the filtered run lists nothing as unused.
    const fixed = await sh(dir, `AI_VCR_MODE=record-if-missing ${command}`, { UPSTREAM_URL: upstream.baseURL });
    expect(summaryOf(fixed.output)).toEqual(['ai-vcr: 0 replayed, 1 recorded, 0 missed (mode record-if-missing, dir recordings)']);
    expect(fixed.code).toBe(0);
    expect(upstream.asked()).toEqual(['hello', 'bye', 'quotes']);

    // Only a run of the whole suite in which every test passed lists what no test used.
    const green = await sh(dir, 'jest');
    expect(summaryOf(green.output)).toEqual(['ai-vcr: 3 replayed, 0 recorded, 0 missed (mode replay, dir recordings)', '  unused recordings/earth.json']);
    expect(green.code).toBe(0);
    // A filter that jest folds into each project's config, where it looks like the suite's own setting.
    const ignoring = await sh(dir, 'jest --testPathIgnorePatterns quoted');
    expect(summaryOf(ignoring.output)).toEqual(['ai-vcr: 2 replayed, 0 recorded, 0 missed (mode replay, dir recordings)']);
  }, 120_000);

  it('tells test.concurrent tests apart: each recording carries the id of the test that made it', async () => {
    const upstream = await startUpstream({ together: 2 });
    const dir = await project({
      'jest.config.cjs': CONFIG,
      'tests/ask.js': ASK,
      'tests/pair.test.js': SUITES['tests/pair.test.js'],
    });
    const ran = await sh(dir, 'jest', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(summaryOf(ran.output)[0]).toBe('ai-vcr: 0 replayed, 2 recorded, 0 missed (mode record, dir recordings)');
    expect(ran.code).toBe(0);
    const byText = await testIdsByQuestion(path.join(dir, 'recordings'));
    expect(byText).toEqual({ one: 'tests/pair.test.js > pair > first', two: 'tests/pair.test.js > pair > second' });
  }, 30_000);
});

describe('ai-vcr/jest in hooks', () => {
  it("intercepts until the file's own afterAll has run, and names no test for requests made outside one", async () => {
    const upstream = await startUpstream();
    const dir = await project({
      'jest.config.cjs': CONFIG,
      'tests/ask.js': ASK,
      'tests/hooks.test.js': SUITES['tests/hooks.test.js'],
    });
    const ran = await sh(dir, 'jest', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(summaryOf(ran.output)[0]).toBe('ai-vcr: 0 replayed, 7 recorded, 0 missed (mode record, dir recordings)');
    expect(ran.code).toBe(0);
    const byText = await testIdsByQuestion(path.join(dir, 'recordings'));
    expect(byText).toEqual({
      'before a': 'tests/hooks.test.js > A > a',
      a: 'tests/hooks.test.js > A > a',
      'after a': 'tests/hooks.test.js > A > a',
      'setup b': null,
      b: 'tests/hooks.test.js > B > b',
      teardown: null,
      late: null,
    });
  }, 30_000);
});

describe('ai-vcr/jest configured by hand', () => {
  it('names the test of each call (on jest 29 through ai-vcr/jest/environment), and records a call outside any test with npx jest', async () => {
    const upstream = await startUpstream();
    const dir = await project({
      'jest.config.cjs': MANUAL_CONFIG,
      'tests/ask.js': ASK,
      'tests/early.test.js': EARLY,
    });
    const recorded = await sh(dir, 'jest', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(summaryOf(recorded.output)[0]).toBe('ai-vcr: 0 replayed, 2 recorded, 0 missed (mode record, dir recordings)');
    expect(await testIdsByQuestion(path.join(dir, 'recordings'))).toEqual({ early: null, hello: 'tests/early.test.js > says hello' });

    // The project has no npm test script: the command to record the early call is jest's own.
    const early = (await recordingsIn(path.join(dir, 'recordings'))).find(({ testId }) => testId === null)!;
    await rm(path.join(dir, 'recordings', early.file));
    const replayed = await sh(dir, 'jest');
    expect(summaryOf(replayed.output)).toEqual([
      'ai-vcr: 1 replayed, 0 recorded, 1 missed (mode replay, dir recordings)',
      '  missed POST /v1/chat/completions (model "echo") in no test (a hook or module scope)',
      '    record it: AI_VCR_MODE=record-if-missing npx jest',
    ]);
    // The miss's error, which the suite's beforeAll caught, says the same.
    const message = JSON.parse(/early: (".*")/.exec(replayed.output)?.[1] ?? '""');
    expect(message).toMatch(/\n {2}AI_VCR_MODE=record-if-missing npx jest$/);
  }, 60_000);
});

describe('ai-vcr/jest when a recording cannot be written', () => {
  it('fails the run and says which calls were not recorded and why, though every test got its answer', async () => {
    const upstream = await startUpstream();
    const dir = await project({ 'jest.config.cjs': CONFIG, 'tests/ask.js': ASK, 'tests/chat.test.js': SUITES['tests/chat.test.js'] });
    await writeFile(path.join(dir, 'recordings'), 'a file where the directory should be');
    const ran = await sh(dir, 'jest', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(ran.code).toBe(1);
    expect(ran.output).toMatch(/Tests: {7}2 passed, 2 total/);
    // The writes fail in whichever order they settle.
    expect(ran.output).toMatch(/ai-vcr: 2 calls were not recorded:\n {2}POST \/v1\/chat\/completions in tests\/chat.test.js > chat > says (hello|bye): cannot write recordings/);
    for (const test of ['says hello', 'says bye']) expect(ran.output).toContain(`  POST /v1/chat/completions in tests/chat.test.js > chat > ${test}: cannot write recordings to`);
    expect(summaryOf(ran.output)[0]).toBe('ai-vcr: 0 replayed, 0 recorded, 0 missed, 2 not recorded (mode record, dir recordings)');
  }, 120_000);
});
