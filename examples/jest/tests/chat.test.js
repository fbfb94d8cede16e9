import { describe, expect, test } from '@jest/globals';
import process from 'node:process';
import OpenAI from 'openai';

// Replay needs no key; recording (AI_VCR_MODE=record-if-missing) uses the real one.
const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY ?? 'sk-replay' });

describe('chat', () => {
  test('streams an answer', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Which planet do humans live on?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Humans live on Earth.');
  });

  test('stops at a stop sequence', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Count: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10' }],
      max_tokens: 128,
      stop: [','],
      stream: false,
    });
    expect(completion.choices[0]?.message.content).toBe('11');
  });
});
