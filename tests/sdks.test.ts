import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, streamText, type LanguageModel } from 'ai';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from './support/fixtures.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { blockedConnections } from './support/no-network.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/**
 * Clients other than the openai SDK, each recorded against the loopback upstream and then
 * replayed with the upstream untouched: each must see the same answer both times.
 */

/** Replay paces each event this far apart, so chunk-by-chunk delivery shows in arrival times. */
const REPLAY_DELAY = 25;

let upstream: Upstream;
beforeEach(async () => {
  upstream = await startUpstream();
});

/** Records what `call` does against the upstream into a fresh directory. */
async function record<T>(call: () => Promise<T>): Promise<{ dir: string; live: T }> {
  const dir = await tempDir();
  recorder({ mode: 'record', dir });
  const live = await call();
  await closeRecorders();
  expect(upstream.requests.length).toBeGreaterThan(0);
  return { dir, live };
}

/** Replays from `dir`, checking that nothing reaches the upstream or the network. */
async function replay<T>(dir: string, call: () => Promise<T>, delay = REPLAY_DELAY): Promise<T> {
  const requests = upstream.requests.length;
  recorder({ mode: 'replay', dir, delay });
  const replayed = await call();
  expect(upstream.requests).toHaveLength(requests);
  expect(blockedConnections()).toEqual([]);
  return replayed;
}

/** What `call` returns live (recording), then replayed. */
async function recordThenReplay<T>(call: () => Promise<T>): Promise<{ live: T; replayed: T }> {
  const { dir, live } = await record(call);
  return { live, replayed: await replay(dir, call) };
}

interface Deltas {
  deltas: string[];
  /** ms from the first delta to each delta. */
  times: number[];
}

/** Text deltas as the client hands them out, with when each arrived. */
async function timed(stream: AsyncIterable<string>): Promise<Deltas> {
  const deltas: string[] = [];
  const arrivals: number[] = [];
  for await (const delta of stream) {
    deltas.push(delta);
    arrivals.push(performance.now());
  }
  return { deltas, times: arrivals.map((at) => at - arrivals[0]!) };
}

/**
 * The replay reached the client one event at a time, not as one buffered body: the deltas
 * span the delays between them, and most came apart. Not every one: on a loaded machine a
 * late timer lets two events reach the client in one read, as from a real server.
 */
function expectPaced({ times }: Deltas) {
  const gaps = times.slice(1).map((at, i) => at - times[i]!);
  expect(times.at(-1)!).toBeGreaterThanOrEqual(gaps.length * REPLAY_DELAY * 0.8);
  expect(gaps.filter((gap) => gap >= REPLAY_DELAY / 2).length).toBeGreaterThanOrEqual(gaps.length / 2);
}

/** An AI SDK stream's text deltas; a stream error fails the call instead of ending the text early. */
async function streamDeltas(model: LanguageModel, prompt: string) {
  const result = streamText({ model, prompt, maxRetries: 0 });
  async function* text() {
    for await (const part of result.fullStream) {
      if (part.type === 'error') throw part.error;
      if (part.type === 'text-delta') yield part.text;
    }
  }
  const deltas = await timed(text());
  return { ...deltas, finishReason: await result.finishReason, usage: await result.usage };
}

async function generate(model: LanguageModel, prompt: string) {
  const { text, finishReason, usage } = await generateText({ model, prompt, maxRetries: 0 });
  return { text, finishReason, usage };
}

