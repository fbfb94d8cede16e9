import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiError, GoogleGenAI, type GoogleGenAIOptions } from '@google/genai';
import { OAuth2Client } from 'google-auth-library';
import { beforeEach, describe, expect, it } from 'vitest';
import { recognise } from '../src/apis/index.js';
import { tempDir } from './support/fixtures.js';
import { INTERACTION, INTERACTION_EVENTS, REASONING, REASONING_CHUNKS, startGeminiUpstream, TOOL_CALL, TOOL_SIGNATURE, type GeminiUpstream } from './support/gemini-upstream.js';
import { blockedConnections } from './support/no-network.js';
import { closeRecorders, recordCall, recorder, recordingsOf, replayCall } from './support/recorder.js';

/**
 * Google's Gemini API and Vertex AI through @google/genai: recorded against a loopback upstream
 * that answers with real Gemini traffic, then replayed at Google's real hosts with the upstream
 * untouched and the network blocked.
 */

const API_KEY = 'AIzaSyTEST-gemini-key-0123456789abcdefg';
const VERTEX_TOKEN = 'ya29.test-vertex-oauth-token-0123456789';
const PROVIDERS = path.resolve(import.meta.dirname, '../../shared/samples/providers');

let upstream: GeminiUpstream;
beforeEach(async () => {
  upstream = await startGeminiUpstream();
});

const studio = (baseUrl?: string) => new GoogleGenAI({ apiKey: API_KEY, ...(baseUrl ? { httpOptions: { baseUrl } } : {}) });

/** Vertex with a project and an OAuth token already in hand, so google-auth-library asks no token server. */
function vertexAi(baseUrl?: string) {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: VERTEX_TOKEN, expiry_date: Date.now() + 3_600_000 });
  // The hoisted google-auth-library may be another major than @google/genai's own (the newest
  // stack: 11 for @ai-sdk/google-vertex 5, 10 for @google/genai 3); only its types differ.
  const authClient = client as unknown as NonNullable<NonNullable<GoogleGenAIOptions['googleAuthOptions']>['authClient']>;
  return new GoogleGenAI({ vertexai: true, project: 'my-project-4711', location: 'us-central1', googleAuthOptions: { authClient }, ...(baseUrl ? { httpOptions: { baseUrl } } : {}) });
}

const files = recordingsOf;
const record = recordCall;
const replay = <T>(dir: string, call: () => Promise<T>) => replayCall(dir, call, upstream);

/** What a client keeps of an answer: the SDK's own response object without its HTTP headers. */
const answerOf = <T extends { sdkHttpResponse?: unknown }>({ sdkHttpResponse: _, ...rest }: T) => rest;

async function chunksOf<T extends { sdkHttpResponse?: unknown }>(stream: AsyncIterable<T>) {
  const chunks: Omit<T, 'sdkHttpResponse'>[] = [];
  for await (const chunk of stream) chunks.push(answerOf(chunk));
  return chunks;
}

