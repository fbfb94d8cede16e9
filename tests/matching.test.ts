import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecorderEvent } from '../src/events.js';
import { requestKey } from '../src/key.js';
import { resolveOptions, type RecorderOptions } from '../src/options.js';
import { startRecorder } from '../src/server.js';
import { formatSummary } from '../src/summary.js';
import { tempDir } from './support/fixtures.js';
import { ASK, config, NO_NETWORK, project, sh, summaryOf } from './support/project.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { startUpstream, type Upstream } from './support/upstream.js';

let upstream: Upstream;
beforeEach(async () => {
  upstream = await startUpstream();
});

function client() {
  return new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });
}

async function ask(content: string, model = 'gpt-test'): Promise<string> {
  const completion = await client().chat.completions.create({ model, messages: [{ role: 'user', content }] });
  return completion.choices[0]!.message.content ?? '';
}

async function recordingsIn(dir: string) {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(names.map(async (name) => ({ name, recording: JSON.parse(await readFile(path.join(dir, name), 'utf8')) })));
}

/** One run of a suite: a recorder for the run's calls, closed once they are written. */
async function run<T>(options: RecorderOptions, calls: () => Promise<T>): Promise<T> {
  recorder(options);
  try {
    return await calls();
  } finally {
    await closeRecorders();
  }
}

const prompt = (at: Date) => `What changed since ${at.toISOString()}?`;
const later = (ms: number) => new Date(Date.now() + ms);

describe('normalize: a prompt with a timestamp in it', () => {
  it('records once, and replays on a later run whose prompt has another timestamp', async () => {
    const dir = await tempDir();
    const options = { dir, normalize: ['iso-timestamps' as const] };
    const first = new Date();
    const recorded = await run({ ...options, mode: 'record-if-missing' }, () => ask(prompt(first)));
    const replayed = await run({ ...options, mode: 'replay' }, () => ask(prompt(later(90_000))));
    expect(replayed).toBe(recorded);
    expect(upstream.requests).toHaveLength(1);
    // The recording keeps the request as sent: the rule is for keying only.
    const [file] = await recordingsIn(dir);
    expect(file!.recording.request.body.messages[0].content).toBe(prompt(first));
  });

  it('misses without the rule: exact matching is the default', async () => {
    const dir = await tempDir();
    await run({ dir, mode: 'record' }, () => ask(prompt(new Date())));
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(run({ dir, mode: 'replay' }, () => ask(prompt(later(90_000))))).rejects.toThrow(/no recording for POST \/v1\/chat\/completions/);
  });

  it('matches a recording made before the rule, by the key its request has under the rule, and leaves its name alone', async () => {
    const dir = await tempDir();
    const first = new Date();
    const recorded = await run({ dir, mode: 'record' }, () => ask(prompt(first)));
    const [before] = await recordingsIn(dir);
    expect(before!.name).toBe(`${requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: { model: 'gpt-test', messages: [{ role: 'user', content: prompt(first) }] } })}.json`);

    const options = { dir, normalize: ['iso-timestamps' as const] };
    expect(await run({ ...options, mode: 'replay' }, () => ask(prompt(later(90_000))))).toBe(recorded);
    expect(await run({ ...options, mode: 'record-if-missing' }, () => ask(prompt(later(180_000))))).toBe(recorded);
    expect(upstream.requests).toHaveLength(1);
    expect((await recordingsIn(dir)).map(({ name }) => name)).toEqual([before!.name]);
  });

  it('shows, on a miss, the difference the rules leave: the placeholder, not the timestamps', async () => {
    const dir = await tempDir();
    const options = { dir, normalize: ['iso-timestamps' as const] };
    await run({ ...options, mode: 'record' }, () => ask(prompt(new Date())));
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const missed = run({ ...options, mode: 'replay' }, () => ask(`What broke since ${later(90_000).toISOString()}?`));
    await expect(missed).rejects.toThrow(/matched: {2}after the normalize option's 1 rule/);
    await expect(missed).rejects.toThrow(/body\.messages\[0\]\.content: recorded "What changed since <timestamp>\?", request has "What broke since <timestamp>\?"/);
  });

  it('takes a function rule in code: here, one that drops a per-run field', async () => {
    const dir = await tempDir();
    const withoutUser = (body: unknown) => ({ ...(body as object), user: undefined });
    const send = (user: string) => client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], user });
    await run({ dir, mode: 'record', normalize: [withoutUser] }, () => send('run-1'));
    const replayed = await run({ dir, mode: 'replay', normalize: [withoutUser] }, () => send('run-2'));
    expect(replayed.choices[0]!.message.content).toBe('hi');
    expect((await recordingsIn(dir))[0]!.recording.request.body.user).toBe('run-1');
  });

  it('fails a call, as a miss that says so, when a function rule throws; a recording it throws on is reported broken', async () => {
    const dir = await tempDir();
    await run({ dir, mode: 'record' }, () => ask('hi'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const throwing = (body: unknown) => {
      if ((body as { model?: string }).model === 'gpt-test') throw new Error('no model expected');
      return body;
    };
    const events: RecorderEvent[] = [];
    const vcr = startRecorder(resolveOptions({ dir, mode: 'replay', normalize: [throwing] }, {}, 'code'), { onEvent: (event) => events.push(event) });
    try {
      await expect(ask('hi')).rejects.toThrow(/POST \/v1\/chat\/completions could not be keyed: the normalize function threw: no model expected\. Fix the function in the normalize option/);
      await expect(ask('hi', 'echo')).rejects.toThrow(/skipped: {2}\S+\.json is not a valid recording: the normalize function threw: no model expected/);
    } finally {
      await vcr.close();
    }
    expect(events.map(({ type }) => type)).toEqual(['missed', 'missed']);
    expect(errors).toHaveBeenCalled();
  });
});

