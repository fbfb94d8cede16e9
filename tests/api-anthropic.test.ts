import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { createAnthropic } from '@ai-sdk/anthropic';
import { ChatAnthropic } from '@langchain/anthropic';
import { generateText, streamText } from 'ai';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { formatReading, read } from '../src/cli/conversation.js';
import type { RecorderEvent } from '../src/events.js';
import { readRecording } from '../src/store.js';
import { MODELS, SCENARIOS, startAnthropicUpstream, type AnthropicUpstream } from './support/anthropic-upstream.js';
import { tempDir } from './support/fixtures.js';
import { blockedConnections } from './support/no-network.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { startUpstream } from './support/upstream.js';

/**
 * Anthropic's Messages API through its real clients: recorded against a loopback server that
 * sends Anthropic's real event sequences, then replayed with that server untouched.
 */

const API_KEY = 'sk-ant-api03-test-credential-0123456789';
const SAMPLES = path.resolve(import.meta.dirname, 'samples/anthropic');

let upstream: AnthropicUpstream;
beforeEach(async () => {
  upstream = await startAnthropicUpstream();
});

/** A client of the loopback upstream, or with `null` of Anthropic's own service (its default base URL). */
function sdk(baseURL: string | null = upstream.origin, options: ConstructorParameters<typeof Anthropic>[0] = {}) {
  return new Anthropic({ apiKey: API_KEY, ...(baseURL === null ? {} : { baseURL }), ...options });
}

const ask = (model: string, content: string | Anthropic.ContentBlockParam[] = 'Hello, how are you?') => ({
  model,
  max_tokens: 256,
  messages: [{ role: 'user' as const, content }],
});

/** Records `call` into a fresh directory (or `dir`), collecting what happened to each call. */
async function record<T>(call: () => Promise<T>, dir?: string): Promise<{ dir: string; live: T; events: RecorderEvent[] }> {
  const at = dir ?? (await tempDir());
  const events: RecorderEvent[] = [];
  recorder({ mode: 'record', dir: at }, { onEvent: (event) => events.push(event) });
  const live = await call();
  await closeRecorders();
  return { dir: at, live, events };
}

