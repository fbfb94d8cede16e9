import { objectOf, type Api, type Description, type StreamEnd } from './api.js';
import { describeGenerated, generateContentEnd, googleError, MODEL_OPERATIONS, modelInPath, modelTypeName, normalizeGenerated } from './gemini.js';
import { sse } from '../wire/sse.js';

/**
 * Vertex AI's publisher models: Google's (the Gemini format) and Anthropic's (Claude on Vertex,
 * whose `:rawPredict` and `:streamRawPredict` carry Anthropic Messages bodies and streams). The
 * canonical endpoint keeps the publisher, the model and the operation, and drops the project and
 * location, which vary with the caller (express mode, with an API key, sends neither), and the
 * version, which varies with the client (@google/genai calls v1beta1, the AI SDK v1 or v1beta1):
 * it always reads `/v1/...`, Vertex AI's stable version.
 */
const ANTHROPIC_OPERATIONS = ['rawPredict', 'streamRawPredict'] as const;
const PUBLISHER_CALL = new RegExp(
  `/v\\d+(?:alpha|beta)?\\d*/(?:projects/[^/]+/locations/[^/]+/)?publishers/(?:(google)/models/([^/:]+):(${MODEL_OPERATIONS.join('|')})|(anthropic)/models/([^/:]+):(${ANTHROPIC_OPERATIONS.join('|')}))$`,
);

const isClaude = (endpoint: string) => endpoint.includes('/publishers/anthropic/');

/** How an Anthropic Messages stream ends; an error event is the whole answer too, as Anthropic's SDK reads it. */
const messagesEnd: StreamEnd = {
  ends: ({ event, data }) => ['message_stop', 'error'].includes(event ?? String(objectOf(data)?.type)),
  expected: 'message_stop',
};

export const vertex: Api = {
  name: 'vertex',
  credentials: 'Google Cloud credentials, e.g. GOOGLE_APPLICATION_CREDENTIALS',
  hosts: [/^aiplatform\.googleapis\.com$/, /^[a-z0-9-]+-aiplatform\.googleapis\.com$/],
  endpoint(path) {
    const call = PUBLISHER_CALL.exec(path);
    if (!call) return undefined;
    const [, google, googleModel, googleOperation, anthropic, claude, claudeOperation] = call;
    return google ? `/v1/publishers/${google}/models/${googleModel}:${googleOperation}` : `/v1/publishers/${anthropic}/models/${claude}:${claudeOperation}`;
  },
  model: modelInPath,
  method: () => 'POST',
  framings: [sse],
  stream: (endpoint) => (isClaude(endpoint) ? messagesEnd : generateContentEnd),
  typeName(endpoint, streaming) {
    if (!isClaude(endpoint)) return modelTypeName(endpoint);
    // Token counting is the `count-tokens` model's rawPredict.
    if (endpoint.includes('/models/count-tokens:')) return 'anthropic.types.MessageTokensCount';
    return streaming ? 'anthropic.types.RawMessageStreamEvent' : 'anthropic.types.Message';
  },
  normalize: (data, endpoint, id) => (isClaude(endpoint) ? normalizeMessage(data, id) : normalizeGenerated(data, id)),
  error: googleError,
  describe(endpoint, body, objects) {
    return isClaude(endpoint) ? describeMessage(body, objects) : describeGenerated(body, objects);
  },
};

/** The message's own id (`msg_vrtx_…`), in a whole message or a stream's message_start; tool_use ids are sent back, so they stay. */
function normalizeMessage(data: Record<string, unknown>, id: string): Record<string, unknown> {
  if (data.type === 'message' && typeof data.id === 'string') return { ...data, id };
  const message = data.message as Record<string, unknown> | undefined;
  if (data.type === 'message_start' && typeof message?.id === 'string') return { ...data, message: { ...message, id } };
  return data;
}

interface Block {
  type?: string;
  text?: string;
  thinking?: string;
  name?: string;
  input?: unknown;
}

function blocksText(content: unknown): string {
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? (content as Block[]).map((block) => block.text ?? '').join('') : '';
}

/** A Claude call: its messages, and the message answered, put together from a stream's deltas when streamed. */
function describeMessage(body: unknown, objects: readonly Record<string, unknown>[]): Description {
  const request = (body ?? {}) as { system?: unknown; messages?: { role?: string; content?: unknown }[]; tools?: { name?: string }[] };
  const messages = (request.messages ?? []).map((message) => ({ role: message.role ?? 'user', text: blocksText(message.content) }));
  if (request.system) messages.unshift({ role: 'system', text: blocksText(request.system) });
  const description: Description = { messages, tools: (request.tools ?? []).map((tool) => String(tool.name)), text: '', reasoning: '', calls: [] };
  for (const object of objects) {
    const message = (object.type === 'message' ? object : object.type === 'message_start' ? object.message : undefined) as { content?: Block[]; stop_reason?: string; usage?: Record<string, number> } | undefined;
    for (const block of message?.content ?? []) addBlock(description, block);
    if (object.type === 'content_block_start') addBlock(description, object.content_block as Block);
    const delta = object.delta as { type?: string; text?: string; thinking?: string; partial_json?: string; stop_reason?: string } | undefined;
    if (delta?.type === 'text_delta') description.text += delta.text ?? '';
    if (delta?.type === 'thinking_delta') description.reasoning += delta.thinking ?? '';
    const call = description.calls.at(-1);
    if (delta?.type === 'input_json_delta' && call) call.arguments += delta.partial_json ?? '';
    const stop = message?.stop_reason ?? delta?.stop_reason;
    if (stop) description.finish = stop;
    const usage = (message?.usage ?? object.usage) as Record<string, number> | undefined;
    if (usage) description.usage = { input_tokens: usage.input_tokens ?? description.usage?.input_tokens, output_tokens: usage.output_tokens };
  }
  for (const call of description.calls) call.arguments ||= '{}';
  return description;
}

/** A streamed tool_use block starts with an empty input; its arguments follow as input_json_delta. */
function addBlock(description: Description, block: Block): void {
  if (block.type === 'text') description.text += block.text ?? '';
  if (block.type === 'thinking') description.reasoning += block.thinking ?? '';
  if (block.type === 'tool_use') {
    const input = block.input && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
    description.calls.push({ name: String(block.name), arguments: input });
  }
}
