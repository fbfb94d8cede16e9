import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import OpenAI, { toFile } from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecorderEvent } from '../src/events.js';
import { setupRecorder } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { formatSummary } from '../src/summary.js';
import { tempDir } from './support/fixtures.js';
import { recorder } from './support/recorder.js';
import { startUpstream, type Upstream } from './support/upstream.js';

let upstream: Upstream;
beforeEach(async () => {
  upstream = await startUpstream();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const client = () => new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });

describe('every call ends in one accounted outcome', () => {
  it('a recording that cannot be written fails close(), naming the call and why, though the test got its answer', async () => {
    const file = path.join(await tempDir(), 'recordings');
    await writeFile(file, 'not a directory');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const vcr = recorder({ mode: 'record', dir: file });
    const answer = await client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'kept anyway' }] });
    expect(answer.choices[0]?.message.content).toBe('kept anyway');
    await expect(vcr.close()).rejects.toThrow(/^ai-vcr: 1 call was not recorded:\n {2}POST \/v1\/chat\/completions: .*recordings/);
    expect(errors).toHaveBeenCalled();
  });

  it('replay mode counts a refused call: a body it cannot record (an audio upload), never sent', async () => {
    const events: RecorderEvent[] = [];
    const { startRecorder } = await import('../src/server.js');
    const vcr = startRecorder(resolveOptions({ mode: 'replay', dir: await tempDir(), baseUrls: [upstream.baseURL] }, {}), { onEvent: (event) => events.push(event) });
    const refused = await client()
      .audio.transcriptions.create({ file: await toFile(Buffer.from('RIFF....WAVE'), 'hello.wav'), model: 'whisper-1' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
    expect((refused as Error).message).toMatch(/sends a multipart\/form-data body, which ai-vcr does not record/);
    await vcr.close();
    expect(events).toMatchObject([{ type: 'refused', method: 'POST', endpoint: '/v1/audio/transcriptions' }]);
    expect(upstream.requests).toEqual([]);
  });

  it('record mode sends a body it cannot record to the upstream, and counts it as not recorded, by policy', async () => {
    const events: RecorderEvent[] = [];
    const { startRecorder } = await import('../src/server.js');
    const dir = await tempDir();
    const vcr = startRecorder(resolveOptions({ mode: 'record', dir, baseUrls: [upstream.baseURL] }, {}), { onEvent: (event) => events.push(event) });
    await client()
      .audio.transcriptions.create({ file: await toFile(Buffer.from('RIFF....WAVE'), 'hello.wav'), model: 'whisper-1' })
      .catch(() => undefined);
    await vcr.close();
    expect(events).toMatchObject([{ type: 'not-recorded', why: 'policy', method: 'POST', endpoint: '/v1/audio/transcriptions' }]);
    expect(upstream.requests.map(({ url }) => url)).toEqual(['/v1/audio/transcriptions']);
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });

  it('a miss reaches stderr once, whatever the SDK makes of the 404 (the AI SDK shows only its own error)', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    recorder({ mode: 'replay', dir: await tempDir() });
    const model = createOpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL }).chat('gpt-test');
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = streamText({ model, prompt: 'never recorded', maxRetries: 0, onError: () => {} });
      await expect(result.text).rejects.toThrow();
    }
    const printed = errors.mock.calls.map(([message]) => String(message));
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^ai-vcr: no recording for POST \/v1\/chat\/completions \(model "gpt-test"\) in replay mode\.\n/);
    expect(upstream.requests).toEqual([]);
  });

  it('errors that are never recorded count as not recorded by policy, and do not fail close()', async () => {
    const events: RecorderEvent[] = [];
    const { startRecorder } = await import('../src/server.js');
    const dir = await tempDir();
    const vcr = startRecorder(resolveOptions({ mode: 'record', dir }, {}), { onEvent: (event) => events.push(event) });
    for (const status of [429, 503, 401, 400]) {
      const error = await client()
        .chat.completions.create({ model: `error-${status}`, messages: [{ role: 'user', content: 'hi' }] })
        .catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ status });
    }
    await expect(vcr.close()).resolves.toBeUndefined();
    expect(events.map(({ type, why, message }) => [type, why, message!.replace(/ [A-Z][\w ]+,/, ',')])).toEqual([
      ['not-recorded', 'policy', 'the upstream answered 429, which is never recorded'],
      ['not-recorded', 'policy', 'the upstream answered 503, which is never recorded'],
      ['not-recorded', 'policy', 'the upstream answered 401, which is never recorded'],
      ['not-recorded', 'policy', 'the upstream answered 400, which is recorded only with the recordErrors option'],
    ]);
  });

  it('close() resolves in replay mode, and in record mode when every call was recorded', async () => {
    const vcr = setupRecorder({ mode: 'record', dir: await tempDir() });
    await client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'fine' }] });
    await expect(vcr.close()).resolves.toBeUndefined();
  });
});

describe('the summary', () => {
  const base = { method: 'POST', endpoint: '/v1/chat/completions', model: 'gpt-4o', key: 'k1' };
  it('counts and lists refused calls and calls not recorded, failures before policy skips', async () => {
    const dir = await tempDir();
    const summary = await formatSummary(
      {
        events: [
          { ...base, type: 'recorded', file: path.join(dir, 'a.json') },
          { ...base, type: 'not-recorded', why: 'policy', message: 'the upstream answered 429, which is never recorded', key: 'k2' },
          { ...base, type: 'not-recorded', why: 'failure', message: 'the stream ended without [DONE]', key: 'k3', test: { id: 't > a' } },
          { ...base, type: 'passed-through', key: 'k4' },
          { type: 'refused', method: 'POST', endpoint: '/v1/moderations', key: '', test: { id: 't > b' } },
        ],
        filesDone: new Set(),
        unreadable: 0,
      },
      { options: resolveOptions({ mode: 'record-if-missing', dir }, {}), wholeSuite: false, cwd: dir },
    );
    expect(summary.split('\n')).toEqual([
      'ai-vcr: 0 replayed, 1 recorded, 0 missed, 1 refused, 1 live, 2 not recorded (mode record-if-missing, dir .)',
      '  refused POST /v1/moderations in t > b',
      '  not recorded POST /v1/chat/completions (model "gpt-4o"): the stream ended without [DONE] in t > a',
      '  not recorded POST /v1/chat/completions (model "gpt-4o"): the upstream answered 429, which is never recorded',
    ]);
  });
});
