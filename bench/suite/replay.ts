import OpenAI from 'openai';
import { expect, test } from 'vitest';
import { CHUNKS, chatBody, completionAnswer } from '../fixtures.ts';

/**
 * The one test of every generated test file: the streamed replay run.ts measures, checked against the
 * recorded answer. bench/suite.ts passes the upstream's address in BENCH_BASE_URL.
 */
export function replayTest(): void {
  test('replays one streamed answer', async () => {
    const client = new OpenAI({ apiKey: 'sk-bench', baseURL: process.env.BENCH_BASE_URL, maxRetries: 0 });
    const stream = await client.chat.completions.create({ ...chatBody('Benchmark question, streamed', true), stream: true });
    let chunks = 0;
    let text = '';
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks).toBe(CHUNKS);
    expect(text).toBe((completionAnswer(0) as OpenAI.ChatCompletion).choices[0]!.message.content);
  });
}