describe('endpoints', () => {
  it('keep the model and operation; drop a proxy prefix, the version called, and the Vertex project and location', () => {
    expect(recognise('/v1beta/models/gemini-2.5-flash:streamGenerateContent')).toMatchObject({ endpoint: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', method: 'POST', api: { name: 'gemini' } });
    expect(recognise('/gateway/google-ai-studio/v1/models/gemini-2.5-flash:embedContent')?.endpoint).toBe('/v1beta/models/gemini-2.5-flash:embedContent');
    expect(recognise('/v1/interactions')?.endpoint).toBe('/v1beta/interactions');
    expect(recognise('/v1beta1/projects/p-1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:countTokens')).toMatchObject({ endpoint: '/v1/publishers/google/models/gemini-2.5-pro:countTokens', api: { name: 'vertex' } });
    expect(recognise('/v1beta1/publishers/google/models/gemini-2.5-pro:generateContent')?.endpoint).toBe('/v1/publishers/google/models/gemini-2.5-pro:generateContent');
    expect(recognise('/v1beta1/projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict')?.endpoint).toBe('/v1/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict');
  });

  it("Gemini's model list is not OpenAI's, which also ends in /models; Gemini's OpenAI-compatible endpoints stay OpenAI's", () => {
    expect(recognise('/v1beta/models')).toBeUndefined();
    expect(recognise('/v1/models', new Headers({ 'x-goog-api-key': 'k' }))).toBeUndefined();
    expect(recognise('/v1/models')?.api.name).toBe('openai');
    expect(recognise('/v1beta/openai/chat/completions')).toMatchObject({ endpoint: '/v1/chat/completions', api: { name: 'openai' } });
    expect(recognise('/v1beta/openai/models')?.api.name).toBe('openai');
  });
});

describe('show', () => {
  it("a streamed Claude on Vertex tool call: its arguments put together from the deltas", () => {
    const endpoint = '/v1/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict';
    const events = [
      { type: 'message_start', message: { id: 'rec-1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 20, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_kept', name: 'get_weather', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ];
    const body = { messages: [{ role: 'user', content: 'Weather?' }], tools: [{ name: 'get_weather' }] };
    expect(recognise(endpoint)!.api.describe!(endpoint, body, events, true)).toEqual({
      messages: [{ role: 'user', text: 'Weather?' }],
      tools: ['get_weather'],
      text: '',
      reasoning: '',
      calls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }],
      finish: 'tool_use',
      usage: { input_tokens: 20, output_tokens: 9 },
    });
  });
});

describe('@google/genai, Gemini API', () => {
  it('generateContent: the same answer replayed at the real host; responseId normalized, thought signature kept, no key in the file', async () => {
    const ask = () => studio(upstream.origin).models.generateContent({ model: 'gemini-3-pro-preview', contents: 'How many r in strawberry?' });
    const { dir, live } = await record(ask);
    expect(live.text).toBe((REASONING.candidates as { content: { parts: { text: string }[] } }[])[0]!.content.parts[0]!.text);
    expect(upstream.requests[0]!.headers['x-goog-api-key']).toBe(API_KEY);
    const replayed = await replay(dir, () => studio().models.generateContent({ model: 'gemini-3-pro-preview', contents: 'How many r in strawberry?' }));
    expect(answerOf(replayed)).toEqual({ ...answerOf(live), responseId: expect.stringMatching(/^rec-[0-9a-f]{12}$/) });
    expect(replayed.usageMetadata).toEqual(live.usageMetadata);

    const [file] = await files(dir);
    expect(file!.json.request.endpoint).toBe('/v1beta/models/gemini-3-pro-preview:generateContent');
    // The body names no model; the path does.
    expect(file!.json.request.model).toBe('gemini-3-pro-preview');
    expect(file!.json.response.body.__type__).toBe('google.genai.types.GenerateContentResponse');
    expect(file!.json.response.body.__data__.responseId).toBe(replayed.responseId);
    expect(file!.text).toContain((REASONING.candidates as { content: { parts: { thoughtSignature: string }[] } }[])[0]!.content.parts[0]!.thoughtSignature);
    expect(file!.text).not.toContain(API_KEY);
  });

  it('generateContentStream: the chunks in order, data-only SSE without a terminator; re-recording leaves the file byte-identical', async () => {
    const ask = (baseUrl?: string) => studio(baseUrl).models.generateContentStream({ model: 'gemini-3-pro-preview', contents: 'How many r in strawberry?' });
    const { dir, live } = await record(async () => chunksOf(await ask(upstream.origin)));
    expect(live.map((chunk) => chunk.candidates?.[0]?.content?.parts?.[0]?.text)).toEqual(REASONING_CHUNKS.map((chunk) => (chunk.candidates as { content: { parts: { text: string }[] } }[])[0]!.content.parts[0]!.text));
    // @google/genai 3 calls v1, 2 v1beta.
    expect(upstream.requests[0]!.url).toMatch(/^\/v1(beta)?\/models\/gemini-3-pro-preview:streamGenerateContent\?alt=sse$/);
    const [before] = await files(dir);
    expect(before!.json.request.endpoint).toBe('/v1beta/models/gemini-3-pro-preview:streamGenerateContent');
    expect(before!.json.response.stream).toEqual({ framing: 'sse' });
    expect(before!.json.response.body.map((chunk: { __event__?: string; __type__: string }) => [chunk.__type__, chunk.__event__])).toEqual(REASONING_CHUNKS.map(() => ['google.genai.types.GenerateContentResponse', undefined]));

    // What `ai-vcr show` prints of it.
    const { api } = recognise(before!.json.request.endpoint)!;
    const datas = before!.json.response.body.map((chunk: { __data__: Record<string, unknown> }) => chunk.__data__);
    expect(api.describe!(before!.json.request.endpoint, before!.json.request.body, datas, true)).toEqual({
      messages: [{ role: 'user', text: 'How many r in strawberry?' }],
      tools: [],
      text: live.map((chunk) => chunk.candidates?.[0]?.content?.parts?.[0]?.text).join(''),
      reasoning: '',
      calls: [],
      finish: 'STOP',
      usage: { input_tokens: 9, output_tokens: 29, total_tokens: 294 },
    });

    const replayed = await replay(dir, async () => chunksOf(await ask()));
    expect(replayed).toEqual(live.map((chunk) => ({ ...chunk, responseId: expect.stringMatching(/^rec-/) })));
    expect(replayed.at(-1)!.candidates![0]!.content!.parts![0]!.thoughtSignature).toBe(live.at(-1)!.candidates![0]!.content!.parts![0]!.thoughtSignature);

    // The upstream gives a fresh responseId each time; the file does not change.
    const mtime = (await stat(path.join(dir, before!.name))).mtimeMs;
    recorder({ mode: 'record', dir });
    await chunksOf(await ask(upstream.origin));
    await closeRecorders();
    expect(upstream.requests).toHaveLength(2);
    const [after] = await files(dir);
    expect(after!.text).toBe(before!.text);
    expect((await stat(path.join(dir, after!.name))).mtimeMs).toBe(mtime);
  });

  it('a function call keeps its id and thought signature, which the next request sends back', async () => {
    const ask = (baseUrl?: string) => studio(baseUrl).models.generateContent({ model: 'gemini-2.5-flash', contents: 'tool', config: { tools: [{ functionDeclarations: [{ name: 'get_weather' }] }] } });
    const { dir, live } = await record(() => ask(upstream.origin));
    expect(live.functionCalls).toEqual([TOOL_CALL]);
    const replayed = await replay(dir, () => ask());
    expect(replayed.functionCalls).toEqual([TOOL_CALL]);
    expect(replayed.candidates![0]!.content!.parts![0]!.thoughtSignature).toBe(TOOL_SIGNATURE);
  });

  it('embedContent and countTokens', async () => {
    const ask = async (baseUrl?: string) => {
      const ai = studio(baseUrl);
      const embedded = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['one', 'two'] });
      const counted = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'count me' });
      return { embeddings: embedded.embeddings, tokens: counted.totalTokens };
    };
    const { dir, live } = await record(() => ask(upstream.origin));
    expect(live).toEqual({ embeddings: [{ values: [0.25, -0.5, 0] }, { values: [0.25, -0.5, 1] }], tokens: 9 });
    expect(await replay(dir, () => ask())).toEqual(live);
    expect((await files(dir)).map(({ json }) => [json.request.endpoint, json.response.body.__type__]).sort()).toEqual([
      ['/v1beta/models/gemini-2.5-flash:countTokens', 'google.genai.types.CountTokensResponse'],
      ['/v1beta/models/gemini-embedding-001:batchEmbedContents', 'google.genai.types.EmbedContentResponse'],
    ]);
  });

  it('the model list is recorded as Gemini answered it, not merged like OpenAI model lists', async () => {
    const list = async (baseUrl?: string) => {
      const names: string[] = [];
      for await (const model of await studio(baseUrl).models.list()) names.push(String(model.name));
      return names;
    };
    const { dir, live } = await record(() => list(upstream.origin));
    expect(live).toEqual(['models/gemini-2.5-flash']);
    const [file] = await files(dir);
    expect(file!.json.request).toMatchObject({ method: 'GET', endpoint: expect.stringMatching(/^\/v1(beta)?\/models$/) });
    expect(file!.json.response.body.__type__).toBe('json');
    expect(await replay(dir, () => list())).toEqual(live);
  });

  it('a stream is complete when a chunk carried finishReason, though a usage-only chunk followed; or when the prompt was blocked', async () => {
    const ask = async (contents: string, baseUrl?: string) => chunksOf(await studio(baseUrl).models.generateContentStream({ model: 'gemini-2.5-flash', contents }));
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const usageLast = await ask('usage-last', upstream.origin);
    const blocked = await ask('blocked', upstream.origin);
    await closeRecorders();
    expect(usageLast).toHaveLength(REASONING_CHUNKS.length + 1);
    expect(blocked[0]!.promptFeedback).toEqual({ blockReason: 'SAFETY' });
    expect(await files(dir)).toHaveLength(2);
    const replayed = await replay(dir, async () => ({ usageLast: await ask('usage-last'), blocked: await ask('blocked') }));
    expect(replayed.usageLast.map(({ responseId: _, ...chunk }) => chunk)).toEqual(usageLast.map(({ responseId: _, ...chunk }) => chunk));
    expect(replayed.blocked[0]!.promptFeedback).toEqual({ blockReason: 'SAFETY' });
  });

  it('a key in the query (?key=) never reaches the file, nor the key: the recording answers a client that sends it as a header', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const response = await fetch(`${upstream.origin}/v1beta/models/gemini-2.5-flash:generateContent?key=${API_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'query key' }], role: 'user' }] }),
    });
    expect(response.status).toBe(200);
    await closeRecorders();
    expect(upstream.requests[0]!.url).toContain(`key=${API_KEY}`);
    const [file] = await files(dir);
    expect(file!.text).not.toContain(API_KEY);
    expect(file!.json.request.url).toMatch(/key=%3Credacted%3E$/);
    const replayed = await replay(dir, () => studio().models.generateContent({ model: 'gemini-2.5-flash', contents: 'query key' }));
    expect(replayed.text).toBe(REASONING.candidates && (REASONING.candidates as { content: { parts: { text: string }[] } }[])[0]!.content.parts[0]!.text);
  });

  it('a stream cut short, or broken off, is not recorded, and says why', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const cut = await chunksOf(await studio(upstream.origin).models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'cut' }));
    expect(cut).toHaveLength(REASONING_CHUNKS.length - 1);
    await expect(chunksOf(await studio(upstream.origin).models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'drop' }))).rejects.toThrow();
    await expect(closeRecorders()).rejects.toThrow(
      /2 calls were not recorded:\n {2}POST \/v1beta\/models\/gemini-2.5-flash:streamGenerateContent: the upstream's stream ended after 2 events without a chunk with a candidate finishReason\n {2}POST \/v1beta\/models\/gemini-2.5-flash:streamGenerateContent: the upstream's stream broke off after 2 events/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("a miss and a broken recording fail as the SDK's ApiError with our message, not retried; a call at the real host never reaches the network", async () => {
    const dir = await tempDir();
    recorder({ mode: 'replay', dir });
    const missed = await studio().models.generateContent({ model: 'gemini-2.5-flash', contents: 'never recorded' }).catch((error: unknown) => error);
    expect(missed).toBeInstanceOf(ApiError);
    expect(missed).toMatchObject({ status: 404, message: expect.stringMatching(/ai-vcr: no recording for POST \/v1beta\/models\/gemini-2.5-flash:generateContent \(model \\"gemini-2.5-flash\\"\)/) });
    const other = await studio().models.get({ model: 'gemini-2.5-flash' }).catch((error: unknown) => error);
    expect(other).toMatchObject({ status: 404, message: expect.stringMatching(/GET \/v1(beta)?\/models\/gemini-2.5-flash/) });
    expect(other).toBeInstanceOf(ApiError);
    await closeRecorders();

    const recorded = await record(() => studio(upstream.origin).models.generateContent({ model: 'gemini-2.5-flash', contents: 'to break' }));
    const [file] = await files(recorded.dir);
    await writeFile(path.join(recorded.dir, file!.name), file!.text.replace('"is_streaming": false', '"is_streaming": "no"'));
    recorder({ mode: 'replay', dir: recorded.dir });
    const broken = await studio().models.generateContent({ model: 'gemini-2.5-flash', contents: 'to break' }).catch((error: unknown) => error);
    expect(broken).toBeInstanceOf(ApiError);
    expect(broken).toMatchObject({ status: 400, message: expect.stringContaining(file!.name) });
    await closeRecorders().catch(() => {});
    expect(upstream.requests).toHaveLength(1);
    expect(blockedConnections()).toEqual([]);
  });

  it('a recorded 400 replays as the same ApiError', async () => {
    const ask = (baseUrl?: string) => studio(baseUrl).models.generateContent({ model: 'gemini-2.5-flash', contents: 'bad' }).catch((error: unknown) => error);
    const { dir, live } = await record(() => ask(upstream.origin), { recordErrors: true });
    expect(live).toBeInstanceOf(ApiError);
    const replayed = await replay(dir, () => ask());
    expect(replayed).toBeInstanceOf(ApiError);
    expect({ status: (replayed as ApiError).status, message: (replayed as ApiError).message }).toEqual({ status: 400, message: (live as ApiError).message });
  });
});

describe('@google/genai, Vertex AI', () => {
  it('recorded with a project and an OAuth token, replayed at the real regional host and in express mode; the token never reaches the file', async () => {
    const ask = (ai: GoogleGenAI) => ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'How many r in strawberry?' });
    const { dir, live } = await record(() => ask(vertexAi(upstream.origin)));
    expect(upstream.requests[0]!.url).toBe('/v1beta1/projects/my-project-4711/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${VERTEX_TOKEN}`);
    const [file] = await files(dir);
    expect(file!.json.request.endpoint).toBe('/v1/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(file!.text).not.toContain(VERTEX_TOKEN);

    const regional = await replay(dir, () => ask(vertexAi()));
    expect(answerOf(regional)).toEqual({ ...answerOf(live), responseId: expect.stringMatching(/^rec-/) });
    const express = await replay(dir, () => ask(new GoogleGenAI({ vertexai: true, apiKey: API_KEY })));
    expect(express.text).toBe(live.text);
  });

  it('generateContentStream', async () => {
    const ask = async (ai: GoogleGenAI) => chunksOf(await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'How many r in strawberry?' }));
    const { dir, live } = await record(() => ask(vertexAi(upstream.origin)));
    expect(live).toHaveLength(REASONING_CHUNKS.length);
    expect(await replay(dir, () => ask(vertexAi()))).toEqual(live.map((chunk) => ({ ...chunk, responseId: expect.stringMatching(/^rec-/) })));
  });
});

