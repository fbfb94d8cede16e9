import { HttpResponse } from 'msw';
import { objectOf, type Api, type Description } from './api.js';
import { sse } from '../wire/sse.js';

/**
 * Cohere's v2 API: chat (streamed as SSE whose events are named by their `type`), embed and
 * rerank. Recognised under any prefix, as a gateway serves it (`/cohere/v2/chat`); the canonical
 * endpoint is the `/v2/...` path the SDKs call. v1 and the OpenAI-compatible `/compatibility/v1`
 * are not this module's: at Cohere's hosts the first is recorded generically, the second is OpenAI's.
 */
const CHAT = '/v2/chat';
const EMBED = '/v2/embed';
const RERANK = '/v2/rerank';
const ENDPOINTS = [CHAT, EMBED, RERANK];

/** The event that ends every complete chat stream; Cohere sends no terminator line after it. */
const MESSAGE_END = 'message-end';

/**
 * `__type__` names: the Python SDK's (cohere 5) classes for what ClientV2 returns, as llama-stack
 * names objects after the Python SDK that made them.
 */
const TYPES = {
  chat: 'cohere.v2.types.v2chat_response.V2ChatResponse',
  chatEvent: 'cohere.v2.types.v2chat_stream_response.V2ChatStreamResponse',
  embed: 'cohere.types.embed_by_type_response.EmbedByTypeResponse',
  rerank: 'cohere.v2.types.v2rerank_response.V2RerankResponse',
};

type Json = Record<string, unknown>;

export const cohere: Api = {
  name: 'cohere',
  credentials: 'CO_API_KEY',
  hosts: [/^api\.cohere\.(com|ai)$/],
  endpoint: (path) => ENDPOINTS.find((endpoint) => path.endsWith(endpoint)),
  method: () => 'POST',
  framings: [sse],
  stream: () => ({ ends: ({ event, data }) => (event ?? objectOf(data)?.type) === MESSAGE_END, expected: MESSAGE_END }),
  typeName(endpoint, streaming) {
    if (endpoint === EMBED) return TYPES.embed;
    if (endpoint === RERANK) return TYPES.rerank;
    return streaming ? TYPES.chatEvent : TYPES.chat;
  },
  /**
   * The generation id of every answer (top-level `id` of a chat response, of message-start and
   * message-end, of an embed or rerank response): a client never sends it back. Tool call ids
   * (`message.tool_calls[].id`, and the citations' sources that name them) are sent back with the
   * tool results, so they stay.
   */
  normalize: (data, _endpoint, id) => ('id' in data ? { ...data, id } : data),
  error(status, code, message) {
    // Cohere's own error shape. 404 and 422 are retried by neither cohere-ai (408, 429, 5xx) nor the AI SDK (408, 409, 429, 5xx).
    return HttpResponse.json({ message }, { status, headers: { 'x-ai-vcr': code } });
  },
  /** The whole answer, as Cohere sends it (`{id, message}`), with its request id made deterministic like an answer's. */
  errorBody: (answer, id) => ({ body: 'id' in answer ? { ...answer, id } : answer, wrapped: false }),
  /** A llama-stack first-format file does not store event names: Cohere names each by its `type`, and ends with no terminator. */
  legacyStream: () => ({ names: 'type', terminator: undefined }),
  describe(endpoint, body, objects, streamed) {
    const request = (body ?? {}) as Json;
    if (endpoint === EMBED) return embedding(request, objects[0] ?? {});
    if (endpoint === RERANK) return reranking(request, objects[0] ?? {});
    return streamed ? chatStream(request, objects) : chat(request, objects[0] ?? {});
  },
};

function empty(messages: Description['messages'], tools: string[] = []): Description {
  return { messages, tools, text: '', reasoning: '', calls: [] };
}