describe('sequence: identical requests in order', () => {
  it('records each identical call in order and replays them in that order; a first call keeps its usual file name', async () => {
    const dir = await tempDir();
    const options = { dir, sequence: true };
    const recorded = await run({ ...options, mode: 'record' }, async () => [await ask('again', 'echo'), await ask('again', 'echo'), await ask('again', 'echo')]);
    expect(recorded).toEqual(['echo 1: again', 'echo 2: again', 'echo 3: again']);
    const files = await recordingsIn(dir);
    expect(files.map(({ recording }) => recording.call).sort()).toEqual([2, 3, undefined]);
    const body = { model: 'echo', messages: [{ role: 'user', content: 'again' }] };
    expect(files.find(({ recording }) => recording.call === undefined)!.name).toBe(`${requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body })}.json`);

    const replayed = await run({ ...options, mode: 'replay' }, async () => [await ask('again', 'echo'), await ask('again', 'echo'), await ask('again', 'echo')]);
    expect(replayed).toEqual(recorded);
    expect(upstream.requests).toHaveLength(3);
  });

  it('fails a call past the recorded ones with an error that names how many were recorded', async () => {
    const dir = await tempDir();
    const options = { dir, sequence: true };
    await run({ ...options, mode: 'record' }, async () => [await ask('again', 'echo'), await ask('again', 'echo')]);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const third = run({ ...options, mode: 'replay' }, async () => [await ask('again', 'echo'), await ask('again', 'echo'), await ask('again', 'echo')]);
    await expect(third).rejects.toThrow(/this recorder sent POST \/v1\/chat\/completions \(model "echo"\) a 3rd time, but only 2 calls were recorded \(sequence option, replay mode\)/);
    await expect(third).rejects.toThrow(/call: {5}3rd identical request \(sequence option\)/);
  });

  it('without the option, every identical call gets the first recording', async () => {
    const dir = await tempDir();
    await run({ dir, mode: 'record', sequence: true }, async () => [await ask('again', 'echo'), await ask('again', 'echo')]);
    expect(await run({ dir, mode: 'replay' }, async () => [await ask('again', 'echo'), await ask('again', 'echo')])).toEqual(['echo 1: again', 'echo 1: again']);
  });

  it('counts per test, and the summary names the call', async () => {
    const dir = await tempDir();
    const events: RecorderEvent[] = [];
    let test = 'a.test.ts > first';
    const vcr = startRecorder(resolveOptions({ dir, mode: 'record-if-missing', sequence: true }, {}), {
      currentTest: () => ({ id: test }),
      onEvent: (event) => events.push(event),
    });
    try {
      expect([await ask('again', 'echo'), await ask('again', 'echo')]).toEqual(['echo 1: again', 'echo 2: again']);
      test = 'a.test.ts > second';
      // A new test starts at the first call again: replayed, not sent.
      expect([await ask('again', 'echo'), await ask('again', 'echo'), await ask('again', 'echo')]).toEqual(['echo 1: again', 'echo 2: again', 'echo 3: again']);
    } finally {
      await vcr.close();
    }
    // A recording's event comes once it is written, so events are compared in no particular order.
    const outcomes = events.map(({ type, call, test }) => `${test?.id} ${type} ${call ?? 1}`).sort();
    expect(outcomes).toEqual(['a.test.ts > first recorded 1', 'a.test.ts > first recorded 2', 'a.test.ts > second recorded 3', 'a.test.ts > second replayed 1', 'a.test.ts > second replayed 2']);

    const missed = { ...events.find(({ call }) => call === 3)!, type: 'missed' as const, file: undefined };
    const summary = await formatSummary({ events: [...events, missed], filesDone: new Set(), unreadable: 0 }, { options: resolveOptions({ dir }, {}), wholeSuite: false, cwd: dir });
    expect(summary).toContain('missed POST /v1/chat/completions (model "echo") (3rd call) in a.test.ts > second');
  });
});

