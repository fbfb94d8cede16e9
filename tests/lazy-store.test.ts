import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, expect, it, vi } from 'vitest';
import { setupRecorder } from '../src/index.js';
import { tempDir } from './support/fixtures.js';

// Count the files the library opens.
const opened = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = (file: string, ...rest: unknown[]) => {
    opened.push(String(file));
    return (fs.readFile as (...args: unknown[]) => unknown)(file, ...rest);
  };
  return { ...fs, default: { ...fs, readFile }, readFile };
});

const vcr: { close(): Promise<void> }[] = [];
afterEach(() => Promise.all(vcr.splice(0).map((recorder) => recorder.close())));

it('reads no recording at setup, and exactly one file for a hit on a key-named recording', async () => {
  const dir = await tempDir({ fixtures: true });
  const body: OpenAI.ChatCompletionCreateParamsNonStreaming = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
  vcr.push(setupRecorder({ dir }));
  expect(opened).toEqual([]);
  // After setup: openai v5+ captures fetch when constructed.
  const client = new OpenAI({ apiKey: 'sk-test', maxRetries: 0 });

  // Learn this request's key from a miss, then store a recording under it.
  const miss = await client.chat.completions.create(body).catch((error: Error) => error.message);
  const key = /key: +([0-9a-f]{64})/.exec(String(miss))![1]!;
  const completion = JSON.parse(await readFile(path.join(dir, 'samples', '06931312f62d0b59939d9a2d8cf674611bde5725285ce77ffaae46af1dba9065.json'), 'utf8'));
  completion.request.body = body;
  await writeFile(path.join(dir, `${key}.json`), JSON.stringify(completion));
  await Promise.all(vcr.splice(0).map((recorder) => recorder.close()));

  opened.length = 0;
  vcr.push(setupRecorder({ dir }));
  expect(opened).toEqual([]);
  const answer = await new OpenAI({ apiKey: 'sk-test', maxRetries: 0 }).chat.completions.create(body);
  expect(answer.choices[0]?.message.content).toBe('11');
  expect(opened.filter((file) => file.startsWith(dir))).toEqual([path.join(dir, `${key}.json`)]);
});
