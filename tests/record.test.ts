import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import OpenAIv4 from 'openai-v4';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setupServer } from 'msw/node';
import { drainMockedResponses, recorderHandlers, setupRecorder } from '../src/index.js';
import { GRACE_MS, timing } from '../src/record.js';
import { tempDir } from './support/fixtures.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const API_KEY = 'sk-test-0123456789abcdefSECRET';

let upstream: Upstream;
beforeEach(async () => {
  upstream = await startUpstream();
});

function client(extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) {
  return new OpenAI({ apiKey: API_KEY, baseURL: upstream.baseURL, maxRetries: 0, ...extra });
}

async function recordings(dir: string) {
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.json'));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8') })));
}

async function streamText(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

const ask = (content: string, model = 'gpt-test') => ({ model, messages: [{ role: 'user' as const, content }], stream: true as const });

describe('record mode', () => {
  it('writes a llama-stack recording that replays offline', async () => {
    const dir = await tempDir();
    const vcr = recorder({ mode: 'record', dir });
    expect(await streamText(await client().chat.completions.create(ask('to be or not')))).toBe('to be or not');
    await vcr.close();

    const [file, ...others] = await recordings(dir);
    expect(others).toEqual([]);
    expect(file!.name).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(file!.text.endsWith('}\n')).toBe(true);
    expect(file!.text).toBe(`${JSON.stringify(JSON.parse(file!.text), null, 2)}\n`);
    const recording = JSON.parse(file!.text);
    const key = file!.name.slice(0, 64);
    expect(Object.keys(recording)).toEqual(['test_id', 'request', 'response', 'id_normalization_mapping']);
    expect(recording.test_id).toBeNull();
    expect(recording.request).toEqual({
      method: 'POST',
      url: `${upstream.baseURL}/chat/completions`,
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: ask('to be or not'),
      endpoint: '/v1/chat/completions',
      model: 'gpt-test',
    });
    expect(recording.response.is_streaming).toBe(true);
    expect(recording.response.body).toHaveLength(5);
    for (const chunk of recording.response.body) {
      expect(chunk.__type__).toBe('openai.types.chat.chat_completion_chunk.ChatCompletionChunk');
      expect(chunk.__data__).toMatchObject({ id: `rec-${key.slice(0, 12)}`, created: 0, object: 'chat.completion.chunk' });
    }
    expect(recording.response.chunk_times_ms).toHaveLength(5);

    recorder({ mode: 'replay', dir });
    const hits = upstream.requests.length;
    expect(await streamText(await client().chat.completions.create(ask('to be or not')))).toBe('to be or not');
    expect(upstream.requests.length).toBe(hits);
  });

  it('hands each chunk to the caller as the upstream sends it', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const stream = await client().chat.completions.create(ask('one two three four', 'slow'));
    let first: { at: number; lastSentBefore: boolean } | undefined;
    for await (const chunk of stream) {
      first ??= { at: performance.now(), lastSentBefore: upstream.lastChunkSentAt !== undefined };
      expect(chunk.object).toBe('chat.completion.chunk');
    }
    // Four chunks 200 ms apart: chunk 1 arrived at least 600 ms before the upstream finished.
    expect(first!.lastSentBefore).toBe(false);
    expect(upstream.lastChunkSentAt! - first!.at).toBeGreaterThan(400);
  });

  it('rewrites the recording on every call, and leaves an unchanged answer byte-identical', async () => {
    const dir = await tempDir();
    const vcr = recorder({ mode: 'record', dir });
    await streamText(await client().chat.completions.create(ask('same answer')));
    await vcr.close();
    const [before] = await recordings(dir);
    const mtime = (await stat(path.join(dir, before!.name))).mtimeMs;

    const again = recorder({ mode: 'record', dir });
    await streamText(await client().chat.completions.create(ask('same answer')));
    await again.close();
    const [after] = await recordings(dir);
    expect(after).toEqual(before);
    expect((await stat(path.join(dir, after!.name))).mtimeMs).toBe(mtime);
    expect(upstream.requests).toHaveLength(2);
  });

  it('writes no API key, auth or identifying header, and redacts keys in the query string', async () => {
    const dir = await tempDir();
    const vcr = recorder({ mode: 'record', dir });
    const sdk = client({ organization: 'org-secret-organization', project: 'proj_secret_project', defaultQuery: { 'api-key': 'query-secret-123456' } });
    await streamText(await sdk.chat.completions.create(ask('hello there')));
    // An upstream that repeats the key back: it must be scrubbed from the answer too.
    expect(await streamText(await sdk.chat.completions.create(ask('x', 'echo-auth')))).toBe(`Bearer ${API_KEY}`);
    await vcr.close();

    const files = await recordings(dir);
    expect(files).toHaveLength(2);
    for (const { text } of files) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain('query-secret-123456');
      expect(text).not.toMatch(/authorization|x-stainless|openai-organization|openai-project|org-secret|proj_secret|user-agent/i);
      expect(JSON.parse(text).request.url).toContain('api-key=%3Credacted%3E');
    }
    expect(files.map(({ text }) => JSON.parse(text).response.body[0].__data__.choices[0].delta.content)).toContain('<redacted>');
  });

  it('gives openai v4 and v6 the same key: recorded with one, replayed with the other', async () => {
    const dir = await tempDir();
    const vcr = recorder({ mode: 'record', dir });
    const v4 = new OpenAIv4({ apiKey: API_KEY, baseURL: upstream.baseURL, maxRetries: 0 });
    const recorded = await v4.chat.completions.create({ ...ask('v4 pretty json'), stream: false });
    expect(recorded.choices[0]?.message.content).toBe('v4 pretty json');
    await vcr.close();

    recorder({ mode: 'replay', dir });
    const replayed = await client().chat.completions.create({ ...ask('v4 pretty json'), stream: false });
    expect(replayed.choices[0]?.message.content).toBe('v4 pretty json');
    expect(replayed.id).toMatch(/^rec-[0-9a-f]{12}$/);
    expect(upstream.requests).toHaveLength(1);
  });

  it('records JSON endpoints: chat, embeddings and the model list', async () => {
    const dir = await tempDir();
    const vcr = recorder({ mode: 'record', dir });
    const sdk = client();
    const chat = await sdk.chat.completions.create({ ...ask('plain json'), stream: false });
    const embedding = await sdk.embeddings.create({ model: 'emb-test', input: 'x', encoding_format: 'float' });
    const models = (await sdk.models.list()).data;
    await vcr.close();

    const types = (await recordings(dir)).map(({ text }) => JSON.parse(text).response.body).map((body) => [body].flat()[0].__type__);
    expect(types.sort()).toEqual([
      'openai.types.chat.chat_completion.ChatCompletion',
      'openai.types.create_embedding_response.CreateEmbeddingResponse',
      'openai.types.model.Model',
    ]);

    recorder({ mode: 'replay', dir });
    const offline = client();
    expect(await offline.chat.completions.create({ ...ask('plain json'), stream: false })).toEqual({ ...chat, id: expect.stringMatching(/^rec-/), created: 0 });
    expect(await offline.embeddings.create({ model: 'emb-test', input: 'x', encoding_format: 'float' })).toEqual(embedding);
    expect((await offline.models.list()).data).toEqual(models);
    expect(upstream.requests).toHaveLength(3);
  });
});