describe('Vercel AI SDK, openai.chat (chat completions)', () => {
  const model = () => createOpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL }).chat('gpt-test');

  it('streamText: the same deltas, one by one', async () => {
    const { live, replayed } = await recordThenReplay(() => streamDeltas(model(), 'to be or not'));
    expect(live.deltas).toEqual(['to', ' be', ' or', ' not']);
    expect(live.usage.outputTokens).toBe(4);
    expect({ ...replayed, times: [] }).toEqual({ ...live, times: [] });
    expectPaced(replayed);
  });

  it('generateText', async () => {
    const { live, replayed } = await recordThenReplay(() => generate(model(), 'to be or not'));
    expect(live.text).toBe('to be or not');
    expect(replayed).toEqual(live);
  });

  it('abortSignal ends a paced replay at once', async () => {
    const { dir } = await record(() => streamDeltas(model(), 'to be or not'));
    const outcome = await replay(
      dir,
      async () => {
        const started = performance.now();
        const result = streamText({ model: model(), prompt: 'to be or not', maxRetries: 0, abortSignal: AbortSignal.timeout(100) });
        const parts: string[] = [];
        for await (const part of result.fullStream) parts.push(part.type);
        return { parts, elapsed: performance.now() - started };
      },
      1_000,
    );
    expect(outcome.parts).toContain('abort');
    expect(outcome.parts).not.toContain('text-delta');
    // Unless the replay stops on the request's signal, the client learns of the abort only with the next event, 1 s in.
    expect(outcome.elapsed).toBeLessThan(600);
  });
});

describe('Vercel AI SDK, openai (Responses API)', () => {
  const model = () => createOpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL })('gpt-test');

  it('streamText: the same deltas, one by one', async () => {
    const { live, replayed } = await recordThenReplay(() => streamDeltas(model(), 'hi'));
    expect(upstream.requests[0]!.url).toBe('/v1/responses');
    expect(live.deltas).toEqual(['Hi', ' there']);
    expect(live.usage.outputTokens).toBe(2);
    expect({ ...replayed, times: [] }).toEqual({ ...live, times: [] });
    expectPaced(replayed);
  });

  it('generateText', async () => {
    const { live, replayed } = await recordThenReplay(() => generate(model(), 'hi'));
    expect(live.text).toBe('Hi there');
    expect(replayed).toEqual(live);
  });
});

describe('LangChain ChatOpenAI', () => {
  const chat = () => new ChatOpenAI({ model: 'gpt-test', apiKey: 'sk-test', configuration: { baseURL: upstream.baseURL }, maxRetries: 0 });

  it('invoke', async () => {
    const { live, replayed } = await recordThenReplay(async () => {
      const message = await chat().invoke('to be or not');
      return { content: message.content, usage: message.usage_metadata };
    });
    expect(live.content).toBe('to be or not');
    expect(replayed).toEqual(live);
  });

  it('stream: the same chunks, one by one', async () => {
    const { live, replayed } = await recordThenReplay(async () => {
      async function* text() {
        for await (const chunk of await chat().stream('to be or not')) if (chunk.text) yield chunk.text;
      }
      return timed(text());
    });
    expect(live.deltas).toEqual(['to', ' be', ' or', ' not']);
    expect(replayed.deltas).toEqual(live.deltas);
    expectPaced(replayed);
  });
});

describe('AI SDK createOpenAICompatible, at an Ollama-style base URL', () => {
  // Ollama serves OpenAI's API under http://localhost:11434/v1 and needs no API key.
  const model = () => createOpenAICompatible({ name: 'ollama', baseURL: `http://localhost:${new URL(upstream.baseURL).port}/v1` }).chatModel('llama3.2');

  it('streamText: the same deltas, one by one', async () => {
    const { live, replayed } = await recordThenReplay(() => streamDeltas(model(), 'to be or not'));
    expect(upstream.requests[0]!.headers.authorization).toBeUndefined();
    expect(live.deltas).toEqual(['to', ' be', ' or', ' not']);
    expect({ ...replayed, times: [] }).toEqual({ ...live, times: [] });
    expectPaced(replayed);
  });

  it('generateText', async () => {
    const { live, replayed } = await recordThenReplay(() => generate(model(), 'to be or not'));
    expect(live.text).toBe('to be or not');
    expect(replayed).toEqual(live);
  });
});
