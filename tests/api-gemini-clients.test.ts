import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createVertex } from '@ai-sdk/google-vertex';
import { createVertexAnthropic } from '@ai-sdk/google-vertex/anthropic';
import { ChatGoogleGenerativeAI } from '@langchain/google-genai';
import { embedMany, generateText, streamText, type LanguageModel } from 'ai';
import { OAuth2Client } from 'google-auth-library';
import { beforeEach, describe, expect, it } from 'vitest';
import { vertex } from '../src/apis/index.js';
import { tempDir } from './support/fixtures.js';
import { CLAUDE, CLAUDE_EVENTS, REASONING_CHUNKS, startGeminiUpstream, TOOL_CALL, type GeminiUpstream } from './support/gemini-upstream.js';
import { blockedConnections } from './support/no-network.js';
import { closeRecorders, recorder } from './support/recorder.js';

/**
 * Gemini and Vertex AI through the AI SDK's providers and LangChain: recorded against the loopback
 * upstream, replayed at Google's real hosts (each client's default base URL) with the network blocked.
 */

const API_KEY = 'AIzaSyTEST-clients-key-0123456789abcdefg';
const VERTEX_TOKEN = 'ya29.test-clients-oauth-token-0123456789';

let upstream: GeminiUpstream;
beforeEach(async () => {
  upstream = await startGeminiUpstream();
});

async function recordThenReplay<T>(call: (baseUrl: string | undefined) => Promise<T>) {
  const dir = await tempDir();
  recorder({ mode: 'record', dir });
  const live = await call(upstream.origin);
  await closeRecorders();
  const requests = upstream.requests.length;
  expect(requests).toBeGreaterThan(0);
  recorder({ mode: 'replay', dir });
  const replayed = await call(undefined);
  await closeRecorders();
  expect(upstream.requests).toHaveLength(requests);
  expect(blockedConnections()).toEqual([]);
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  const texts = await Promise.all(names.map((name) => readFile(path.join(dir, name), 'utf8')));
  for (const text of texts) {
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(VERTEX_TOKEN);
  }
  return { live, replayed, files: texts.map((text) => JSON.parse(text)) };
}

/** An OAuth client with a token already in hand: google-auth-library then asks no token server. */
function authClient() {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: VERTEX_TOKEN, expiry_date: Date.now() + 3_600_000 });
  return client;
}

async function streamed(model: LanguageModel, prompt: string) {
  const result = streamText({ model, prompt, maxRetries: 0 });
  const parts: string[] = [];
  for await (const part of result.fullStream) {
    if (part.type === 'error') throw part.error;
    if (part.type === 'text-delta' || part.type === 'reasoning-delta') parts.push(`${part.type}:${part.text}`);
  }
  return { parts, finishReason: await result.finishReason, usage: await result.usage };
}

async function generated(model: LanguageModel, prompt: string) {
  const { text, finishReason, usage, toolCalls } = await generateText({ model, prompt, maxRetries: 0 });
  return { text, finishReason, usage, toolCalls };
}

const sampleText = REASONING_CHUNKS.map((chunk) => (chunk.candidates as { content: { parts: { text: string }[] } }[])[0]!.content.parts[0]!.text).join('');

describe('@ai-sdk/google', () => {
  const google = (baseUrl?: string) => createGoogleGenerativeAI({ apiKey: API_KEY, ...(baseUrl ? { baseURL: `${baseUrl}/v1beta` } : {}) });

  it('streamText: the same deltas, finish and usage', async () => {
    const { live, replayed, files } = await recordThenReplay((baseUrl) => streamed(google(baseUrl)('gemini-3-pro-preview'), 'How many r in strawberry?'));
    expect(live.parts.join('')).toContain('strawberry');
    expect(live.usage.outputTokens).toBeGreaterThan(0);
    expect(replayed).toEqual(live);
    expect(files[0].request.endpoint).toBe('/v1beta/models/gemini-3-pro-preview:streamGenerateContent');
  });

  it('generateText with a tool call', async () => {
    const { live, replayed } = await recordThenReplay((baseUrl) => generated(google(baseUrl)('gemini-2.5-flash'), 'tool'));
    expect(live.toolCalls).toMatchObject([{ toolName: TOOL_CALL.name, input: TOOL_CALL.args }]);
    expect(replayed).toEqual(live);
  });

  it('embedMany', async () => {
    const { live, replayed } = await recordThenReplay(async (baseUrl) => (await embedMany({ model: google(baseUrl).embedding('gemini-embedding-001'), values: ['one', 'two'], maxRetries: 0 })).embeddings);
    expect(live).toEqual([
      [0.25, -0.5, 0],
      [0.25, -0.5, 1],
    ]);
    expect(replayed).toEqual(live);
  });

  it("a miss is the AI SDK's APICallError with our message, not retried", async () => {
    recorder({ mode: 'replay', dir: await tempDir() });
    const error = await generateText({ model: google()('gemini-2.5-flash'), prompt: 'never recorded', maxRetries: 2 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'AI_APICallError', statusCode: 404, isRetryable: false, message: expect.stringContaining('ai-vcr: no recording for POST /v1beta/models/gemini-2.5-flash:generateContent') });
    expect(blockedConnections()).toEqual([]);
  });
});

