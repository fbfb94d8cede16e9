import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCohere } from '@ai-sdk/cohere';
import { APICallError, generateText, streamText, jsonSchema, tool } from 'ai';
import { Cohere, CohereClient, CohereClientV2, CohereError } from 'cohere-ai';
import { beforeEach, describe, expect, it } from 'vitest';
import { recognise } from '../src/apis/index.js';
import { formatReading, read } from '../src/cli/conversation.js';
import { startCohereUpstream, TEXT_ANSWER, TEXT_EVENTS, THINKING, TOOL_CALLS, TOOL_EVENTS, type CohereUpstream } from './support/cohere-upstream.js';
import { tempDir } from './support/fixtures.js';
import { blockedConnections } from './support/no-network.js';
import { closeRecorders, recordCall, recorder, recordingsOf, replayCall } from './support/recorder.js';

/**
 * Cohere's v2 API through cohere-ai's CohereClientV2 and the AI SDK's @ai-sdk/cohere: recorded
 * against a loopback upstream that answers with real Cohere traffic, then replayed at Cohere's
 * real host with the upstream untouched and the network blocked.
 */

const TOKEN = 'co-test-token-0123456789abcdef';

let upstream: CohereUpstream;
beforeEach(async () => {
  upstream = await startCohereUpstream();
});

/** maxRetries is left at the SDK's default (2), so a retried answer of ours would show as more than one request. */
const client = (baseUrl?: string) => new CohereClientV2({ token: TOKEN, ...(baseUrl ? { baseUrl } : {}) });
const provider = (baseUrl?: string) => createCohere({ apiKey: TOKEN, ...(baseUrl ? { baseURL: `${baseUrl}/v2` } : {}) });

const files = recordingsOf;
const record = recordCall;
const replay = <T>(dir: string, call: () => Promise<T>) => replayCall(dir, call, upstream);

