/**
 * A separate process that writes one key's recording over and over, as a parallel test
 * worker recording the same request would. Usage: writer.ts <dir> <writer id> <times>.
 */
import { createStore } from '../../src/store.js';

const [dir, writer, times] = process.argv.slice(2) as [string, string, string];
const store = createStore(dir, 'request');
// Large enough that one write takes many write(2) calls, so a torn file would be caught.
const chunks = Array.from({ length: 400 }, (_, index) => ({
  __type__: 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk',
  __data__: { id: 'rec-000000000000', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: `writer ${writer} chunk ${index} ${'x'.repeat(200)}` } }] },
}));
const recording = {
  test_id: null,
  request: { method: 'POST', url: 'http://127.0.0.1/v1/chat/completions', headers: {}, body: { model: 'm' }, endpoint: '/v1/chat/completions', model: 'm' },
  response: { body: chunks, is_streaming: true },
  id_normalization_mapping: {},
};
for (let i = 0; i < Number(times); i++) {
  chunks[0]!.__data__.choices[0]!.delta.content = `writer ${writer} round ${i}`;
  await store.write('k'.repeat(64), recording);
}
