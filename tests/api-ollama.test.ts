import { copyFile, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ollama } from 'ollama';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from './support/fixtures.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { startWireUpstream, type StreamEvent, type WireRequest } from './support/wire-upstream.js';

const SAMPLES = path.resolve(import.meta.dirname, '../../shared/samples/providers');
const PS_SAMPLE = '02c93bb3c314427bae2b7a7a6f054792b9f22d2cb4522eab802810be8672d3dc.json';
const KEY = 'ollama-cloud-key-0123456789';

/** An Ollama chat answer as the server streams it: a line per token, then the `done` line with the times. */
function chatLines(words: string[], at: string): StreamEvent[] {
  const line = (content: string) => ({ model: 'llama3.2', created_at: at, message: { role: 'assistant', content }, done: false });
  const done = {
    model: 'llama3.2',
    created_at: at,
    message: { role: 'assistant', content: '' },
    done_reason: 'stop',
    done: true,
    total_duration: Math.round(Math.random() * 1e9),
    load_duration: 1234,
    prompt_eval_count: 12,
    prompt_eval_duration: 5678,
    eval_count: words.length,
    eval_duration: 91011,
  };
  return [...words.map((word) => line(word)), done].map((data) => ({ data: JSON.stringify(data) }));
}

/** Answers like an Ollama server, the times of each answer different, as they are. */
function ollamaServer(options: { drop?: number } = {}) {
  return startWireUpstream((request: WireRequest) => {
    const at = new Date().toISOString();
    const body = (request.body ?? {}) as { stream?: boolean };
    if (request.url.endsWith('/api/chat') && body.stream !== false) return { framing: 'ndjson', events: chatLines(['Hel', 'lo', '!'], at), ...options };
    if (request.url.endsWith('/api/chat')) return { json: JSON.parse(chatLines(['Hello!'], at).at(-1)!.data) };
    if (request.url.endsWith('/api/embed')) return { json: { model: 'all-minilm', embeddings: [[0.1, -0.2]], total_duration: Date.now() } };
    if (request.url.endsWith('/api/tags')) return { json: { models: [{ name: 'llama3.2:latest', size: 2019393189 }] } };
    return { status: 404, json: { error: `model "nope" not found` } };
  });
}

const client = (host: string) => new Ollama({ host, headers: { authorization: `Bearer ${KEY}` } });

async function chatStream(ollama: Ollama): Promise<string[]> {
  const parts: string[] = [];
  for await (const part of await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'Say hello' }], stream: true })) parts.push(part.message.content);
  return parts;
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
}

describe('Ollama native API through the ollama client', () => {
  it('records a chat stream line by line and replays it offline, the same parts in order', async () => {
    const upstream = await ollamaServer();
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const live = await chatStream(client(upstream.origin));
    const answer = await client(upstream.origin).chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'Say hello' }], stream: false });
    const embedded = await client(upstream.origin).embed({ model: 'all-minilm', input: 'hi' });
    const tags = await client(upstream.origin).list();
    await closeRecorders();
    expect(live).toEqual(['Hel', 'lo', '!', '']);
    expect(await files(dir)).toHaveLength(4);
    const [stream] = await Promise.all((await files(dir)).map(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8')))).then((all) =>
      all.filter((recording) => recording.response.is_streaming),
    );
    expect(stream.request.endpoint).toBe('/api/chat');
    expect(stream.response.stream).toEqual({ framing: 'ndjson' });
    expect(stream.response.body[0]).toMatchObject({ __type__: 'ollama._types.ChatResponse', __data__: { message: { content: 'Hel' } } });

    recorder({ mode: 'replay', dir });
    // Another host (not port 9 or another fetch-forbidden port, which msw 3 leaves to fetch to refuse): the key is the endpoint and body.
    const elsewhere = 'http://127.0.0.1:11435';
    expect(await chatStream(client(elsewhere))).toEqual(live);
    const replayed = await client(elsewhere).chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'Say hello' }], stream: false });
    expect(replayed).toEqual({ ...answer, created_at: '1970-01-01T00:00:00Z', total_duration: 0, load_duration: 0, prompt_eval_duration: 0, eval_duration: 0 });
    expect(await client(elsewhere).embed({ model: 'all-minilm', input: 'hi' })).toEqual({ ...embedded, total_duration: 0 });
    expect(await client(elsewhere).list()).toEqual(tags);
    expect(upstream.requests).toHaveLength(4);
  });

  it('re-records an unchanged answer as the same bytes, and writes no credential', async () => {
    const upstream = await ollamaServer();
    const dir = await tempDir();
    const texts: string[] = [];
    for (let run = 0; run < 2; run++) {
      recorder({ mode: 'record', dir });
      await chatStream(client(upstream.origin));
      await closeRecorders();
      const [name] = await files(dir);
      texts.push(await readFile(path.join(dir, name!), 'utf8'));
    }
    const withoutTimes = (text: string) => text.replace(/"chunk_times_ms": \[[^\]]*\]/, '');
    expect(withoutTimes(texts[1]!)).toBe(withoutTimes(texts[0]!));
    expect(texts[0]).not.toContain(KEY);
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('does not record a stream cut short, and says why', async () => {
    const upstream = await ollamaServer({ drop: 2 });
    const dir = await tempDir();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      recorder({ mode: 'record', dir });
      await expect(chatStream(client(upstream.origin))).rejects.toThrow();
      await expect(closeRecorders()).rejects.toThrow(/POST \/api\/chat: the upstream's stream broke off after 2 events/);
    } finally {
      errors.mockRestore();
    }
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });

  it("answers a miss with the client's own ResponseError carrying ai-vcr's message", async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      recorder({ mode: 'replay', dir: await tempDir() });
      const error = await chatStream(client('http://127.0.0.1:11435')).catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ name: 'ResponseError', status_code: 404, error: expect.stringMatching(/^ai-vcr: no recording for POST \/api\/chat \(model "llama3.2"\) in replay mode/) });
      // What to set to record is the API's own credentials, not another API's.
      expect((error as { error: string }).error).toContain("run the tests once with the API's credentials set (OLLAMA_API_KEY for ollama.com; none for a local server)");
    } finally {
      errors.mockRestore();
    }
  });

  it("replays llama-stack's /api/ps recording, stored as a POST, to the client's GET", async () => {
    const dir = await tempDir();
    await copyFile(path.join(SAMPLES, PS_SAMPLE), path.join(dir, PS_SAMPLE));
    recorder({ mode: 'replay', dir });
    expect(await client('http://localhost:11434').ps()).toEqual({ models: [] });
  });
});
