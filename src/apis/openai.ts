import { HttpResponse } from 'msw';
import { objectOf, type Api } from './api.js';
import { DONE, sse } from '../wire/sse.js';

/**
 * OpenAI's API and every OpenAI-compatible one (Azure, Groq `/openai/v1`, OpenRouter `/api/v1`,
 * Ollama's `/v1`, Mistral, DeepSeek, xAI, Together, ...). Base URLs differ, so the path's suffix
 * identifies the operation; the canonical endpoint is `/v1/<suffix>`, which is also what
 * llama-stack stores.
 */
const SUFFIXES = [
  { suffix: '/chat/completions', method: 'POST' },
  { suffix: '/completions', method: 'POST' },
  { suffix: '/embeddings', method: 'POST' },
  { suffix: '/responses', method: 'POST' },
  { suffix: '/models', method: 'GET' },
] as const;

const MODELS = '/v1/models';
const RESPONSES = '/v1/responses';
const RESPONSES_TYPE_PREFIX = 'openai.types.responses.';
/** How a Responses API stream ends; the other streams end with [DONE]. */
const RESPONSES_ENDS = ['response.completed', 'response.failed', 'response.incomplete'];

export const openai: Api = {
  name: 'openai',
  credentials: 'OPENAI_API_KEY',
  hosts: [
    /^api\.openai\.com$/,
    /\.openai\.azure\.com$/,
    /\.cognitiveservices\.azure\.com$/,
    /^api\.mistral\.ai$/,
    /^api\.groq\.com$/,
    /^openrouter\.ai$/,
    /^api\.deepseek\.com$/,
    /^api\.x\.ai$/,
    /^api\.together\.(xyz|ai)$/,
    /^api\.fireworks\.ai$/,
    /^api\.perplexity\.ai$/,
    /^api\.cerebras\.ai$/,
  ],
  endpoint(path) {
    for (const { suffix } of SUFFIXES) if (path.endsWith(suffix)) return `/v1${suffix}`;
    return undefined;
  },
  method: (endpoint) => SUFFIXES.find(({ suffix }) => endpoint === `/v1${suffix}`)?.method ?? 'POST',
  framings: [sse],
  stream(endpoint) {
    if (endpoint === RESPONSES) {
      return { ends: ({ event, data }) => RESPONSES_ENDS.includes(event ?? String(objectOf(data)?.type)), expected: 'response.completed, response.failed or response.incomplete' };
    }
    // A stream an OpenAI-compatible server ends with an error event is its whole answer too.
    return { ends: ({ event, data }) => data === DONE || event === 'error', expected: DONE };
  },
  typeName(endpoint, streaming) {
    switch (endpoint) {
      case '/v1/chat/completions':
        return streaming ? 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk' : 'openai.types.chat.chat_completion.ChatCompletion';
      case '/v1/completions':
        return 'openai.types.completion.Completion';
      case '/v1/embeddings':
        return 'openai.types.create_embedding_response.CreateEmbeddingResponse';
      case MODELS:
        return MODEL_TYPE;
      default:
        return streaming ? 'openai.types.responses.response_stream_event.ResponseStreamEvent' : 'openai.types.responses.response.Response';
    }
  },
  /**
   * As llama-stack does: the top-level `id` and `created`, except for models, whose id is their
   * name, and Responses API objects, whose ids clients send back (previous_response_id).
   */
  normalize(data, endpoint, id) {
    if (data.object === 'model' || endpoint === RESPONSES) return data;
    const normalized = { ...data };
    if ('id' in normalized) normalized.id = id;
    if ('created' in normalized) normalized.created = 0;
    return normalized;
  },
  error(status, code, message) {
    // 4xx statuses no OpenAI-compatible SDK retries, and x-should-retry for those that would.
    return HttpResponse.json({ error: { message, type: 'ai_vcr_error', code, param: null } }, { status, headers: { 'x-ai-vcr': code, 'x-should-retry': 'false' } });
  },
  /** The inner error of `{"error": ...}`, as the Python SDK and so llama-stack hold it; a proxy's `{"detail": ...}` whole. */
  errorBody: (answer) => ('error' in answer ? { body: answer.error, wrapped: true } : { body: answer, wrapped: false }),
  legacyStream: (types) =>
    types.some((type) => type.startsWith(RESPONSES_TYPE_PREFIX)) ? { names: 'type', terminator: undefined } : { names: 'none', terminator: DONE },
  list: {
    endpoint: MODELS,
    respond: (data) => HttpResponse.json({ object: 'list', data }, { headers: { 'x-ai-vcr': 'replay' } }),
  },
};

const MODEL_TYPE = 'openai.types.model.Model';
