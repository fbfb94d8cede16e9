/**
 * `npm run demo`: replays the bundled llama-stack recordings in fixtures/ through the real
 * openai SDK and prints each streamed answer as it arrives. No API key, no network.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { setupRecorder } from '../src/index.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures');
const vcr = setupRecorder({ mode: 'replay', dir: fixtures });
// Constructed after setupRecorder(): openai v5+ captures fetch when the client is built.
const client = new OpenAI({ apiKey: 'replay-needs-no-key' });

const seeds = path.join(fixtures, 'seeds');
for (const name of (await readdir(seeds)).sort()) {
  const body: OpenAI.ChatCompletionCreateParamsStreaming = JSON.parse(await readFile(path.join(seeds, name), 'utf8')).request.body;
  const question = body.messages.findLast((message) => message.role === 'user')?.content;
  process.stdout.write(`\n> ${String(question)}\n`);
  const stream = await client.chat.completions.create(body);
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta;
    if (delta?.content) process.stdout.write(delta.content);
    for (const call of delta?.tool_calls ?? []) {
      process.stdout.write(call.function?.name ? `[tool call ${call.function.name}] ` : (call.function?.arguments ?? ''));
    }
  }
  process.stdout.write('\n');
}
await vcr.close();