describe('several recorders', () => {
  it('hands requests back to the previous recorder when the newest closes', async () => {
    const dir = await tempDir();
    const outer = recorder({ mode: 'replay', dir });
    const inner = setupRecorder({ mode: 'record', dir });
    await streamText(await client().chat.completions.create(ask('recorded inside')));
    await inner.close();
    expect(outer.mode).toBe('replay');
    const error = await client().chat.completions.create(ask('not recorded')).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('recorderHandlers', () => {
  it("records through a user's own MSW server, and settled() waits for the file", async () => {
    const dir = await tempDir();
    const handlers = recorderHandlers({ mode: 'record', dir });
    const server = setupServer(...handlers);
    drainMockedResponses(server);
    server.listen();
    try {
      expect(await streamText(await client().chat.completions.create(ask('my own server')))).toBe('my own server');
      await handlers.settled();
      expect(await recordings(dir)).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});

describe('record-if-missing and live', () => {
  it('record-if-missing replays hits and records misses', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    await streamText(await client().chat.completions.create(ask('first')));
    await streamText(await client().chat.completions.create(ask('first')));
    await streamText(await client().chat.completions.create(ask('second')));
    expect(upstream.asked()).toEqual(['first', 'second']);
    await closeRecorders();
    expect(await recordings(dir)).toHaveLength(2);
  });

  it('record-if-missing sends identical requests made at the same instant upstream once', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    const texts = await Promise.all([1, 2, 3].map(async () => streamText(await client().chat.completions.create(ask('all at once')))));
    expect(texts).toEqual(['all at once', 'all at once', 'all at once']);
    expect(upstream.requests).toHaveLength(1);
    await closeRecorders();
    expect(await recordings(dir)).toHaveLength(1);
  });

  it('record-if-missing: when the request being recorded fails, the identical ones waiting for it go upstream', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    const started = performance.now();
    const outcomes = await Promise.all(
      [1, 2].map(async () => streamText(await client().chat.completions.create(ask('one two three four', 'drop'))).catch(() => 'failed')),
    );
    expect(outcomes).toEqual(['failed', 'failed']);
    expect(upstream.requests).toHaveLength(2);
    // Released when the first failed, not when the 10 s bound on waiting ran out.
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(closeRecorders()).rejects.toThrow(/^ai-vcr: 2 calls were not recorded:\n {2}POST \/v1\/chat\/completions: the upstream's stream broke off after 2 events/);
    expect(await recordings(dir)).toEqual([]);
  });

  it('live calls the upstream every time and writes nothing', async () => {
    const dir = await tempDir();
    recorder({ mode: 'live', dir });
    expect(await streamText(await client().chat.completions.create(ask('live one')))).toBe('live one');
    expect(await streamText(await client().chat.completions.create(ask('live one')))).toBe('live one');
    await closeRecorders();
    expect(upstream.requests).toHaveLength(2);
    expect(await recordings(dir)).toEqual([]);
  });
});

describe('failures while recording', () => {
  it.each([429, 500, 503])('passes a %i through unchanged and records nothing', async (status) => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir, recordErrors: true });
    const error = await client().chat.completions.create(ask('x', `error-${status}`)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status, error: { message: `upstream says ${status}`, code: `code_${status}` } });
    await closeRecorders();
    expect(await recordings(dir)).toEqual([]);
  });

  it('records a 400 only with recordErrors, and replays it as the same SDK error', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    await client().chat.completions.create(ask('x', 'error-400')).catch(() => {});
    await closeRecorders();
    expect(await recordings(dir)).toEqual([]);

    recorder({ mode: 'record', dir, recordErrors: true });
    const live = await client().chat.completions.create(ask('x', 'error-400')).catch((thrown: unknown) => thrown);
    await closeRecorders();
    const [file] = await recordings(dir);
    expect(JSON.parse(file!.text).response).toMatchObject({ body: null, is_exception: true, exception_data: { type: 'BadRequestError', status_code: 400 } });

    recorder({ mode: 'replay', dir });
    const replayed = await client().chat.completions.create(ask('x', 'error-400')).catch((thrown: unknown) => thrown);
    expect(replayed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((replayed as InstanceType<typeof OpenAI.APIError>).error).toEqual((live as InstanceType<typeof OpenAI.APIError>).error);
  });

  it.each([
    ['JSON that is not { error }', 'proxy-400', { detail: 'bad request' }],
    ['plain text', 'proxy-400-text', 'bad request'],
  ])('replays a recorded 400 whose body is %s as the upstream sent it', async (_, model, body) => {
    const dir = await tempDir();
    const post = () => fetch(`${upstream.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify({ model, messages: [] }) });
    const answer = async (response: Response) => ({ status: response.status, type: response.headers.get('content-type'), text: await response.text() });
    recorder({ mode: 'record', dir, recordErrors: true });
    const live = await answer(await post());
    const sdkLive = await client().chat.completions.create(ask('x', model)).catch((thrown: unknown) => thrown);
    await closeRecorders();

    recorder({ mode: 'replay', dir });
    expect(await answer(await post())).toEqual(live);
    const sdkReplayed = await client().chat.completions.create(ask('x', model)).catch((thrown: unknown) => thrown);
    expect(sdkReplayed).toBeInstanceOf(OpenAI.BadRequestError);
    expect(sdkReplayed).toMatchObject({ message: (sdkLive as Error).message, error: (sdkLive as InstanceType<typeof OpenAI.APIError>).error });
    // `body` is what the Python SDK (so llama-stack) would hold: the whole answer, as it has no `error`.
    const files = await recordings(dir);
    expect(files.map(({ text }) => JSON.parse(text).response.exception_data)).toContainEqual(expect.objectContaining({ status_code: 400, body, wrapped: false }));
  });

  it('writes nothing when the upstream drops mid-stream, and records on the next run', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    const stream = await client().chat.completions.create(ask('a b c d', 'drop'));
    const received: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Error);
    expect(received).toEqual(['a', ' b']);
    await expect(closeRecorders()).rejects.toThrow(/^ai-vcr: 1 call was not recorded:\n {2}POST \/v1\/chat\/completions: the upstream's stream broke off after 2 events/);
    expect(await recordings(dir)).toEqual([]);

    recorder({ mode: 'record-if-missing', dir });
    expect(await streamText(await client().chat.completions.create(ask('a b', 'drop')))).toBe('a b');
    await closeRecorders();
    expect(await recordings(dir)).toHaveLength(1);
  });

  it('passes an answer that is not JSON to the caller untouched, records nothing, and says why', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const post = (stream: boolean) =>
        fetch(`${upstream.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'not-json', stream, messages: [] }) });
      expect(await (await post(false)).text()).toBe('<html>proxy login</html>');
      expect(await (await post(true)).text()).toBe('data: warming up\n\ndata: [DONE]\n\n');
      // An answer that is not what the API sends is a failure to record: the run must not pass as recorded.
      await expect(closeRecorders()).rejects.toThrow(/^ai-vcr: 2 calls were not recorded:\n {2}POST \/v1\/chat\/completions: the upstream's 200 answer is not a JSON object/);
      expect(errors.mock.calls.map(([message]) => String(message).replace(/key \w+/, 'key K'))).toEqual([
        `ai-vcr: did not record POST ${upstream.baseURL}/chat/completions (key K): the upstream's 200 answer is not a JSON object: "<html>proxy login</html>"`,
        `ai-vcr: did not record POST ${upstream.baseURL}/chat/completions (key K): the upstream's event 1 is not a JSON object: "warming up"`,
      ]);
    } finally {
      errors.mockRestore();
    }
    expect(await recordings(dir)).toEqual([]);
  });

  it('reports a network error as the caller’s own and writes nothing', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    await upstream.close();
    const error = await client().chat.completions.create(ask('nobody home')).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    await closeRecorders();
    expect(await recordings(dir)).toEqual([]);
  });
});