describe('@google/genai, Interactions', () => {
  it('a stream replays its named events in order; the interaction id, which a client sends back, is kept', async () => {
    const ask = async (baseUrl?: string) => {
      const events = [];
      for await (const event of await studio(baseUrl).interactions.create({ model: 'gemini-2.5-flash', input: 'How are you?', stream: true })) events.push(event);
      return events;
    };
    const { dir, live } = await record(() => ask(upstream.origin));
    expect(live).toEqual(INTERACTION_EVENTS);
    const [file] = await files(dir);
    expect(file!.json.request.endpoint).toBe('/v1beta/interactions');
    expect(file!.json.response.body.map((chunk: { __event__: string }) => chunk.__event__)).toEqual(INTERACTION_EVENTS.map((event) => event.event_type));
    expect(file!.json.response.body[0].__type__).toBe('google.genai.types.InteractionSSEEvent');
    expect(await replay(dir, () => ask())).toEqual(INTERACTION_EVENTS);
  });

  it('not streamed', async () => {
    const ask = async (baseUrl?: string) => studio(baseUrl).interactions.create({ model: 'gemini-2.5-flash', input: 'Hello' });
    const { dir, live } = await record(() => ask(upstream.origin));
    expect(live).toMatchObject(INTERACTION);
    expect(answerOf(await replay(dir, () => ask()))).toEqual(answerOf(live));
  });

  it('a stream without its final event is not recorded', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    for await (const _ of await studio(upstream.origin).interactions.create({ model: 'gemini-2.5-flash', input: 'cut', stream: true }));
    await expect(closeRecorders()).rejects.toThrow(/POST \/v1beta\/interactions: the upstream's stream ended after 8 events without interaction.complete, interaction.completed, error or \[DONE\]/);
  });
});

