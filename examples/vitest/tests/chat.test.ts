import OpenAI from 'openai';
import { describe, expect, test } from 'vitest';

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

  test('calls a tool', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Show me marketing and sales documents' }],
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: 'function',
          function: {
            name: 'knowledge_search',
            description: 'Search for information in a database.',
            parameters: {
              type: 'object',
              properties: {
                query: { type: 'string', description: 'The query to search for. Can be a natural language sentence or keywords.' },
              },
              required: ['query'],
            },
          },
        },
      ],
    });
    // Each call's name and arguments arrive in pieces, by the call's index.
    const calls: { name: string; arguments: string }[] = [];
    for await (const chunk of stream) {
      for (const { index, function: part } of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[index] ??= { name: '', arguments: '' };
        calls[index]!.name += part?.name ?? '';
        calls[index]!.arguments += part?.arguments ?? '';
      }
    }
    expect(calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([
      ['knowledge_search', { query: 'marketing documents' }],
      ['knowledge_search', { query: 'sales documents' }],
    ]);
  });

  test('stops reading a stream early', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Which planet has rings around it with a name starting with letter S?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      // Enough to know the answer; ai-vcr still records the whole stream.
      if (text.includes('Saturn')) break;
    }
    expect(text).toContain('Saturn');
  });
});