describe('@ai-sdk/google-vertex', () => {
  const vertexAi = (baseUrl?: string) =>
    createVertex({
      project: 'my-project-4711',
      location: 'us-central1',
      googleAuthOptions: { authClient: authClient() },
      ...(baseUrl ? { baseURL: `${baseUrl}/v1beta1/projects/my-project-4711/locations/us-central1/publishers/google` } : {}),
    });

  it('Gemini on Vertex, streamText, with an OAuth token that never reaches the file', async () => {
    const { live, replayed, files } = await recordThenReplay((baseUrl) => streamed(vertexAi(baseUrl)('gemini-2.5-flash'), 'How many r in strawberry?'));
    expect(live.parts.filter((part) => part.startsWith('text-delta:')).map((part) => part.slice('text-delta:'.length)).join('')).toBe(sampleText);
    expect(replayed).toEqual(live);
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${VERTEX_TOKEN}`);
    expect(files[0].request.endpoint).toBe('/v1/publishers/google/models/gemini-2.5-flash:streamGenerateContent');
  });

  it('express mode (an API key, /v1, no project) replays what was recorded with a project at /v1beta1', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const live = await generated(vertexAi(upstream.origin)('gemini-2.5-flash'), 'hello');
    await closeRecorders();
    recorder({ mode: 'replay', dir });
    const replayed = await generated(createVertex({ apiKey: API_KEY })('gemini-2.5-flash'), 'hello');
    expect(replayed).toEqual(live);
    expect(blockedConnections()).toEqual([]);
  });

  describe('Claude on Vertex (rawPredict, streamRawPredict)', () => {
    const claude = (baseUrl?: string) =>
      createVertexAnthropic({
        project: 'my-project-4711',
        location: 'us-east5',
        googleAuthOptions: { authClient: authClient() },
        ...(baseUrl ? { baseURL: `${baseUrl}/v1/projects/my-project-4711/locations/us-east5/publishers/anthropic/models` } : {}),
      })('claude-sonnet-4-5@20250929');

    it("streamText: Anthropic's named events, ending message_stop; the message id normalized", async () => {
      const { live, replayed, files } = await recordThenReplay((baseUrl) => streamed(claude(baseUrl), 'How are you?'));
      const text = CLAUDE_EVENTS.map((event) => (event.delta as { text?: string } | undefined)?.text ?? '').join('');
      expect(live.parts.map((part) => part.slice('text-delta:'.length)).join('')).toBe(text);
      expect(replayed).toEqual(live);
      const [file] = files;
      expect(file.request.endpoint).toBe('/v1/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict');
      expect(file.response.body.map((chunk: { __event__: string }) => chunk.__event__)).toEqual(CLAUDE_EVENTS.map((event) => event.type));
      expect(file.response.body[0].__type__).toBe('anthropic.types.RawMessageStreamEvent');
      expect(file.response.body[0].__data__.message.id).toMatch(/^rec-[0-9a-f]{12}$/);
      const datas = file.response.body.map((chunk: { __data__: Record<string, unknown> }) => chunk.__data__);
      expect(vertex.describe!(file.request.endpoint, file.request.body, datas, true)).toMatchObject({ messages: [{ role: 'user', text: 'How are you?' }], text, finish: 'end_turn', usage: { input_tokens: 12, output_tokens: 30 } });
    });

    it('generateText', async () => {
      const { live, replayed, files } = await recordThenReplay((baseUrl) => generated(claude(baseUrl), 'How are you?'));
      expect(live.text).toBe((CLAUDE.content as { text: string }[])[0]!.text);
      expect(replayed).toEqual(live);
      expect(files[0].response.body).toMatchObject({ __type__: 'anthropic.types.Message', __data__: { id: expect.stringMatching(/^rec-/) } });
    });

    it('a stream without message_stop is not recorded', async () => {
      recorder({ mode: 'record', dir: await tempDir() });
      await streamed(claude(upstream.origin), 'cut').catch(() => undefined);
      await expect(closeRecorders()).rejects.toThrow(/streamRawPredict: the upstream's stream ended after \d+ events without message_stop/);
    });
  });
});

describe('@langchain/google-genai', () => {
  const chat = (baseUrl?: string) => new ChatGoogleGenerativeAI({ apiKey: API_KEY, model: 'gemini-3-pro-preview', maxRetries: 0, ...(baseUrl ? { baseUrl } : {}) });

  it('invoke and stream', async () => {
    const { live, replayed } = await recordThenReplay(async (baseUrl) => {
      const invoked = await chat(baseUrl).invoke('How many r in strawberry?');
      const chunks: string[] = [];
      for await (const chunk of await chat(baseUrl).stream('Stream: how many r in strawberry?')) chunks.push(String(chunk.content));
      return { text: invoked.text, usage: invoked.usage_metadata, chunks };
    });
    expect(live.chunks.join('')).toBe(sampleText);
    expect(replayed).toEqual(live);
  });

  it("a miss fails with our message, at once: LangChain's caller does not retry it", async () => {
    recorder({ mode: 'replay', dir: await tempDir() });
    const started = performance.now();
    const error = await new ChatGoogleGenerativeAI({ apiKey: API_KEY, model: 'gemini-2.5-flash' }).invoke('never recorded').catch((caught: unknown) => caught);
    expect(String((error as Error).message)).toContain('ai-vcr: no recording for POST /v1beta/models/gemini-2.5-flash:generateContent');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(blockedConnections()).toEqual([]);
  });

  it('a broken recording fails with our message naming the file, at once: it answers 400, which LangChain does not retry (422 it would)', async () => {
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    await chat(upstream.origin).invoke('to break');
    await closeRecorders();
    const [name] = await readdir(dir);
    await writeFile(path.join(dir, name!), (await readFile(path.join(dir, name!), 'utf8')).replace('"is_streaming": false', '"is_streaming": "no"'));
    recorder({ mode: 'replay', dir });
    const started = performance.now();
    const error = await new ChatGoogleGenerativeAI({ apiKey: API_KEY, model: 'gemini-3-pro-preview' }).invoke('to break').catch((caught: unknown) => caught);
    expect(String((error as Error).message)).toContain(name);
    expect(performance.now() - started).toBeLessThan(1000);
    await closeRecorders().catch(() => {});
  });
});