/** A message's content: a string, or a list of parts of which the text ones are read. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: Json) => (typeof part?.text === 'string' ? part.text : typeof part?.type === 'string' ? `[${part.type}]` : ''))
    .join('');
}

function chatRequest(request: Json): Description {
  const messages = Array.isArray(request.messages) ? (request.messages as Json[]) : [];
  const tools = Array.isArray(request.tools) ? (request.tools as { function?: { name?: unknown } }[]).map((tool) => String(tool.function?.name)) : [];
  return empty(
    messages.map((message) => ({ role: String(message.role), text: textOf(message.content) || (Array.isArray(message.tool_calls) ? `[${message.tool_calls.length} tool calls]` : '') })),
    tools,
  );
}

function usageOf(usage: unknown): Description['usage'] {
  const counts = ((usage as Json | undefined)?.tokens ?? (usage as Json | undefined)?.billed_units) as { input_tokens?: number; output_tokens?: number } | undefined;
  return counts ? { input_tokens: counts.input_tokens, output_tokens: counts.output_tokens } : undefined;
}

function chat(request: Json, answer: Json): Description {
  const described = chatRequest(request);
  const message = (answer.message ?? {}) as { content?: Json[]; tool_plan?: string; tool_calls?: { function?: { name?: string; arguments?: string } }[] };
  const content = message.content ?? [];
  described.text = content.filter((part) => part.type === 'text').map((part) => String(part.text)).join('');
  described.reasoning = [message.tool_plan ?? '', ...content.filter((part) => part.type === 'thinking').map((part) => String(part.thinking))].join('');
  described.calls = (message.tool_calls ?? []).map((call) => ({ name: String(call.function?.name), arguments: call.function?.arguments ?? '' }));
  if (typeof answer.finish_reason === 'string') described.finish = answer.finish_reason;
  described.usage = usageOf(answer.usage);
  return described;
}

/** The answer put together from its events, as a client's stream reader does. */
function chatStream(request: Json, events: readonly Json[]): Description {
  const described = chatRequest(request);
  let thinking = false;
  for (const event of events) {
    const message = ((event.delta as Json | undefined)?.message ?? {}) as Json;
    const content = (message.content ?? {}) as Json;
    const call = (message.tool_calls ?? {}) as { function?: { name?: string; arguments?: string } };
    switch (event.type) {
      case 'content-start':
        thinking = content.type === 'thinking';
        break;
      case 'content-delta':
        if (thinking) described.reasoning += String(content.thinking ?? '');
        else described.text += String(content.text ?? '');
        break;
      case 'tool-plan-delta':
        described.reasoning += String(message.tool_plan ?? '');
        break;
      case 'tool-call-start':
        described.calls.push({ name: String(call.function?.name), arguments: call.function?.arguments ?? '' });
        break;
      case 'tool-call-delta':
        if (described.calls.length > 0) described.calls.at(-1)!.arguments += call.function?.arguments ?? '';
        break;
      case MESSAGE_END: {
        const delta = (event.delta ?? {}) as Json;
        if (typeof delta.finish_reason === 'string') described.finish = delta.finish_reason;
        described.usage = usageOf(delta.usage);
        break;
      }
    }
  }
  return described;
}

function embedding(request: Json, answer: Json): Description {
  const inputs = Array.isArray(request.texts) ? request.texts : Array.isArray(request.inputs) ? request.inputs : [];
  const described = empty(inputs.map((input: unknown) => ({ role: 'input', text: typeof input === 'string' ? input : textOf((input as Json)?.content) })));
  const embeddings = (answer.embeddings ?? {}) as Record<string, unknown[]>;
  described.text = Object.entries(embeddings)
    .map(([kind, vectors]) => `${vectors.length} ${kind} embeddings of ${(vectors[0] as unknown[] | undefined)?.length ?? 0} dimensions`)
    .join(', ');
  return described;
}

function reranking(request: Json, answer: Json): Description {
  const documents = Array.isArray(request.documents) ? request.documents : [];
  const described = empty([
    { role: 'query', text: String(request.query ?? '') },
    ...documents.map((document: unknown) => ({ role: 'document', text: typeof document === 'string' ? document : JSON.stringify(document) })),
  ]);
  const results = Array.isArray(answer.results) ? (answer.results as { index?: number; relevance_score?: number }[]) : [];
  described.text = results.map(({ index, relevance_score }) => `document ${index}: ${relevance_score}`).join(', ');
  return described;
}
