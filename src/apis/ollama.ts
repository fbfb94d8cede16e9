import { HttpResponse } from 'msw';
import { objectOf, type Api, type Description } from './api.js';
import { ndjson } from '../wire/ndjson.js';

/**
 * Ollama's native API (`/api/...`; its OpenAI-compatible `/v1` is OpenAI's module). Any prefix is
 * kept out of the key, so a proxy in front of Ollama answers from the same recordings.
 */
const ENDPOINTS = {
  '/api/chat': { method: 'POST', type: 'ChatResponse' },
  '/api/generate': { method: 'POST', type: 'GenerateResponse' },
  '/api/embed': { method: 'POST', type: 'EmbedResponse' },
  '/api/embeddings': { method: 'POST', type: 'EmbeddingsResponse' },
  '/api/show': { method: 'POST', type: 'ShowResponse' },
  '/api/tags': { method: 'GET', type: 'ListResponse' },
  '/api/ps': { method: 'GET', type: 'ProcessResponse' },
} as const;

type Endpoint = keyof typeof ENDPOINTS;

/** Times of an answer that differ on every call and that no client sends back. */
const DURATIONS = ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'];

export const ollama: Api = {
  name: 'ollama',
  credentials: 'OLLAMA_API_KEY for ollama.com; none for a local server',
  hosts: [/^ollama\.com$/],
  endpoint(path) {
    const at = path.lastIndexOf('/api/');
    const endpoint = at >= 0 ? path.slice(at) : undefined;
    return endpoint && endpoint in ENDPOINTS ? endpoint : undefined;
  },
  method: (endpoint) => ENDPOINTS[endpoint as Endpoint]?.method ?? 'POST',
  framings: [ndjson],
  // A stream's last line says `"done": true`; an `{"error": ...}` line is a failure the client throws.
  stream: () => ({ ends: ({ data }) => objectOf(data)?.done === true, expected: 'a line with "done": true' }),
  // As the Python client (and so llama-stack) names its classes.
  typeName: (endpoint) => `ollama._types.${ENDPOINTS[endpoint as Endpoint]?.type ?? 'Response'}`,
  normalize(data) {
    if (!('created_at' in data) && !DURATIONS.some((name) => name in data)) return data;
    const normalized = { ...data };
    if ('created_at' in normalized) normalized.created_at = '1970-01-01T00:00:00Z';
    for (const name of DURATIONS) if (name in normalized) normalized[name] = 0;
    return normalized;
  },
  // The ollama client throws a ResponseError with the answer's `error`, and does not retry.
  error: (status, code, message) => HttpResponse.json({ error: message }, { status, headers: { 'x-ai-vcr': code } }),
  describe: (endpoint, body, objects) => describe(endpoint, (body ?? {}) as Record<string, unknown>, objects),
};

function describe(endpoint: string, body: Record<string, unknown>, objects: readonly Record<string, unknown>[]): Description {
  const described: Description = { messages: [], tools: [], text: '', reasoning: '', calls: [] };
  if (Array.isArray(body.messages)) {
    for (const message of body.messages as Record<string, unknown>[]) described.messages.push({ role: String(message.role ?? '?'), text: String(message.content ?? '') });
  }
  if (typeof body.prompt === 'string') described.messages.push({ role: 'prompt', text: body.prompt });
  if (Array.isArray(body.tools)) described.tools = (body.tools as { function?: { name?: string } }[]).map((tool) => String(tool.function?.name ?? '?'));
  for (const object of objects) {
    const message = (object.message ?? {}) as Record<string, unknown>;
    described.text += String(message.content ?? object.response ?? '');
    described.reasoning += String(message.thinking ?? object.thinking ?? '');
    for (const call of (message.tool_calls ?? []) as { function?: { name?: string; arguments?: unknown } }[]) {
      described.calls.push({ name: String(call.function?.name ?? '?'), arguments: JSON.stringify(call.function?.arguments ?? {}) });
    }
    if (typeof object.done_reason === 'string') described.finish = object.done_reason;
    if (typeof object.prompt_eval_count === 'number' || typeof object.eval_count === 'number') {
      described.usage = { input_tokens: object.prompt_eval_count as number, output_tokens: object.eval_count as number };
    }
  }
  if (endpoint === '/api/tags' || endpoint === '/api/ps') {
    described.text = `${((objects[0]?.models ?? []) as { name?: string }[]).map((model) => model.name).join(', ') || 'no models'}`;
  }
  return described;
}
