import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { requestKey } from '../src/key.js';
import { createStore } from '../src/store.js';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { recorder } from './support/recorder.js';
import { loopbackServer } from './support/upstream.js';

const EARTH = 'seeds/004_93e64aa372a341f8.json';

async function earth() {
  return JSON.parse(await readFile(path.join(FIXTURES, EARTH), 'utf8'));
}

/** The file a replay of this recording's request opens first: `<key>.json` in `dir`. */
function keyFile(dir: string, recording: { request: { body: unknown } }): string {
  return path.join(dir, `${requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: recording.request.body })}.json`);
}

/** What the SDK says when it replays this recording's request, or its answer if it replays. */
async function replayError(dir: string, body: unknown): Promise<string> {
  recorder({ mode: 'replay', dir });
  const sdk = new OpenAI({ apiKey: 'sk-test', maxRetries: 0 });
  try {
    const stream = await sdk.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return `replayed: ${text}`;
  } catch (error) {
    return (error as Error).message;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a recording that is not valid', () => {
  it('names the chunk that is not an object, what it is, and the file', async () => {
    const dir = await tempDir();
    const recording = await earth();
    recording.response.body.splice(3, 0, 'oops');
    const file = keyFile(dir, recording);
    await writeFile(file, JSON.stringify(recording));

    const message = await replayError(dir, recording.request.body);
    expect(message).toContain(file);
    expect(message).toContain('response.body[3]: expected an object with __type__ and __data__, got a string');
    expect(message).not.toContain('Invalid input');
  });

  it('rejects bytes that are not UTF-8, naming the file, instead of replaying U+FFFD', async () => {
    const dir = await tempDir();
    const recording = await earth();
    const file = keyFile(dir, recording);
    const text = Buffer.from(JSON.stringify(recording));
    const at = text.indexOf('Earth');
    // A Latin-1 "é" (0xe9) where UTF-8 would need two bytes: what an editor saving as Latin-1 leaves.
    await writeFile(file, Buffer.concat([text.subarray(0, at), Buffer.from([0xe9]), text.subarray(at)]));

    const message = await replayError(dir, recording.request.body);
    expect(message).not.toMatch(/^replayed/);
    expect(message).toContain(file);
    expect(message).toContain(`not UTF-8 text: byte ${at} (line 1) is not valid UTF-8`);
  });
});

describe('a recordings directory that is a file', () => {
  it('in replay, says the directory is a file and what to do', async () => {
    const dir = path.join(await tempDir(), 'recordings');
    await writeFile(dir, 'not a directory');
    const message = await replayError(dir, (await earth()).request.body);
    expect(message).toContain(`${dir} is a file, not a directory`);
    expect(message).toMatch(/AI_VCR_DIR/);
    expect(message).not.toMatch(/ENOTDIR|cannot be replayed/);
  });

  it('in replay, also for the model list, which reads the whole directory', async () => {
    const dir = path.join(await tempDir(), 'recordings');
    await writeFile(dir, 'not a directory');
    recorder({ mode: 'replay', dir });
    const message = await new OpenAI({ apiKey: 'sk-test', maxRetries: 0 }).models.list().catch((error: Error) => error.message);
    expect(message).toContain(`${dir} is a file, not a directory`);
  });

  it('when recording, the write fails naming the path and that it is a file', async () => {
    const dir = path.join(await tempDir(), 'recordings');
    await writeFile(dir, 'not a directory');
    const recording = await earth();
    await expect(createStore(path.join(dir, 'sub'), 'request').write('k'.repeat(64), recording)).rejects.toThrow(
      `cannot write recordings to ${path.join(dir, 'sub')}: ${dir} is a file, not a directory`,
    );
  });
});

describe('a directory symlink loop under the recordings directory', () => {
  it('is walked once: the miss is fast and its message names each file once', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    for (const name of ['a/one.json', 'a/b/two.json']) await writeFile(path.join(dir, name), '{"not": "a recording"}');
    // Each link leads back up: a naive walk descends a/b/up/b/up/... until the OS gives up.
    await symlink('..', path.join(dir, 'a', 'b', 'up'), 'dir');
    await symlink(dir, path.join(dir, 'a', 'root'), 'dir');

    const started = performance.now();
    const message = await replayError(dir, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(message).toContain('no recording for POST /v1/chat/completions');
    expect(message.match(/one\.json is not a valid recording/g)).toHaveLength(1);
    expect(message.match(/two\.json is not a valid recording/g)).toHaveLength(1);
    expect(message.length).toBeLessThan(3_000);
  });

  it('lists at most a bounded number of invalid files in a miss', async () => {
    const dir = await tempDir();
    await Promise.all(Array.from({ length: 40 }, (_, i) => writeFile(path.join(dir, `bad-${i}.json`), '[]')));
    const message = await replayError(dir, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(message.match(/is not a valid recording/g)).toHaveLength(10);
    expect(message).toContain('... and 30 more files that are not valid recordings');
  });
});

describe('an upstream that refuses the connection, in record mode', () => {
  it('prints the real cause, naming the request', async () => {
    const closed = await loopbackServer(() => {});
    await closed.close();
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
    recorder({ mode: 'record', dir: await tempDir() });
    const sdk = new OpenAI({ apiKey: 'sk-test', baseURL: `${closed.origin}/v1`, defaultQuery: { code: 'azure-function-key-123456' }, maxRetries: 0 });
    await expect(sdk.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(/Connection error/);
    expect(errors.join('\n')).toContain(`ECONNREFUSED 127.0.0.1:${closed.port}`);
    expect(errors.join('\n')).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
    expect(errors.join('\n')).not.toContain('azure-function-key-123456');
  });
});