/** Replays from `dir`; nothing may reach the upstream or the network. */
async function replay<T>(dir: string, call: () => Promise<T>, delay = 0): Promise<{ replayed: T; events: RecorderEvent[] }> {
  const requests = upstream.requests.length;
  const events: RecorderEvent[] = [];
  recorder({ mode: 'replay', dir, delay }, { onEvent: (event) => events.push(event) });
  const replayed = await call();
  await closeRecorders();
  expect(upstream.requests).toHaveLength(requests);
  expect(blockedConnections()).toEqual([]);
  return { replayed, events };
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function only(dir: string): Promise<{ text: string; json: any }> {
  const [name] = await files(dir);
  const text = await readFile(path.join(dir, name!), 'utf8');
  return { text, json: JSON.parse(text) };
}

async function events(stream: AsyncIterable<Anthropic.RawMessageStreamEvent>): Promise<Anthropic.RawMessageStreamEvent[]> {
  const seen: Anthropic.RawMessageStreamEvent[] = [];
  for await (const event of stream) seen.push(event);
  return seen;
}

/** The sample's events as the SDK hands them out: pings are not among them. */
const handedOut = (sequence: Record<string, unknown>[]) => sequence.filter((event) => event.type !== 'ping');

describe('@anthropic-ai/sdk', () => {
  it('messages.create, not streamed: replays the message; its msg_ id is normalized', async () => {
    const call = () => sdk().messages.create(ask('claude-text'));
    const { dir, live } = await record(call);
    const { json } = await only(dir);
    expect(json.request).toMatchObject({ method: 'POST', endpoint: '/v1/messages', model: 'claude-text' });
    expect(json.response.body.__type__).toBe('anthropic.types.Message');
    expect(json.response.body.__data__.id).toMatch(/^rec-[0-9a-f]{12}$/);
    const { replayed } = await replay(dir, call);
    expect(replayed).toEqual({ ...live, id: json.response.body.__data__.id });
    expect(replayed.content).toEqual([{ type: 'text', text: 'Hello! I\'m doing well, thank you for asking. How are you doing today? Is there anything I can help you with?' }]);
    expect(replayed.usage.output_tokens).toBe(30);
  });

  it('messages.create with stream: true: every event replays in order, with its name', async () => {
    const call = async () => events(await sdk().messages.create({ ...ask('claude-text'), stream: true }));
    const { dir, live } = await record(call);
    const { json } = await only(dir);
    expect(json.response.stream).toEqual({ framing: 'sse' });
    expect(json.response.body.map((chunk: { __event__: string }) => chunk.__event__)).toEqual(SCENARIOS.text.map((event) => event.type));
    expect(json.response.body[0].__type__).toBe('anthropic.types.RawMessageStreamEvent');
    const { replayed } = await replay(dir, call);
    expect(replayed.map((event) => event.type)).toEqual(handedOut(SCENARIOS.text).map((event) => event.type));
    expect(replayed.slice(1)).toEqual(live.slice(1));
    expect(replayed[0]).toMatchObject({ type: 'message_start', message: { id: json.response.body[0].__data__.message.id } });
  });

  it('a paced replay hands the events out one by one, the delay apart', async () => {
    const call = async () => {
      const arrivals: number[] = [];
      for await (const _ of await sdk().messages.create({ ...ask('claude-text'), stream: true })) arrivals.push(performance.now());
      return arrivals;
    };
    const { dir } = await record(call);
    const { replayed } = await replay(dir, call, 20);
    // 12 events, the ping among them (the SDK skips it), each 20 ms after the one before.
    expect(replayed).toHaveLength(11);
    expect(replayed.at(-1)! - replayed[0]!).toBeGreaterThanOrEqual(10 * 20 * 0.8);
  });

  it('messages.stream(): the helper puts the replayed events together into the same message', async () => {
    const call = async () => {
      const stream = sdk().messages.stream(ask('claude-text'));
      const texts: string[] = [];
      stream.on('text', (text) => texts.push(text));
      return { message: await stream.finalMessage(), texts };
    };
    const { dir, live } = await record(call);
    const { replayed } = await replay(dir, call);
    expect(replayed.texts).toEqual(live.texts);
    expect(replayed.texts.join('')).toContain('How are you doing today?');
    expect({ ...replayed.message, id: 'x' }).toEqual({ ...live.message, id: 'x' });
  });

  it('thinking: the thinking text and its signature replay as sent (the next request echoes the signature)', async () => {
    const call = () => sdk().messages.stream({ ...ask('claude-thinking'), thinking: { type: 'enabled', budget_tokens: 1024 } }).finalMessage();
    const { dir, live } = await record(call);
    const signature = (SCENARIOS.thinking.find((event) => (event.delta as { type?: string })?.type === 'signature_delta')!.delta as { signature: string }).signature;
    expect((await only(dir)).text).toContain(signature);
    const { replayed } = await replay(dir, call);
    expect(replayed.content).toEqual(live.content);
    expect(replayed.content[0]).toMatchObject({ type: 'thinking', signature });
    expect(replayed.content[0]).toHaveProperty('thinking', expect.stringContaining('925 ÷ 5'));
    expect(replayed.content[1]).toMatchObject({ type: 'text', text: '925 ÷ 5 = 185' });
  });

  it('tool use round trip: the toolu_ id is kept, so the request that answers it matches its recording', async () => {
    const conversation = async () => {
      const client = sdk();
      const tools = [{ name: 'updateIssueList', description: 'Update the issue list', input_schema: { type: 'object' as const, properties: {} } }];
      const first = await client.messages.create({ ...ask('claude-tool', 'Update my issues'), tools });
      const use = first.content.find((block) => block.type === 'tool_use')!;
      const second = await client.messages.create({
        model: 'claude-tool',
        max_tokens: 256,
        tools,
        messages: [
          { role: 'user', content: 'Update my issues' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'done' }] },
        ],
      });
      return { use, second: second.content };
    };
    const { dir, live } = await record(conversation);
    expect(live.use).toMatchObject({ id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP', name: 'updateIssueList', input: {} });
    expect(await files(dir)).toHaveLength(2);
    const { replayed, events: outcomes } = await replay(dir, conversation);
    expect(replayed).toEqual(live);
    expect(outcomes.map((event) => event.type)).toEqual(['replayed', 'replayed']);
  });

  it('a call with ?beta=true (as the Python SDK and older JS ones send beta calls) is the same call, recorded under /v1/messages', async () => {
    const beta = () =>
      fetch(`${upstream.origin}/v1/messages?beta=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': API_KEY },
        body: JSON.stringify(ask('claude-text')),
      }).then((response) => response.json() as Promise<Anthropic.Message>);
    const { dir, live } = await record(beta);
    expect((await only(dir)).json.request).toMatchObject({ endpoint: '/v1/messages', url: `${upstream.origin}/v1/messages?beta=true` });
    const { replayed } = await replay(dir, async () => [await beta(), await sdk().beta.messages.create(ask('claude-text')), await sdk().messages.create(ask('claude-text'))]);
    expect(replayed.map((message) => message.content)).toEqual([live.content, live.content, live.content]);
  });

  it('count_tokens replays its count', async () => {
    const call = () => sdk().messages.countTokens({ model: 'claude-text', messages: [{ role: 'user', content: 'Hi' }] });
    const { dir, live } = await record(call);
    expect((await only(dir)).json.request.endpoint).toBe('/v1/messages/count_tokens');
    expect((await replay(dir, call)).replayed).toEqual(live);
    expect(live).toEqual({ input_tokens: 12 });
  });

  it("models.list: Anthropic's list and OpenAI's, recorded in one directory, each replay only their own", async () => {
    const openaiUpstream = await startUpstream();
    // Made in the call: a client keeps the fetch it was made with, and interception replaces it.
    const both = async () => ({
      anthropic: (await sdk().models.list()).data,
      openai: (await new OpenAI({ apiKey: 'sk-test', baseURL: openaiUpstream.baseURL, maxRetries: 0 }).models.list()).data,
    });
    const { dir, live } = await record(both);
    expect(live.anthropic).toEqual(MODELS);
    expect(await files(dir)).toHaveLength(2);
    const asked = openaiUpstream.requests.length;
    const { replayed } = await replay(dir, both);
    expect(openaiUpstream.requests).toHaveLength(asked);
    expect(replayed).toEqual(live);
    // Auto-pagination stops after the one page replay gives.
    const paged: string[] = [];
    recorder({ mode: 'replay', dir });
    for await (const model of sdk().models.list({ limit: 1 })) paged.push(model.id);
    expect(paged).toEqual(MODELS.map(({ id }) => id));
  });

  it('re-recording an unchanged answer leaves the file byte-identical', async () => {
    const calls = async () => {
      await sdk().messages.create(ask('claude-text'));
      await events(await sdk().messages.create({ ...ask('claude-tool'), stream: true }));
    };
    const { dir } = await record(calls);
    const texts = async () => Promise.all((await files(dir)).map((name) => readFile(path.join(dir, name), 'utf8')));
    const first = await texts();
    // Each answer has a fresh msg_ id: only its normalization makes the second recording the first.
    await record(calls, dir);
    expect(await texts()).toEqual(first);
    expect(first.join('\n')).toContain('toolu_01QE1WLsSVp5hy5Q3GmGTmjP');
  });

  it.each([
    ['ended without message_stop', 'cut', /ended after 11 events without message_stop/],
    ['dropped mid-stream', 'drop', /broke off after 3 events/],
    ['ended with an overloaded_error event', 'overloaded', /ended after 4 events without message_stop \(a stream that ends with an error event is a server failure/],
  ])('a stream %s is not recorded, and close() says why', async (_, model, why) => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const failed = await events(await sdk(upstream.origin, { maxRetries: 0 }).messages.create({ ...ask(model), stream: true })).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (model === 'overloaded') expect(failed).toBeInstanceOf(Anthropic.APIError);
    const closed = await closeRecorders().then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    errors.mockRestore();
    expect(closed).toMatch(/^ai-vcr: 1 call was not recorded:\n {2}POST \/v1\/messages: /);
    expect(closed).toMatch(why);
    expect(await files(dir)).toEqual([]);
  });
});

describe('ai-vcr show', () => {
  async function shown(dir: string): Promise<string[]> {
    const lines: string[] = [];
    for (const name of await files(dir)) {
      const loaded = await readRecording(path.join(dir, name));
      if (!loaded.ok) throw new Error(loaded.problem);
      lines.push(...formatReading(read(loaded.recording, { fold: Infinity })));
    }
    return lines;
  }

  it('reads a streamed tool call and a thinking answer from their events', async () => {
    const { dir } = await record(async () => {
      await events(await sdk().messages.create({ ...ask('claude-tool', 'Update my issues'), system: 'Be brief.', tools: [{ name: 'updateIssueList', input_schema: { type: 'object' } }], stream: true }));
      await sdk().messages.create(ask('claude-thinking', 'Divide it by 5'));
    });
    const lines = await shown(dir);
    expect(lines).toEqual(expect.arrayContaining(['  system: Be brief.', '  user: Update my issues', '  tools: updateIssueList', "  assistant: I'll update the issue list for you.", '  assistant calls updateIssueList({})']));
    expect(lines).toEqual(expect.arrayContaining(['  user: Divide it by 5', '  assistant: 925 ÷ 5 = 185', 'finish end_turn  usage 69 in, 53 out tokens']));
    expect(lines.find((line) => line.startsWith('  assistant reasons: '))).toContain('The previous result was 925.');
  });
});

describe('failures come back as the SDK’s own errors, carrying our message, not retried', () => {
  async function failure(call: () => Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const error = await call().then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(Anthropic.APIError);
      return error as InstanceType<typeof Anthropic.APIError>;
    } finally {
      errors.mockRestore();
    }
  }

  it('a miss is a NotFoundError with our message, sent once although the SDK retries', async () => {
    const dir = await tempDir();
    const events: RecorderEvent[] = [];
    recorder({ mode: 'replay', dir }, { onEvent: (event) => events.push(event) });
    const error = await failure(() => sdk(upstream.origin, { maxRetries: 2 }).messages.create(ask('claude-text')));
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.type).toBe('not_found_error');
    expect(error.message).toContain('ai-vcr: no recording for POST /v1/messages');
    expect(events.map((event) => event.type)).toEqual(['missed']);
  });

  it('a broken recording is an UnprocessableEntityError naming the file', async () => {
    const { dir } = await record(() => sdk().messages.create(ask('claude-text')));
    const [name] = await files(dir);
    await writeFile(path.join(dir, name!), '{ not json');
    recorder({ mode: 'replay', dir });
    const error = await failure(() => sdk().messages.create(ask('claude-text')));
    expect(error).toBeInstanceOf(Anthropic.UnprocessableEntityError);
    expect(error.message).toContain(name!);
    expect(error.message).toContain('not valid JSON');
  });

  it('a refused call (a file upload to api.anthropic.com in replay mode) is an SDK error and never sent', async () => {
    recorder({ mode: 'replay', dir: await tempDir() });
    const file = await toFile(Buffer.from('hello'), 'hello.txt');
    const error = await failure(() => sdk(null).beta.files.upload({ file }));
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.message).toContain('multipart/form-data');
    expect(blockedConnections()).toEqual([]);
  });

  it('a recorded 400 replays as the same BadRequestError', async () => {
    const dir = await tempDir();
    const call = () => failure(() => sdk(upstream.origin, { maxRetries: 0 }).messages.create(ask('error-400')));
    recorder({ mode: 'record', dir, recordErrors: true });
    const live = await call();
    await closeRecorders();
    expect((await only(dir)).json.response.exception_data).toMatchObject({ status_code: 400, body: { type: 'error', error: { type: 'invalid_request_error' } } });
    const { replayed } = await replay(dir, call);
    expect(replayed).toBeInstanceOf(Anthropic.BadRequestError);
    expect([replayed.status, replayed.type, replayed.message]).toEqual([live.status, live.type, live.message]);
  });
});

describe('credentials and the network', () => {
  it.each([
    ['the Anthropic SDK', (): Promise<unknown> => sdk().messages.create(ask('echo-key')), 'authorization'],
    ['the AI SDK', () => generateText({ model: createAnthropic({ apiKey: API_KEY, baseURL: `${upstream.origin}/v1` })('echo-key'), prompt: 'Hi', maxOutputTokens: 256, maxRetries: 0 }), 'x-api-key'],
  ])('the credential %s sends never reaches the file, not even where the answer repeats it', async (_, call, header) => {
    const { dir, live } = await record(call);
    expect(JSON.stringify(live)).toContain(API_KEY);
    expect(String(upstream.requests[0]!.headers[header])).toContain(API_KEY);
    const { text } = await only(dir);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain('test-credential');
    expect(text).toContain('<redacted>');
  });

  it('replay with no baseUrls: calls to api.anthropic.com are answered, hit or miss, and never reach the network', async () => {
    const { dir, live } = await record(() => sdk().messages.create(ask('claude-text')));
    const { replayed } = await replay(dir, () => sdk(null).messages.create(ask('claude-text')));
    expect(replayed.content).toEqual(live.content);
    recorder({ mode: 'replay', dir });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(sdk(null).messages.create(ask('claude-other'))).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(sdk(null).models.retrieve('claude-other')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    errors.mockRestore();
    expect(blockedConnections()).toEqual([]);
  });
});

describe("llama-stack's HTTP-level Anthropic recordings replay unchanged through the SDK at any base URL", () => {
  async function samples(): Promise<string> {
    const dir = await tempDir();
    for (const name of await files(SAMPLES)) await copyFile(path.join(SAMPLES, name), path.join(dir, name));
    return dir;
  }
  const gateway = () => sdk('http://gateway.test:8080/anthropic', { maxRetries: 0 });

  it('streamed, non-streamed and the 400 each answer their request', async () => {
    const dir = await samples();
    const before = await Promise.all((await files(dir)).map((name) => readFile(path.join(dir, name), 'utf8')));
    const { replayed, events: outcomes } = await replay(dir, async () => {
      const streamed = await events(await gateway().messages.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'Say hello in one sentence.' }], max_tokens: 64, stream: true }));
      const tool = await gateway().messages.create({
        model: 'gpt-oss:20b',
        messages: [{ role: 'user', content: 'Use the calculator tool to compute 15 * 7.' }],
        max_tokens: 256,
        tools: [
          {
            name: 'calculator',
            description: 'Perform basic arithmetic. Use this for any math question.',
            input_schema: { type: 'object', properties: { expression: { type: 'string', description: 'The math expression to evaluate' } }, required: ['expression'] },
          },
        ],
        tool_choice: { type: 'any' },
        stream: false,
      });
      // Sent as llama-stack's Python client sent it: this SDK's types no longer offer temperature.
      const asked = { model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 32, stream: false, temperature: 0 };
      const hello = await gateway().messages.create(asked as Anthropic.MessageCreateParamsNonStreaming);
      const error = await gateway()
        .messages.create({ model: 'gpt-oss:20b', messages: [], max_tokens: 64, stream: false })
        .then(() => undefined, (caught: unknown) => caught);
      return { streamed, tool, hello, error };
    });
    expect(outcomes.map((event) => event.type)).toEqual(['replayed', 'replayed', 'replayed', 'replayed']);
    const { streamed, tool, hello, error } = replayed;
    expect(streamed.at(-1)).toEqual({ type: 'message_stop' });
    expect(streamed[0]).toMatchObject({ type: 'message_start', message: { id: 'msg_2ca635d951c9f414d5c01a88' } });
    expect(streamed.filter((event) => event.type === 'content_block_delta').length).toBeGreaterThan(10);
    expect(tool.content[1]).toEqual({ type: 'tool_use', id: 'call_dg2g1ozz', name: 'calculator', input: { expression: '15 * 7' } });
    expect(hello).toMatchObject({ id: 'msg_737bf6e49fbfa7b81be479d0', stop_reason: 'max_tokens' });
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).message).toContain('messages is required');
    expect(await Promise.all((await files(dir)).map((name) => readFile(path.join(dir, name), 'utf8')))).toEqual(before);
  });
});

describe('@ai-sdk/anthropic with ai', () => {
  const model = (id: string) => createAnthropic({ apiKey: API_KEY, baseURL: `${upstream.origin}/v1` })(id);

  it('generateText replays the text and usage', async () => {
    const call = async () => {
      const { text, usage, finishReason } = await generateText({ model: model('claude-text'), prompt: 'Hello, how are you?', maxOutputTokens: 256, maxRetries: 0 });
      return { text, usage: [usage.inputTokens, usage.outputTokens], finishReason };
    };
    const { dir, live } = await record(call);
    expect(live.text).toContain('How are you doing today?');
    expect((await replay(dir, call)).replayed).toEqual(live);
  });

  it('streamText replays the deltas, the reasoning and usage', async () => {
    const call = async () => {
      const result = streamText({ model: model('claude-thinking'), prompt: 'Divide it by 5', maxOutputTokens: 256, maxRetries: 0, onError: ({ error }) => { throw error; } });
      const deltas: string[] = [];
      for await (const delta of result.textStream) deltas.push(delta);
      return { deltas, reasoning: await result.reasoningText, usage: (await result.usage).outputTokens };
    };
    const { dir, live } = await record(call);
    expect(live.deltas.join('')).toBe('925 ÷ 5 = 185');
    expect(live.reasoning).toContain('The previous result was 925.');
    expect((await replay(dir, call)).replayed).toEqual(live);
  });
});

describe('@langchain/anthropic', () => {
  const chat = (model: string) => new ChatAnthropic({ model, apiKey: API_KEY, anthropicApiUrl: upstream.origin, maxRetries: 0 });

  it('invoke and stream replay what they got live', async () => {
    const call = async () => {
      const invoked = await chat('claude-text').invoke('Hello, how are you?');
      const chunks: string[] = [];
      for await (const chunk of await chat('claude-tool').stream('Update my issues')) chunks.push(typeof chunk.content === 'string' ? chunk.content : JSON.stringify(chunk.content));
      return { invoked: invoked.content, chunks };
    };
    const { dir, live } = await record(call);
    expect(live.invoked).toContain('How are you doing today?');
    expect(live.chunks.join('')).toContain('I\'ll update the issue list for');
    expect((await replay(dir, call)).replayed).toEqual(live);
  });
});
