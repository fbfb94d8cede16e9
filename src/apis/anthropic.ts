import { HttpResponse } from 'msw';
import { objectOf, type Api, type Description } from './api.js';
import { sse } from '../wire/sse.js';

/**
 * Anthropic's Messages API, at api.anthropic.com and at any proxy or gateway that serves it
 * (Ollama and llama-stack serve `/v1/messages` too). Every client appends `/v1/messages` to its
 * base URL, so that suffix identifies the operation whatever prefix comes before it.
 */
const MESSAGES = '/v1/messages';
const COUNT_TOKENS = '/v1/messages/count_tokens';
/**
 * Anthropic's model list. Its path is OpenAI's too, so the canonical endpoint carries a fragment
 * (which no HTTP request can): without it both lists would have one key and one file, and
 * OpenAI's list would merge Anthropic's models into its own answer.
 */
const MODELS = '/v1/models#anthropic';

/** Anthropic's own answers to errors, by status, so an app branching on `error.type` sees what it would live. */
const ERROR_TYPES = { 404: 'not_found_error', 422: 'invalid_request_error' } as const;

export const anthropic: Api = {
  name: 'anthropic',
  credentials: 'ANTHROPIC_API_KEY',
  hosts: [/^api\.anthropic\.com$/],
  endpoint(path, headers) {
    if (path === MODELS) return MODELS;
    if (path.endsWith(COUNT_TOKENS)) return COUNT_TOKENS;
    if (path.endsWith(MESSAGES)) return MESSAGES;
    // Anthropic's SDKs and the AI SDK always send anthropic-version; OpenAI's never do.
    if (path.endsWith('/v1/models') && headers?.has('anthropic-version')) return MODELS;
    return undefined;
  },
  method: (endpoint) => (endpoint === MODELS ? 'GET' : 'POST'),
  framings: [sse],
  stream: () => ({
    // Named events; a stream without names (a proxy that drops them) still carries the type in its data.
    ends: ({ event, data }) => (event ?? objectOf(data)?.type) === 'message_stop',
    // An `error` event (overloaded_error, api_error) is the server failing mid-answer, as a 529 or 500
    // would: the SDK throws it as an APIError, and like those statuses it is never recorded.
    expected: 'message_stop (a stream that ends with an error event is a server failure, which is never recorded)',
  }),
  typeName(endpoint, streaming) {
    switch (endpoint) {
      case COUNT_TOKENS:
        return 'anthropic.types.MessageTokensCount';
      case MODELS:
        return 'anthropic.types.ModelInfo';
      default:
        return streaming ? 'anthropic.types.RawMessageStreamEvent' : 'anthropic.types.Message';
    }
  },
  /**
   * The message id (`msg_…`), of a whole message and of a stream's message_start: no request
   * names it. Tool-use ids (`toolu_…`) and thinking signatures stay: the next request sends them back.
   */
  normalize(data, _endpoint, id) {
    if (data.type === 'message' && 'id' in data) return { ...data, id };
    const message = data.type === 'message_start' ? data.message : undefined;
    if (message && typeof message === 'object' && 'id' in message) return { ...data, message: { ...message, id } };
    return data;
  },
  error(status, code, message) {
    // 404 and 422 are statuses the Anthropic SDK does not retry (it retries 408, 409, 429 and 5xx),
    // and x-should-retry, which it obeys before the status, says so outright.
    return HttpResponse.json({ type: 'error', error: { type: ERROR_TYPES[status], message } }, { status, headers: { 'x-ai-vcr': code, 'x-should-retry': 'false' } });
  },
  // Recorded errors keep the whole answer (the engine's default): its `type: 'error'` wrapper is what the SDKs parse.
  legacyStream: () => ({ names: 'type', terminator: undefined }),
  list: {
    endpoint: MODELS,
    respond: (data) =>
      HttpResponse.json(
        // One page holding every recorded model, so a client that pages stops after it.
        { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null },
        { headers: { 'x-ai-vcr': 'replay' } },
      ),
  },
  describe(endpoint, body, objects, streamed) {
    const described: Description = { messages: [], tools: [], text: '', reasoning: '', calls: [] };
    if (endpoint === MODELS) {
      described.text = `${objects.length} models: ${objects.map((model) => String(model.id)).join(', ')}`;
      return described;
    }
    const request = (body ?? {}) as { system?: unknown; messages?: { role?: unknown; content?: unknown }[]; tools?: { name?: unknown }[] };
    if (request.system !== undefined) described.messages.push({ role: 'system', text: textOf(request.system) });
    for (const message of request.messages ?? []) described.messages.push({ role: String(message.role), text: textOf(message.content) });
    described.tools = (request.tools ?? []).map((tool) => String(tool.name));
    if (endpoint === COUNT_TOKENS) {
      described.text = `${String(objects[0]?.input_tokens)} input tokens`;
      return described;
    }
    const message = streamed ? assembled(objects) : objects[0];
    for (const block of blocksOf(message?.content)) {
      if (block.type === 'text') described.text += String(block.text ?? '');
      else if (block.type === 'thinking') described.reasoning += String(block.thinking ?? '');
      else if (block.type === 'tool_use') described.calls.push({ name: String(block.name), arguments: block.partial || JSON.stringify(block.input ?? {}) });
    }
    if (typeof message?.stop_reason === 'string') described.finish = message.stop_reason;
    const usage = message?.usage as { input_tokens?: number; output_tokens?: number } | undefined;
    if (usage) described.usage = { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens };
    return described;
  },
};

type Block = Record<string, unknown> & { partial?: string };

function blocksOf(content: unknown): Block[] {
  return Array.isArray(content) ? (content as Block[]) : [];
}

/** A stream's events put together into the message they make, as the SDK's stream helper does. */
function assembled(events: readonly Record<string, unknown>[]): Record<string, unknown> {
  const message: Record<string, unknown> = { content: [] };
  const blocks: Block[] = [];
  for (const event of events) {
    if (event.type === 'message_start') Object.assign(message, event.message);
    else if (event.type === 'content_block_start') blocks[Number(event.index)] = { ...(event.content_block as Block) };
    else if (event.type === 'content_block_delta') {
      const block = blocks[Number(event.index)];
      const delta = event.delta as Record<string, unknown>;
      if (!block) continue;
      if (delta.type === 'text_delta') block.text = String(block.text ?? '') + String(delta.text);
      else if (delta.type === 'thinking_delta') block.thinking = String(block.thinking ?? '') + String(delta.thinking);
      else if (delta.type === 'input_json_delta') block.partial = (block.partial ?? '') + String(delta.partial_json);
    } else if (event.type === 'message_delta') {
      Object.assign(message, event.delta);
      message.usage = { ...(message.usage as object), ...(event.usage as object) };
    }
  }
  message.content = blocks.filter(Boolean);
  return message;
}

/** A message's content as text: a string, or its text blocks. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return blocksOf(content)
    .map((block) => (block.type === 'text' ? String(block.text) : block.type === 'tool_result' ? `[tool result ${textOf(block.content)}]` : `[${String(block.type)}]`))
    .join(' ');
}