describe("llama-stack's HTTP-level Gemini Interactions files replay unchanged through @google/genai", () => {
  async function llamaStackDir() {
    const dir = await tempDir();
    for (const name of ['2cb6caa8', '190a1769', '1151b20e']) {
      const file = (await readdir(PROVIDERS)).find((candidate) => candidate.startsWith(name))!;
      await cp(path.join(PROVIDERS, file), path.join(dir, file));
    }
    return dir;
  }
  const payloadOf = async (prefix: string) => {
    const file = (await readdir(PROVIDERS)).find((candidate) => candidate.startsWith(prefix))!;
    return JSON.parse(await readFile(path.join(PROVIDERS, file), 'utf8'));
  };

  it('streamed: every event, named, and its `event: done` terminator', async () => {
    const recorded = await payloadOf('2cb6caa8');
    const lines = recorded.response.body as string[];
    const expected = lines.filter((line) => line.startsWith('data: {')).map((line) => JSON.parse(line.slice('data: '.length)));
    const dir = await llamaStackDir();
    const events = await replay(dir, async () => {
      const got = [];
      const payload = recorded.request.payload as { model: string; input: string; stream: true };
      for await (const event of await studio().interactions.create(payload)) got.push(event);
      return got;
    });
    expect(events).toEqual(expected);
    // As sent on the wire: the file's SSE lines, the terminator's event name included.
    const raw = await replay(dir, async () => {
      const response = await fetch('https://generativelanguage.googleapis.com/v1beta/interactions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': API_KEY }, body: JSON.stringify(recorded.request.payload) });
      return response.text();
    });
    expect(raw).toBe(`${lines.join('\n')}\n`);
  });

  it('not streamed: the function call with its id', async () => {
    const recorded = await payloadOf('190a1769');
    const interaction = await replay(await llamaStackDir(), () => studio().interactions.create(recorded.request.payload));
    expect(interaction).toMatchObject(recorded.response.body);
  });

  it("a 400: the Interactions client's own error, with the recorded message", async () => {
    const recorded = await payloadOf('1151b20e');
    const error = await replay(await llamaStackDir(), () => studio().interactions.create(recorded.request.payload).catch((caught: unknown) => caught));
    // The Interactions client is Stainless-generated: its 400 is a BadRequestError.
    expect(error).toMatchObject({ name: 'BadRequestError', status: 400, message: expect.stringContaining(recorded.response.body.error.message) });
  });
});
