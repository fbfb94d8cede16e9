import { copyFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { ASK, config, NO_NETWORK, project, recordingsIn, sh, SUITES, summaryOf, testIdsByQuestion } from './support/project.js';
import { startUpstream } from './support/upstream.js';

const EARTH = 'seeds/004_93e64aa372a341f8.json';




describe('ai-vcr/vitest with ai-vcr/vitest/global-setup', () => {
  it('stamps recordings with their test, and sums up the run: misses with the command that records them, unused recordings', async () => {
    const upstream = await startUpstream();
    const dir = await project({
      'vitest.config.js': config(),
      'tests/ask.js': ASK,
      'tests/chat.test.js': SUITES['tests/chat.test.js'],
      'tests/[id]/quoted.test.js': SUITES['tests/[id]/quoted.test.js'],
    });
    const recordings = path.join(dir, 'recordings');

    const recorded = await sh(dir, 'vitest run tests/chat.test.js', { AI_VCR_MODE: 'record-if-missing', UPSTREAM_URL: upstream.baseURL });
    expect(recorded.output).toContain('ai-vcr: 0 replayed, 2 recorded, 0 missed (mode record-if-missing, dir recordings)');
    expect(recorded.code).toBe(0);
    expect((await recordingsIn(recordings)).map(({ testId, text }) => [testId, text]).sort()).toEqual([
      ['tests/chat.test.js > chat > says bye', 'echo 2: bye'],
      ['tests/chat.test.js > chat > says hello', 'echo 1: hello'],
    ]);

    await copyFile(path.join(FIXTURES, EARTH), path.join(recordings, 'earth.json'));
    const replayed = await sh(dir, 'vitest run');
    expect(replayed.code).toBe(1);
    const command = `npx vitest run 'tests/[id]/quoted.test.js' -t '^asks about "quotes" \\(and parens\\)$'`;
    expect(summaryOf(replayed.output)).toEqual([
      'ai-vcr: 2 replayed, 0 recorded, 1 missed (mode replay, dir recordings)',
      '  missed POST /v1/chat/completions (model "echo") in tests/[id]/quoted.test.js > asks about "quotes" (and parens)',
      `    record it: AI_VCR_MODE=record-if-missing ${command}`,
    ]);

    // The command in the summary records exactly the test that missed.
    const fixed = await sh(dir, `AI_VCR_MODE=record-if-missing ${command}`, { UPSTREAM_URL: upstream.baseURL });
    // A filtered run leaves recordings alone without making them unused: none are listed.
    expect(summaryOf(fixed.output)).toEqual(['ai-vcr: 0 replayed, 1 recorded, 0 missed (mode record-if-missing, dir recordings)']);
    expect(upstream.asked()).toEqual(['hello', 'bye', 'quotes']);

    const green = await sh(dir, 'vitest run');
    expect(green.output).toContain('ai-vcr: 3 replayed, 0 recorded, 0 missed');
    expect(green.output).toContain('unused recordings/earth.json');
    expect(green.code).toBe(0);
    expect(summaryOf((await sh(dir, 'vitest run tests/chat.test.js')).output)).toEqual(['ai-vcr: 2 replayed, 0 recorded, 0 missed (mode replay, dir recordings)']);
  }, 60_000);

  it('tells concurrent tests apart: each recording carries the id of the test that made it', async () => {
    // The upstream answers only once both requests are in flight: the tests really overlap.
    const upstream = await startUpstream({ together: 2 });
    const dir = await project({
      'vitest.config.js': config(),
      'tests/ask.js': ASK,
      'tests/pair.test.js': SUITES['tests/pair.test.js'],
    });
    const ran = await sh(dir, 'vitest run', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(ran.output).toContain('ai-vcr: 0 replayed, 2 recorded, 0 missed');
    expect(ran.code).toBe(0);
    const byText = await testIdsByQuestion(path.join(dir, 'recordings'));
    expect(byText).toEqual({ one: 'tests/pair.test.js > pair > first', two: 'tests/pair.test.js > pair > second' });
  }, 30_000);
});

describe('ai-vcr/vitest when a recording cannot be written', () => {
  it('fails the run and says which calls were not recorded and why, though every test got its answer', async () => {
    const upstream = await startUpstream();
    const dir = await project({ 'vitest.config.js': config(), 'tests/ask.js': ASK, 'tests/chat.test.js': SUITES['tests/chat.test.js'] });
    await writeFile(path.join(dir, 'recordings'), 'a file where the directory should be');
    const ran = await sh(dir, 'vitest run', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(ran.code).toBe(1);
    expect(ran.output).toMatch(/Tests {2}2 passed/);
    // The writes fail in whichever order they settle.
    expect(ran.output).toMatch(/ai-vcr: 2 calls were not recorded:\n {2}POST \/v1\/chat\/completions in tests\/chat.test.js > chat > says (hello|bye): cannot write recordings/);
    for (const test of ['says hello', 'says bye']) expect(ran.output).toContain(`  POST /v1/chat/completions in tests/chat.test.js > chat > ${test}: cannot write recordings to`);
    expect(summaryOf(ran.output)[0]).toBe('ai-vcr: 0 replayed, 0 recorded, 0 missed, 2 not recorded (mode record, dir recordings)');
  });
});

describe('ai-vcr/vitest/global-setup with projects', () => {
  it('prints one summary for all projects, names the project in commands, and lists unused recordings only after a run of every project', async () => {
    const upstream = await startUpstream();
    const dir = await project({
      'vitest.config.js': `
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    setupFiles: [${JSON.stringify(NO_NETWORK)}, 'ai-vcr/vitest'],
    globalSetup: ['ai-vcr/vitest/global-setup'],
    provide: { aiVcr: { dir: 'recordings' } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/*.test.js'] } },
      { extends: true, test: { name: 'int tests', include: ['tests/int/*.test.js'] } },
    ],
  },
});
`,
      'tests/ask.js': ASK,
      'tests/unit/a.test.js': `import { ask } from '../ask.js';\ntest('a', async () => expect(await ask('a')).toMatch(/a$/));\n`,
      'tests/int/b.test.js': `import { ask } from '../ask.js';\ntest('b', async () => expect(await ask('b')).toMatch(/b$/));\n`,
      // Matched by the root project's default include, run by no project (another runner's spec).
      'e2e/flow.spec.js': '',
    });
    const recordings = path.join(dir, 'recordings');
    const summaries = (output: string) => output.match(/^ai-vcr: \d+ replayed.*$/gm);

    const recorded = await sh(dir, 'vitest run', { AI_VCR_MODE: 'record-if-missing', UPSTREAM_URL: upstream.baseURL });
    expect(summaries(recorded.output)).toEqual(['ai-vcr: 0 replayed, 2 recorded, 0 missed (mode record-if-missing, dir recordings)']);
    const fromB = (await recordingsIn(recordings)).find(({ text }) => text.endsWith(': b'))!;
    await rm(path.join(recordings, fromB.file));
    await copyFile(path.join(FIXTURES, EARTH), path.join(recordings, 'earth.json'));

    const missed = await sh(dir, 'vitest run');
    const command = `npx vitest run --project 'int tests' tests/int/b.test.js -t '^b$'`;
    expect(summaryOf(missed.output)).toEqual([
      'ai-vcr: 1 replayed, 0 recorded, 1 missed (mode replay, dir recordings)',
      '  missed POST /v1/chat/completions (model "echo") in tests/int/b.test.js > b',
      `    record it: AI_VCR_MODE=record-if-missing ${command}`,
    ]);
    expect(summaries((await sh(dir, `AI_VCR_MODE=record-if-missing ${command}`, { UPSTREAM_URL: upstream.baseURL })).output)).toEqual([
      'ai-vcr: 0 replayed, 1 recorded, 0 missed (mode record-if-missing, dir recordings)',
    ]);

    const green = await sh(dir, 'vitest run');
    expect(green.code).toBe(0);
    expect(summaries(green.output)).toHaveLength(1);
    expect(summaryOf(green.output)).toEqual(['ai-vcr: 2 replayed, 0 recorded, 0 missed (mode replay, dir recordings)', '  unused recordings/earth.json']);
    // Filters that vitest folds into its config, where they look like the suite's own settings.
    for (const filter of ['--project unit', "--exclude 'tests/int/**'"]) {
      const filtered = await sh(dir, `vitest run ${filter}`);
      expect(filtered.code, filter).toBe(0);
      expect(summaryOf(filtered.output), filter).toEqual(['ai-vcr: 1 replayed, 0 recorded, 0 missed (mode replay, dir recordings)']);
    }
  }, 90_000);
});

describe('ai-vcr/vitest/global-setup next to other global setups', () => {
  it('prints the summary and leaves nothing behind when another global setup fails to tear down', async () => {
    const dir = await project({
      'vitest.config.js': `
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['ai-vcr/vitest'],
    globalSetup: ['ai-vcr/vitest/global-setup', './database.js'],
  },
});
`,
      // Torn down before ours (vitest tears down in reverse), and fails.
      'database.js': `export default () => () => { throw new Error('database would not stop'); };\n`,
      'tests/none.test.js': `import { test } from 'vitest';\ntest('makes no LLM call', () => {});\n`,
    });
    const tmp = await tempDir();
    const ran = await sh(dir, 'vitest run', { TMPDIR: tmp });
    expect(ran.output).toContain('database would not stop');
    expect(summaryOf(ran.output)).toEqual(['ai-vcr: 0 replayed, 0 recorded, 0 missed (mode replay, dir recordings)']);
    expect((await readdir(tmp)).filter((name) => name.startsWith('ai-vcr-run-'))).toEqual([]);
  }, 30_000);
});

describe('ai-vcr/vitest in hooks', () => {
  it("intercepts until the file's last hook, and names no test for requests made outside one", async () => {
    const upstream = await startUpstream();
    const dir = await project({
      'vitest.config.js': config(),
      'tests/ask.js': ASK,
      'tests/hooks.test.js': SUITES['tests/hooks.test.js'],
    });
    const ran = await sh(dir, 'vitest run', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(ran.output).toContain('ai-vcr: 0 replayed, 7 recorded, 0 missed');
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

describe('ai-vcr/vitest alone', () => {
  it("takes its options from the config's provide and the environment, and with scope 'test' gives each test its own answer", async () => {
    const upstream = await startUpstream();
    const dir = await project({
      'vitest.config.js': config({ globalSetup: false, options: "{ dir: 'recordings', scope: 'test' }" }),
      'tests/ask.js': ASK,
      'tests/same.test.js': `
import { expect, test } from 'vitest';
import { ask } from './ask.js';

test('first', async () => {
  expect(await ask('same')).toBe('echo 1: same');
});
test('second', async () => {
  expect(await ask('same')).toBe('echo 2: same');
});
`,
    });
    const recorded = await sh(dir, 'vitest run', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(recorded.code).toBe(0);
    // Without the global setup there is no run to sum up.
    expect(summaryOf(recorded.output)).toEqual([]);
    expect((await recordingsIn(path.join(dir, 'recordings'))).map(({ testId }) => testId).sort()).toEqual([
      'tests/same.test.js > first',
      'tests/same.test.js > second',
    ]);
    // Replayed, identical requests get different answers, by test.
    expect((await sh(dir, 'vitest run')).code).toBe(0);
  }, 30_000);
});