describe('a client that leaves a stream early', () => {
  // Short, so a test of "the bound runs out" is quick; the default is GRACE_MS.
  beforeEach(() => {
    timing.graceMs = 1_000;
  });
  afterEach(() => {
    timing.graceMs = GRACE_MS;
  });

  /** For each recording in `dir`, the first choice of each of its chunks. */
  const chunksOf = async (dir: string) => {
    const files = await recordings(dir);
    return files.map(({ text }) => JSON.parse(text).response.body.map((chunk: { __data__: OpenAI.ChatCompletionChunk }) => chunk.__data__.choices[0]));
  };

  // The loss was seen only in a test that followed another one in its file: keep this one first.
  it('records a stream read to the end', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    expect(await streamText(await client().chat.completions.create(ask('read it all')))).toBe('read it all');
    await closeRecorders();
    expect(await recordings(dir)).toHaveLength(1);
  });

  it.each([
    ['openai v6', OpenAI],
    ['openai v4', OpenAIv4 as unknown as typeof OpenAI],
  ])('%s: breaking out after two chunks still records the whole answer, which the next run replays', async (_, Client) => {
    const paced = await startUpstream({ gapMs: 40 });
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    // After the recorder: openai v5+ captures fetch when constructed.
    const sdk = new Client({ apiKey: API_KEY, baseURL: paced.baseURL, maxRetries: 0 });
    const received: string[] = [];
    for await (const chunk of await sdk.chat.completions.create(ask('one two three four five', 'slow'))) {
      received.push(chunk.choices[0]?.delta.content ?? '');
      if (received.length === 2) break;
    }
    expect(received).toEqual(['one', ' two']);
    await closeRecorders();
    const [chunks, ...others] = await chunksOf(dir);
    expect(others).toEqual([]);
    expect(chunks!.map((choice: OpenAI.ChatCompletionChunk.Choice) => choice.delta.content ?? '').join('')).toBe('one two three four five');
    expect(chunks!.at(-1)!.finish_reason).toBe('stop');

    recorder({ mode: 'record-if-missing', dir });
    // A new client, as a new test file's would be: on msw 2.6 the fetch a client captured stays
    // bound to the server that was listening then, which the first run closed.
    const next = new Client({ apiKey: API_KEY, baseURL: paced.baseURL, maxRetries: 0 });
    expect(await streamText(await next.chat.completions.create(ask('one two three four five', 'slow')))).toBe('one two three four five');
    expect(paced.requests).toHaveLength(1);
  });

  it('records a streamed tool call read to the end with the stream helper, which replays', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    const body = {
      model: 'tool',
      messages: [{ role: 'user' as const, content: 'weather?' }],
      tools: [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    };
    const final = async () => (await client().chat.completions.stream(body).finalChatCompletion()).choices[0]!.message.tool_calls;
    const live = await final();
    expect(live).toMatchObject([{ id: 'call_1', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    await closeRecorders();
    expect(await recordings(dir)).toHaveLength(1);

    recorder({ mode: 'replay', dir });
    expect(await final()).toEqual(live);
  });

  it('aborting mid-stream still records the whole answer', async () => {
    const paced = await startUpstream({ gapMs: 40 });
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const sdk = new OpenAI({ apiKey: API_KEY, baseURL: paced.baseURL, maxRetries: 0 });
    const controller = new AbortController();
    const received: string[] = [];
    // Whether the client then sees an AbortError or an early end depends on the msw version.
    await (async () => {
      for await (const chunk of await sdk.chat.completions.create(ask('one two three four five', 'slow'), { signal: controller.signal })) {
        received.push(chunk.choices[0]?.delta.content ?? '');
        if (received.length === 2) controller.abort();
      }
    })().catch(() => {});
    expect(received).toEqual(['one', ' two']);
    await closeRecorders();
    const [chunks] = await chunksOf(dir);
    expect(chunks!.map((choice: OpenAI.ChatCompletionChunk.Choice) => choice.delta.content ?? '').join('')).toBe('one two three four five');

    recorder({ mode: 'replay', dir });
    expect(await streamText(await sdk.chat.completions.create(ask('one two three four five', 'slow')))).toBe('one two three four five');
  });

  it.each([
    ['openai v6', OpenAI],
    ['openai v4', OpenAIv4 as unknown as typeof OpenAI],
  ])('%s: aborting a stalled stream: close() returns within the bound, writes nothing and says why', async (_, Client) => {
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    const sdk = new Client({ apiKey: API_KEY, baseURL: upstream.baseURL, maxRetries: 0 });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const controller = new AbortController();
      const received: string[] = [];
      await (async () => {
        for await (const chunk of await sdk.chat.completions.create(ask('one two three', 'stall'), { signal: controller.signal })) {
          received.push(chunk.choices[0]?.delta.content ?? '');
          if (received.length === 2) controller.abort();
        }
      })().catch(() => {});
      expect(received).toEqual(['one', ' two']);
      const started = performance.now();
      const closing = closeRecorders().then(
        () => 'resolved',
        (error: Error) => error.message,
      );
      const closed = await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'))]);
      // close() fails the run: the call should have been recorded and could not be.
      expect(closed).toMatch(/^ai-vcr: 1 call was not recorded:\n {2}POST \/v1\/chat\/completions: .* and the upstream had not finished 1 s later$/);
      expect(performance.now() - started).toBeLessThan(timing.graceMs + 500);
      // The client's abort reaches the recorder on msw 3; on msw 2, openai v4's does not, and close() ends the wait.
      const why = '(the client left|the test was over \\(close\\(\\) was waiting\\))';
      expect(errors.mock.calls.map(([message]) => String(message))).toEqual([
        expect.stringMatching(new RegExp(`^ai-vcr: did not record POST ${upstream.baseURL}/chat/completions \\(key \\w+\\): ${why} and the upstream had not finished 1 s later$`)),
      ]);
    } finally {
      errors.mockRestore();
    }
    expect(await recordings(dir)).toEqual([]);
  });
});

describe('only a complete stream is recorded', () => {
  /** What ai-vcr printed about `call`, which must record nothing, and for which close() must fail saying the same. */
  async function notRecorded(dir: string, call: () => Promise<unknown>) {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await call();
      const closed = await closeRecorders().then(
        () => 'resolved',
        (error: Error) => error.message,
      );
      const printed = errors.mock.calls.map(([message]) => String(message).replace(/key \w+/, 'key K'));
      const why = printed[0]?.slice(printed[0].indexOf('(key K): ') + '(key K): '.length);
      expect(closed).toMatch(/^ai-vcr: 1 call was not recorded:\n {2}POST \/v1\/(chat\/completions|responses): /);
      expect(closed.endsWith(`: ${why}`)).toBe(true);
      return printed;
    } finally {
      errors.mockRestore();
      expect(await recordings(dir)).toEqual([]);
    }
  }

  it.each([
    ['openai v6 sending connection: close', () => client({ defaultHeaders: { connection: 'close' } })],
    ['openai v4', () => new OpenAIv4({ apiKey: API_KEY, baseURL: upstream.baseURL, maxRetries: 0 }) as unknown as OpenAI],
  ])('%s: a connection dropped mid-stream writes nothing and says why', async (_, sdk) => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const received: string[] = [];
    const messages = await notRecorded(dir, async () => {
      const error = await (async () => {
        for await (const chunk of await sdk().chat.completions.create(ask('a b c d', 'drop'))) received.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((thrown: unknown) => thrown);
      // Whether the client sees an error or an early end is its own affair; the recorder must not be fooled.
      expect(error === undefined || error instanceof Error).toBe(true);
    });
    expect(received).toEqual(['a', ' b']);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(new RegExp(`^ai-vcr: did not record POST ${upstream.baseURL}/chat/completions \\(key K\\): the upstream's stream (broke off|ended) after 2 events`));
    // Hop-by-hop headers are the client's business with MSW, not the upstream's.
    expect(upstream.requests[0]!.headers.connection).not.toBe('close');
  });

  it('a chat stream that ends without [DONE] writes nothing and says why', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const messages = await notRecorded(dir, async () => expect(await streamText(await client().chat.completions.create(ask('a b c d', 'cut')))).toBe('a b'));
    expect(messages).toEqual([`ai-vcr: did not record POST ${upstream.baseURL}/chat/completions (key K): the upstream's stream ended after 2 events without [DONE]`]);
  });

  it('a Responses API stream that ends without response.completed writes nothing and says why', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const messages = await notRecorded(dir, async () => {
      const types: string[] = [];
      for await (const event of await client().responses.create({ model: 'cut', input: 'hi', stream: true })) types.push(event.type);
      expect(types.at(-1)).toBe('response.output_item.done');
    });
    expect(messages).toEqual([
      `ai-vcr: did not record POST ${upstream.baseURL}/responses (key K): the upstream's stream ended after 10 events without response.completed, response.failed or response.incomplete`,
    ]);
  });

  it('forwards no hop-by-hop header to the upstream', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const sdk = client({ defaultHeaders: { connection: 'close', 'proxy-authorization': 'Basic c2VjcmV0', 'x-kept': 'yes' } });
    expect(await streamText(await sdk.chat.completions.create(ask('hop')))).toBe('hop');
    const { headers } = upstream.requests[0]!;
    expect(headers.connection).not.toBe('close');
    expect(headers['proxy-authorization']).toBeUndefined();
    expect(headers['x-kept']).toBe('yes');
  });
});

describe('many identical requests at once', () => {
  it('20 record-if-missing requests go upstream once, without a MaxListenersExceededWarning', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record-if-missing', dir });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const texts = await Promise.all(Array.from({ length: 20 }, async () => streamText(await client().chat.completions.create(ask('crowd')))));
      expect(new Set(texts)).toEqual(new Set(['crowd']));
      // Node emits warnings on a later tick.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map(({ name, message }) => `${name}: ${message}`)).toEqual([]);
    expect(upstream.requests).toHaveLength(1);
  });
});
