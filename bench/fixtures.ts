import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestKey } from '../src/key.ts';

export const CHUNKS = 30;
const MODEL = 'gpt-4o-mini-2024-07-18';
const CHUNK_TYPE = 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk';
const COMPLETION_TYPE = 'openai.types.chat.chat_completion.ChatCompletion';

export interface ChatBody {
  model: string;
  messages: { role: 'user'; content: string }[];
  stream?: boolean | null;
}

export function chatBody(question: string, stream: boolean): ChatBody {
  const body: ChatBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] };
  if (stream) body.stream = true;
  return body;
}

function words(seed: number): string[] {
  return Array.from({ length: CHUNKS - 2 }, (_, i) => `${i === 0 ? '' : ' '}word${(seed * 31 + i) % 997}`);
}

/** 30 chunks shaped like OpenAI's: a role chunk, 28 content deltas, a finish chunk. */
export function streamedAnswer(seed: number): object[] {
  const base = { id: `chatcmpl-bench${seed}`, object: 'chat.completion.chunk', created: 1_700_000_000, model: MODEL, service_tier: 'default', system_fingerprint: 'fp_bench' };
  const chunk = (delta: object, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
  });
  return [
    chunk({ role: 'assistant', content: '', refusal: null }, null),
    ...words(seed).map((content) => chunk({ content }, null)),
    chunk({}, 'stop'),
  ];
}

export function completionAnswer(seed: number): object {
  return {
    id: `chatcmpl-bench${seed}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: words(seed).join(''), refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: CHUNKS - 2, total_tokens: 40 },
    service_tier: 'default',
    system_fingerprint: 'fp_bench',
  };
}

export function sseEvents(chunks: object[]): string[] {
  return [...chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), 'data: [DONE]\n\n'];
}

/** The key ai-vcr files a recording under, so that the replay rows measure hits. */
export function recordingKey(body: ChatBody): string {
  return requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body });
}

/**
 * How a recording file is named: `ours` is `<key>.json`, which ai-vcr opens by name; `llama-stack` is a
 * hash ai-vcr cannot compute from a request (llama-stack hashes its own canonical form), so only the index finds it.
 */
export type Naming = 'ours' | 'llama-stack';

function fileName(body: ChatBody, naming: Naming): string {
  if (naming === 'ours') return recordingKey(body);
  return createHash('sha256').update(`llama-stack ${JSON.stringify(body)}`).digest('hex');
}

/** Writes a recording in the llama-stack format that ai-vcr replays. */
export function writeRecording(dir: string, body: ChatBody, seed: number, naming: Naming = 'ours'): void {
  const response = body.stream
    ? { body: streamedAnswer(seed).map((data) => ({ __type__: CHUNK_TYPE, __data__: data })), is_streaming: true }
    : { body: { __type__: COMPLETION_TYPE, __data__: completionAnswer(seed) }, is_streaming: false };
  const recording = {
    test_id: null,
    request: { method: 'POST', url: 'https://api.openai.com/v1/chat/completions', headers: {}, body, endpoint: '/v1/chat/completions', model: body.model },
    response,
    id_normalization_mapping: {},
  };
  writeFileSync(join(dir, `${fileName(body, naming)}.json`), JSON.stringify(recording, null, 2));
}