async function eventsOf<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const ask = { model: 'command-a-03-2025', messages: [{ role: 'user' as const, content: 'What is the capital of France?' }] };
const tools = [
  { type: 'function' as const, function: { name: 'weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
  { type: 'function' as const, function: { name: 'cityAttractions', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];

describe('endpoints', () => {
  it('v2 chat, embed and rerank, under any prefix; v1 and the compatibility API are not these', () => {
    expect(recognise('/v2/chat')).toMatchObject({ endpoint: '/v2/chat', method: 'POST', api: { name: 'cohere' } });
    expect(recognise('/gateway/cohere/v2/embed')).toMatchObject({ endpoint: '/v2/embed', api: { name: 'cohere' } });
    expect(recognise('/v2/rerank/')?.endpoint).toBe('/v2/rerank');
    expect(recognise('/v1/chat')).toBeUndefined();
    expect(recognise('/compatibility/v1/chat/completions')).toMatchObject({ endpoint: '/v1/chat/completions', api: { name: 'openai' } });
  });
});

describe('cohere-ai CohereClientV2', () => {
  it('chat: the same answer replayed at the real host; the generation id normalized; no token in the file', async () => {
    const { dir, live } = await record(() => client(upstream.origin).chat(ask));
    expect(live.message.content).toEqual([{ type: 'text', text: 'The capital of France is Paris.' }]);
    expect(upstream.requests[0]).toMatchObject({ url: '/v2/chat', headers: { authorization: `Bearer ${TOKEN}` } });
    const replayed = await replay(dir, () => client().chat(ask));
    expect(replayed).toEqual({ ...live, id: expect.stringMatching(/^rec-[0-9a-f]{12}$/) });
    expect(replayed.usage).toEqual({ billedUnits: { inputTokens: 12, outputTokens: 7 }, tokens: { inputTokens: 507, outputTokens: 10 }, cachedTokens: 448 });

    const [file] = await files(dir);
    expect(file!.json.request).toMatchObject({ method: 'POST', endpoint: '/v2/chat', model: 'command-a-03-2025' });
    expect(file!.json.response.body).toEqual({ __type__: 'cohere.v2.types.v2chat_response.V2ChatResponse', __data__: { ...TEXT_ANSWER, id: replayed.id } });
    expect(file!.text).not.toContain(TOKEN);
  });

  it('chatStream: every event in order, named by its type, ending with message-end; re-recording leaves the file byte-identical', async () => {
    const stream = async (baseUrl?: string) => eventsOf(await client(baseUrl).chatStream(ask));
    const { dir, live } = await record(() => stream(upstream.origin));
    expect(live.map((event) => event.type)).toEqual(TEXT_EVENTS.map((event) => event.type));
    const [before] = await files(dir);
    expect(before!.json.response.stream).toEqual({ framing: 'sse' });
    expect(before!.json.response.body.map((event: { __type__: string; __event__: string }) => [event.__type__, event.__event__])).toEqual(
      TEXT_EVENTS.map((event) => ['cohere.v2.types.v2chat_stream_response.V2ChatStreamResponse', event.type]),
    );
    expect(before!.json.response.body[0].__data__.id).toMatch(/^rec-[0-9a-f]{12}$/);

    const replayed = await replay(dir, () => stream());
    expect(replayed).toEqual(live.map((event) => (event.type === 'message-start' ? { ...event, id: expect.stringMatching(/^rec-/) } : event)));
    const text = replayed.flatMap((event) => (event.type === 'content-delta' ? [event.delta?.message?.content?.text] : [])).join('');
    expect(text).toBe('The capital of France is Paris.');
    expect(replayed.at(-1)).toMatchObject({ type: 'message-end', delta: { finishReason: 'COMPLETE', usage: { tokens: { inputTokens: 507, outputTokens: 10 } } } });

    // The upstream gives a fresh id each time; the file does not change.
    const mtime = (await stat(path.join(dir, before!.name))).mtimeMs;
    recorder({ mode: 'record', dir });
    await stream(upstream.origin);
    await closeRecorders();
    expect(upstream.requests).toHaveLength(2);
    const [after] = await files(dir);
    expect(after!.text).toBe(before!.text);
    expect((await stat(path.join(dir, after!.name))).mtimeMs).toBe(mtime);
  });

  it('chatStream replays event by event at the pace asked for', async () => {
    const { dir } = await record(async () => eventsOf(await client(upstream.origin).chatStream(ask)));
    recorder({ mode: 'replay', dir, delay: 20 });
    const arrivals: number[] = [];
    for await (const _ of await client().chatStream(ask)) arrivals.push(performance.now());
    expect(arrivals).toHaveLength(TEXT_EVENTS.length);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual((TEXT_EVENTS.length - 1) * 20 * 0.8);
  });

  it('chatStream with tools: the tool plan and both calls, their ids kept, as the next request sends them back', async () => {
    const stream = async (baseUrl?: string) => eventsOf(await client(baseUrl).chatStream({ ...ask, model: 'tool', tools }));
    const { dir, live } = await record(() => stream(upstream.origin));
    expect(live).toHaveLength(TOOL_EVENTS.length);
    const replayed = await replay(dir, () => stream());
    expect(replayed.slice(1)).toEqual(live.slice(1));
    const starts = replayed.flatMap((event) => (event.type === 'tool-call-start' ? [event.delta?.message?.toolCalls] : []));
    expect(starts.map((call) => call?.id)).toEqual(TOOL_CALLS.map((call) => call.id));
    const [file] = await files(dir);
    for (const call of TOOL_CALLS) expect(file!.text).toContain(call.id);
  });

  it('embed and rerank', async () => {
    const both = async (baseUrl?: string) => {
      const co = client(baseUrl);
      const embedded = await co.embed({ model: 'embed-v4.0', texts: ['one', 'two'], inputType: 'search_document', embeddingTypes: ['float'] });
      const reranked = await co.rerank({ model: 'rerank-v3.5', query: 'capital of France', documents: ['Paris', 'Berlin', 'Rome'] });
      return { embeddings: embedded.embeddings, results: reranked.results };
    };
    const { dir, live } = await record(() => both(upstream.origin));
    expect(live.embeddings.float).toEqual([
      [0.25, -0.5, 0.125],
      [0.5, -0.5, 0.125],
    ]);
    expect(await replay(dir, () => both())).toEqual(live);
    const recorded = await files(dir);
    expect(recorded.map(({ json }) => [json.request.endpoint, json.response.body.__type__, json.response.body.__data__.id.slice(0, 4)]).sort()).toEqual([
      ['/v2/embed', 'cohere.types.embed_by_type_response.EmbedByTypeResponse', 'rec-'],
      ['/v2/rerank', 'cohere.v2.types.v2rerank_response.V2RerankResponse', 'rec-'],
    ]);
  });

  it('a stream cut short before message-end, or broken off, is not recorded, and says why', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const cut = await eventsOf(await client(upstream.origin).chatStream({ ...ask, model: 'cut' }));
    expect(cut).toHaveLength(TEXT_EVENTS.length - 1);
    await expect(eventsOf(await client(upstream.origin).chatStream({ ...ask, model: 'drop' }))).rejects.toThrow();
    await expect(closeRecorders()).rejects.toThrow(
      /2 calls were not recorded:\n {2}POST \/v2\/chat: the upstream's stream ended after 10 events without message-end\n {2}POST \/v2\/chat: the upstream's stream broke off after 3 events/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("a miss, a broken recording and a refused upload fail as cohere-ai's own errors with our message, not retried, never reaching the network", async () => {
    const dir = await tempDir();
    const vcr = recorder({ mode: 'replay', dir });
    let intercepted = 0;
    vcr.server.events.on('request:start', () => intercepted++);
    const missed = await client().chat({ ...ask, messages: [{ role: 'user', content: 'never recorded' }] }).catch((error: unknown) => error);
    expect(missed).toBeInstanceOf(Cohere.NotFoundError);
    expect((missed as CohereError).body).toEqual({ message: expect.stringContaining('ai-vcr: no recording for POST /v2/chat') });
    expect((missed as CohereError).message).toContain('ai-vcr: no recording for POST /v2/chat');
    const upload = await client()
      .datasets.create(new Blob(['{"text": "a"}']), undefined, { name: 'docs', type: 'embed-input' })
      .catch((error: unknown) => error);
    expect(upload).toBeInstanceOf(Cohere.NotFoundError);
    expect((upload as CohereError).message).toContain('multipart/form-data');
    // Cohere's other host, and a v1 endpoint this module does not know, are answered too, never sent.
    const elsewhere = await client('https://api.cohere.ai').chat(ask).catch((error: unknown) => error);
    expect(elsewhere).toBeInstanceOf(Cohere.NotFoundError);
    const v1 = await new CohereClient({ token: TOKEN }).chat({ message: 'hello' }).catch((error: unknown) => error);
    expect(v1).toBeInstanceOf(Cohere.NotFoundError);
    expect((v1 as CohereError).message).toContain('POST /v1/chat');
    expect(intercepted).toBe(4);
    await closeRecorders();

    const recorded = await record(() => client(upstream.origin).chat({ ...ask, messages: [{ role: 'user', content: 'to break' }] }));
    const [file] = await files(recorded.dir);
    await writeFile(path.join(recorded.dir, file!.name), file!.text.replace('"is_streaming": false', '"is_streaming": "no"'));
    recorder({ mode: 'replay', dir: recorded.dir });
    const broken = await client().chat({ ...ask, messages: [{ role: 'user', content: 'to break' }] }).catch((error: unknown) => error);
    expect(broken).toBeInstanceOf(Cohere.UnprocessableEntityError);
    expect((broken as CohereError).message).toContain(file!.name);
    await closeRecorders();
    expect(upstream.requests).toHaveLength(1);
    expect(blockedConnections()).toEqual([]);
  });

  it('a recorded 400 replays as the same BadRequestError; its request id normalized', async () => {
    const chat = (baseUrl?: string) => client(baseUrl).chat({ ...ask, model: 'error-400' }).catch((error: unknown) => error);
    const { dir, live } = await record(() => chat(upstream.origin), { recordErrors: true });
    expect(live).toBeInstanceOf(Cohere.BadRequestError);
    const replayed = await replay(dir, () => chat());
    expect(replayed).toBeInstanceOf(Cohere.BadRequestError);
    expect((replayed as CohereError).body).toEqual({ ...((live as CohereError).body as object), id: expect.stringMatching(/^rec-/) });
    const [before] = await files(dir);
    expect(before!.json.response.exception_data).toMatchObject({ status_code: 400, message: 'Error code: 400 - invalid request: upstream says 400', wrapped: false });

    await record(() => chat(upstream.origin), { recordErrors: true }).then(({ dir: again }) => files(again)).then(([other]) => expect(other!.text).toBe(before!.text));
  });

  it("the SDK's own description of itself (X-Fern-*) is not taken for a credential: an answer that says JavaScript is stored whole", async () => {
    const said = 'Write it in JavaScript with cohere-ai, as node runs it.';
    const chat = (baseUrl?: string) => client(baseUrl).chat({ ...ask, model: 'echo', messages: [{ role: 'user', content: said }] });
    const { dir, live } = await record(() => chat(upstream.origin));
    expect(upstream.requests[0]!.headers['x-fern-language']).toBe('JavaScript');
    const [file] = await files(dir);
    expect(file!.json.response.body.__data__.message.content[0].text).toBe(said);
    expect(file!.text).not.toContain(TOKEN);
    expect((await replay(dir, () => chat())).message).toEqual(live.message);
  });
});

describe('@ai-sdk/cohere with ai', () => {
  it('generateText: the same text and usage replayed at the real host', async () => {
    const generate = (baseUrl?: string) => generateText({ model: provider(baseUrl)('command-a-03-2025'), prompt: 'What is the capital of France?', maxRetries: 0 });
    const { dir, live } = await record(() => generate(upstream.origin));
    expect(live.text).toBe('The capital of France is Paris.');
    const replayed = await replay(dir, () => generate());
    expect({ text: replayed.text, usage: replayed.usage, finishReason: replayed.finishReason }).toEqual({ text: live.text, usage: live.usage, finishReason: live.finishReason });
    const [file] = await files(dir);
    expect(file!.json.response.body.__data__.id).toMatch(/^rec-/);
    expect(file!.text).not.toContain(TOKEN);
  });

  it('streamText: text deltas, reasoning, and tool calls with their ids, as live', async () => {
    const weather = tool({ inputSchema: jsonSchema<{ location: string }>({ type: 'object', properties: { location: { type: 'string' } } }) });
    const cityAttractions = tool({ inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }) });
    const stream = async (model: string, baseUrl?: string) => {
      const result = streamText({ model: provider(baseUrl)(model), prompt: 'What is the capital of France?', tools: { weather, cityAttractions }, maxRetries: 0 });
      const parts = [];
      for await (const part of result.fullStream) if (part.type !== 'raw') parts.push(part);
      return { parts, text: await result.text, reasoning: await result.reasoningText, calls: await result.toolCalls, usage: await result.usage };
    };
    const both = async (baseUrl?: string) => ({ thinking: await stream('thinking', baseUrl), tool: await stream('tool', baseUrl) });
    const { dir, live } = await record(() => both(upstream.origin));
    expect(live.thinking).toMatchObject({ text: 'The capital of France is Paris.', reasoning: THINKING });
    expect(live.tool.calls.map((call) => [call.toolCallId, call.toolName, call.input])).toEqual(TOOL_CALLS.map((call) => [call.id, call.name, JSON.parse(call.arguments)]));
    const replayed = await replay(dir, () => both());
    // What the model said, without what describes the exchange: response headers, ids, timings (ai 7's `performance`).
    const said = (run: typeof live.tool) => ({ ...run, parts: run.parts.map(({ response: _response, performance: _performance, ...part }: Record<string, unknown>) => part) });
    expect(said(replayed.thinking)).toEqual(said(live.thinking));
    expect(said(replayed.tool)).toEqual(said(live.tool));
  });

  it('a miss fails as the AI SDK APICallError with our message, not retried', async () => {
    recorder({ mode: 'replay', dir: await tempDir() });
    const missed = await generateText({ model: provider()('command-a-03-2025'), prompt: 'never recorded' }).catch((error: unknown) => error);
    // With retries left, a retried error would come back as a RetryError wrapping it.
    expect(APICallError.isInstance(missed)).toBe(true);
    expect(missed).toMatchObject({ statusCode: 404, isRetryable: false, message: expect.stringContaining('ai-vcr: no recording for POST /v2/chat') });
  });
});

describe('ai-vcr show', () => {
  it('reads a Cohere stream as its text, tool plan, calls, finish and usage', async () => {
    const { dir } = await record(async () => eventsOf(await client(upstream.origin).chatStream({ ...ask, model: 'tool', tools })));
    const [file] = await files(dir);
    const shown = formatReading(read(file!.json, { fold: Infinity })).join('\n');
    expect(shown).toContain('user: What is the capital of France?');
    expect(shown).toContain('tools: weather, cityAttractions');
    expect(shown).toContain('assistant reasons: I will use the weather tool');
    expect(shown).toContain('assistant calls weather({"location": "San Francisco"})');
    expect(shown).toContain('finish TOOL_CALL');
  });
});