const LOOP_TEST = `
import { ask } from './ask.js';

test('polls twice', async () => {
  expect(await ask('status at ' + new Date().toISOString())).toMatch(/^echo 1: status at /);
  expect(await ask('status at ' + new Date().toISOString())).toMatch(/^echo 2: status at /);
});

// Counted per test: this test's first call is the first recording again.
test('polls once', async () => {
  expect(await ask('status at ' + new Date().toISOString())).toMatch(/^echo 1: status at /);
});
`;

/** A test that fails its first run after its calls: its retry must get the same answers again. */
const FLAKY_BODY = `
  expect(await ask('again')).toBe('echo 1: again');
  expect(await ask('again')).toBe('echo 2: again');
  if (!globalThis.failedOnce) {
    globalThis.failedOnce = true;
    throw new Error('flaky, the first time');
  }
`;

describe('from runner options: the rules and the sequence reach every worker as JSON', () => {
  async function recordThenReplay(dir: string, command: string) {
    const recorded = await sh(dir, command, { AI_VCR_MODE: 'record-if-missing', UPSTREAM_URL: upstream.baseURL });
    expect(recorded.code, recorded.output).toBe(0);
    expect(summaryOf(recorded.output)[0]).toMatch(/^ai-vcr: 1 replayed, 2 recorded, 0 missed/);
    // Later, so every timestamp differs from the recorded ones.
    const replayed = await sh(dir, command, { UPSTREAM_URL: upstream.baseURL });
    expect(replayed.code, replayed.output).toBe(0);
    expect(summaryOf(replayed.output)[0]).toMatch(/^ai-vcr: 3 replayed, 0 recorded, 0 missed/);
    expect(upstream.requests).toHaveLength(2);
  }

  it('vitest provide: replays a timestamped loop in order on a later run', async () => {
    const dir = await project({
      'vitest.config.js': config({ options: "{ dir: 'recordings', normalize: ['iso-timestamps'], sequence: true }" }),
      'tests/ask.js': ASK,
      'tests/loop.test.js': LOOP_TEST,
    });
    await recordThenReplay(dir, 'vitest run');
  }, 60_000);

  it('jest reporter options: the same', async () => {
    const dir = await project({
      'jest.config.cjs': `
module.exports = {
  preset: 'ai-vcr',
  setupFiles: [${JSON.stringify(NO_NETWORK)}],
  reporters: ['default', ['ai-vcr/jest/reporter', { dir: 'recordings', normalize: ['iso-timestamps'], sequence: true }]],
  transform: { '^.+\\\\.ts$': ['babel-jest', { presets: [['@babel/preset-env', { targets: { node: 'current' } }], '@babel/preset-typescript'] }] },
};
`,
      'tests/ask.js': ASK,
      'tests/loop.test.js': LOOP_TEST,
    });
    await recordThenReplay(dir, 'jest');
  }, 90_000);

  it('a retried test counts its calls from the first again (vitest retry, jest.retryTimes)', async () => {
    const vitest = await project({
      'vitest.config.js': `
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.js'],
    setupFiles: [${JSON.stringify(NO_NETWORK)}, 'ai-vcr/vitest'],
    globalSetup: ['ai-vcr/vitest/global-setup'],
    provide: { aiVcr: { dir: 'recordings', sequence: true } },
  },
});
`,
      'tests/ask.js': ASK,
      'tests/flaky.test.js': `
import { expect, test } from 'vitest';
import { ask } from './ask.js';

test('flaky', { retry: 1 }, async () => {${FLAKY_BODY}});
`,
    });
    const jest = await project({
      'jest.config.cjs': `
module.exports = {
  preset: 'ai-vcr',
  setupFiles: [${JSON.stringify(NO_NETWORK)}],
  reporters: ['default', ['ai-vcr/jest/reporter', { dir: 'recordings', sequence: true }]],
  transform: { '^.+\\\\.ts$': ['babel-jest', { presets: [['@babel/preset-env', { targets: { node: 'current' } }], '@babel/preset-typescript'] }] },
};
`,
      'tests/ask.js': ASK,
      'tests/flaky.test.js': `
import { ask } from './ask.js';

jest.retryTimes(1);
test('flaky', async () => {${FLAKY_BODY}});
`,
    });
    for (const [dir, command] of [[vitest, 'vitest run'], [jest, 'jest']] as const) {
      upstream.requests.length = 0;
      const recorded = await sh(dir, command, { AI_VCR_MODE: 'record-if-missing', UPSTREAM_URL: upstream.baseURL });
      expect(recorded.code, recorded.output).toBe(0);
      expect(summaryOf(recorded.output)[0], command).toMatch(/^ai-vcr: 2 replayed, 2 recorded, 0 missed/);
    }
  }, 90_000);
});
