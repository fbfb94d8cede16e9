import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setupRecorder, type Recorder, type RecorderOptions } from '../src/index.js';
import { tempDir } from './support/fixtures.js';
import { loopbackServer, startUpstream, type Upstream } from './support/upstream.js';

let upstream: Upstream;
const open: Recorder[] = [];
beforeEach(async () => {
  upstream = await startUpstream({ gapMs: 150 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((vcr) => vcr.close()));
  await upstream.close();
});

async function recorder(options: RecorderOptions) {
  const vcr = setupRecorder(options);
  open.push(vcr);
  return vcr;
}

async function closeAll() {
  await Promise.all(open.splice(0).map((vcr) => vcr.close()));
}

/** The raw SSE events of a response, as [event name, data] pairs. */
async function rawEvents(response: Response): Promise<[string | undefined, string][]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines.find((line) => line.startsWith('data: '))!.slice(6);
      return [event, data];
    });
}

const responsesBody = (model: string) => JSON.stringify({ model, input: 'hi', stream: true });

describe('named events (Responses API)', () => {
  it('records and replays every event with its name and data', async () => {
    const dir = await tempDir();
    await recorder({ mode: 'record', dir });
    const post = () => fetch(`${upstream.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: responsesBody('gpt-test') });
    const live = await rawEvents(await post());
    await closeAll();

    await recorder({ mode: 'replay', dir });
    const replayed = await rawEvents(await post());
    expect(replayed.map(([event]) => event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'ping',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(replayed).toEqual(live);
    expect(upstream.requests).toHaveLength(1);

    const [name] = (await readdir(dir)).filter((file) => file.endsWith('.json'));
    const { response } = JSON.parse(await readFile(path.join(dir, name!), 'utf8'));
    // Every event keeps the name it was sent with, and the stream says it had no terminator.
    expect(response.body.map((chunk: { __event__?: string }) => chunk.__event__)).toEqual(replayed.map(([event]) => event));
    expect(response.stream).toEqual({ framing: 'sse' });
  });

  it('serves the openai SDK’s responses.create stream', async () => {
    const dir = await tempDir();
    await recorder({ mode: 'record', dir });
    const collect = async () => {
      const sdk = new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });
      const types: string[] = [];
      for await (const event of await sdk.responses.create({ model: 'gpt-test', input: 'hi', stream: true })) types.push(event.type);
      return types;
    };
    const live = await collect();
    await closeAll();
    await recorder({ mode: 'replay', dir });
    expect(await collect()).toEqual(live);
  });
});

describe('replay timing', () => {
  async function recordSlowChat(dir: string) {
    await recorder({ mode: 'record', dir });
    const sdk = new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });
    for await (const chunk of await sdk.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'a b c d' }], stream: true })) {
      expect(chunk).toBeTruthy();
    }
    await closeAll();
    return { model: 'slow', messages: [{ role: 'user' as const, content: 'a b c d' }], stream: true as const };
  }

  /** ms from the call to each chunk. */
  async function chunkTimes(body: OpenAI.ChatCompletionCreateParamsStreaming) {
    const sdk = new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });
    const start = performance.now();
    const times: number[] = [];
    for await (const _ of await sdk.chat.completions.create(body)) times.push(performance.now() - start);
    return times;
  }

  it('stores per-chunk arrival times and, with delay "recorded", honours them', async () => {
    const dir = await tempDir();
    const body = await recordSlowChat(dir);
    const [name] = await readdir(dir);
    const recorded: number[] = JSON.parse(await readFile(path.join(dir, name!), 'utf8')).response.chunk_times_ms;
    expect(recorded).toHaveLength(5);
    // The upstream waits 150 ms after each of the 4 words.
    expect(recorded[3]! - recorded[0]!).toBeGreaterThanOrEqual(3 * 140);

    await recorder({ mode: 'replay', dir });
    const instant = await chunkTimes(body);
    await closeAll();
    await recorder({ mode: 'replay', dir, delay: 'recorded' });
    const paced = await chunkTimes(body);
    expect(paced.at(-1)! - paced[0]!).toBeGreaterThanOrEqual(recorded.at(-1)! - recorded[0]! - 20);
    expect(paced.at(-1)!).toBeGreaterThan(instant.at(-1)!);
  });

  it('waits a fixed delay before each chunk', async () => {
    const dir = await tempDir();
    const body = await recordSlowChat(dir);
    await recorder({ mode: 'replay', dir, delay: 50 });
    const times = await chunkTimes(body);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(4 * 45);
  });

  it('stops a delayed replay when the client aborts', async () => {
    const dir = await tempDir();
    const body = await recordSlowChat(dir);
    await recorder({ mode: 'replay', dir, delay: 2_000 });
    const sdk = new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    const outcome = await (async () => {
      for await (const _ of await sdk.chat.completions.create(body, { signal: controller.signal })) return 'chunk';
      return 'end';
    })().catch((error: Error) => error.name);
    // Without stopping, the first chunk alone would take 2 s, and the whole stream 12 s.
    expect(outcome).not.toBe('chunk');
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('stops a delayed replay when the client breaks out', async () => {
    const dir = await tempDir();
    const body = await recordSlowChat(dir);
    await recorder({ mode: 'replay', dir, delay: 400 });
    const sdk = new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });
    const started = performance.now();
    for await (const chunk of await sdk.chat.completions.create(body)) {
      expect(chunk.object).toBe('chat.completion.chunk');
      break;
    }
    // One chunk waited 400 ms; the five left would have taken 2 s more.
    expect(performance.now() - started).toBeLessThan(1_600);
  });
});

describe('replay gives back the framing the upstream sent', () => {
  /** Answers as OpenAI-compatible servers have been seen to, which is not always as OpenAI does. */
  const ANSWERS: Record<string, { type: string; body: string }> = {
    // A chat stream that ends with an error event and no [DONE] (no id, which recording would normalize).
    'error-event': {
      type: 'text/event-stream',
      body: 'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\nevent: error\ndata: {"error":{"message":"overloaded"}}\n\n',
    },
    // A Responses stream of bare data lines, ending with [DONE].
    'bare-responses': {
      type: 'text/event-stream',
      body: 'data: {"type":"response.created","response":{"id":"r1"}}\n\ndata: {"type":"response.completed","response":{"id":"r1"}}\n\ndata: [DONE]\n\n',
    },
    // A 200 that is plain text.
    'plain-text': { type: 'text/plain; charset=utf-8', body: 'Hello in plain text' },
  };

  it('records each answer and replays it byte for byte: names, terminator and content-type as sent', async () => {
    const { origin } = await loopbackServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        const answer = ANSWERS[(JSON.parse(text) as { model: string }).model]!;
        res.writeHead(200, { 'content-type': answer.type }).end(answer.body);
      });
    });
    const post = (model: string) =>
      fetch(`${origin}/v1/${model === 'bare-responses' ? 'responses' : 'chat/completions'}`, { method: 'POST', body: JSON.stringify({ model, stream: model !== 'plain-text' }) });
    const dir = await tempDir();
    const models = Object.keys(ANSWERS);
    await recorder({ mode: 'record', dir });
    for (const model of models) expect(await (await post(model)).text()).toBe(ANSWERS[model]!.body);
    await closeAll();
    expect((await readdir(dir)).filter((file) => file.endsWith('.json'))).toHaveLength(models.length);

    await recorder({ mode: 'replay', dir });
    for (const model of models) {
      const replayed = await post(model);
      expect(replayed.headers.get('content-type')).toBe(ANSWERS[model]!.type);
      expect(await replayed.text()).toBe(ANSWERS[model]!.body);
    }
  });
});
