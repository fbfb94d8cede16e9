import { HttpResponse } from 'msw';
import { objectOf, type Api, type Description, type StreamEnd } from './api.js';
import type { WireEvent } from '../wire/framing.js';
import { DONE, sse } from '../wire/sse.js';

/**
 * Google's Gemini API (AI Studio, generativelanguage.googleapis.com): `models/{m}:generateContent`
 * and its kin, and the Interactions API. The canonical endpoint keeps the model and the
 * operation, and always reads `/v1beta/...`, whatever version was called: clients differ in the
 * version they call for the same request (@google/genai 3 calls v1, 2 and the AI SDK v1beta,
 * llama-stack's files say v1beta), and an SDK upgrade must not make every recording a miss. A
 * prefix before the version (a proxy's, a gateway's) goes too. `request.url` keeps what was called.
 */

/** Model operations of the Gemini format, shared with Vertex AI's Google publisher. */
export const MODEL_OPERATIONS = ['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents'] as const;

/** `…/v1beta/models/gemini-2.5-flash:generateContent`; tuned models are addressed as `tunedModels/{m}`. */
const MODEL_CALL = new RegExp(`/(v\\d+(?:alpha|beta)?\\d*)/(models|tunedModels)/([^/:]+):(${MODEL_OPERATIONS.join('|')})$`);
const INTERACTIONS = /\/v\d+(?:alpha|beta)?\d*\/interactions$/;
/** The version every canonical endpoint reads (see above). */
const VERSION = '/v1beta';
/** Gemini's model list, whose path ends like OpenAI's: `v1beta` is Google's spelling only. */
const BETA_MODEL_LIST = /\/v\d+(?:alpha|beta)\d*\/models$/;
const V1_MODEL_LIST = /\/v\d+\/models$/;

export const GENERATE_TYPE = 'google.genai.types.GenerateContentResponse';
const INTERACTION_TYPE = 'google.genai.types.Interaction';
const INTERACTION_EVENT_TYPE = 'google.genai.types.InteractionSSEEvent';

/** How an Interactions stream ends: its final event (`interaction.complete`, newer `interaction.completed`), an error event, or `[DONE]`. */
const INTERACTION_ENDS = ['interaction.complete', 'interaction.completed', 'error'];

export const gemini: Api = {
  name: 'gemini',
  credentials: 'GEMINI_API_KEY',
  hosts: [/^generativelanguage\.googleapis\.com$/],
  endpoint(path, headers) {
    const call = MODEL_CALL.exec(path);
    if (call) return `${VERSION}/${call[2]}/${call[3]}:${call[4]}`;
    if (INTERACTIONS.test(path)) return `${VERSION}/interactions`;
    if (isModelList(path.split('?')[0]!, headers)) return null;
    return undefined;
  },
  model: modelInPath,
  method: () => 'POST',
  framings: [sse],
  stream: (endpoint) => (endpoint.endsWith('/interactions') ? interactionsEnd : generateContentEnd),
  typeName(endpoint, streaming) {
    if (endpoint.endsWith('/interactions')) return streaming ? INTERACTION_EVENT_TYPE : INTERACTION_TYPE;
    return modelTypeName(endpoint);
  },
  normalize: (data, endpoint, id) => (endpoint.endsWith('/interactions') ? data : normalizeGenerated(data, id)),
  error: googleError,
  describe(endpoint, body, objects) {
    return endpoint.endsWith('/interactions') ? describeInteraction(body, objects) : describeGenerated(body, objects);
  },
};

/** The `{m}` of `…/models/{m}:operation`: generateContent bodies do not name their model. */
export function modelInPath(endpoint: string): string | undefined {
  return /\/models\/([^/:]+):/.exec(endpoint)?.[1];
}

/**
 * Gemini's model list: `…/v1beta/models` by its path; `…/v1/models` only when the request is a
 * Google client's (OpenAI-compatible servers list their models there too). A stored `/v1/models`
 * stays OpenAI's: its headers are gone.
 */
function isModelList(path: string, headers: Headers | undefined): boolean {
  if (BETA_MODEL_LIST.test(path)) return true;
  return V1_MODEL_LIST.test(path) && headers !== undefined && (headers.has('x-goog-api-key') || headers.has('x-goog-api-client'));
}

/** The `__type__` of a Gemini-format model operation's answer, by the operation ending the endpoint. */
export function modelTypeName(endpoint: string): string {
  if (endpoint.endsWith(':countTokens')) return 'google.genai.types.CountTokensResponse';
  if (endpoint.endsWith(':embedContent') || endpoint.endsWith(':batchEmbedContents')) return 'google.genai.types.EmbedContentResponse';
  return GENERATE_TYPE;
}

/**
 * `responseId` is made per answer and never sent back; Vertex's `createTime` likewise. Thought
 * signatures and function-call ids are sent back in the next request's history, so they stay.
 */
export function normalizeGenerated(data: Record<string, unknown>, id: string): Record<string, unknown> {
  const normalized = { ...data };
  if (typeof normalized.responseId === 'string') normalized.responseId = id;
  if (typeof normalized.createTime === 'string') normalized.createTime = '1970-01-01T00:00:00Z';
  return normalized;
}

/**
 * A streamed generateContent answer has no terminator line: the API's last chunk carries each
 * candidate's `finishReason` (with the final usageMetadata), or, for a blocked prompt, the
 * `promptFeedback.blockReason` and no candidates.
 */
export const generateContentEnd: StreamEnd = {
  ends: ({ data }) => {
    const chunk = objectOf(data);
    const candidates = Array.isArray(chunk?.candidates) ? (chunk.candidates as { finishReason?: unknown }[]) : [];
    return candidates.some((candidate) => typeof candidate?.finishReason === 'string') || typeof (chunk?.promptFeedback as { blockReason?: unknown } | undefined)?.blockReason === 'string';
  },
  expected: 'a chunk with a candidate finishReason',
};

const interactionsEnd: StreamEnd = {
  ends: ({ event, data }: WireEvent) => data === DONE || INTERACTION_ENDS.includes(event ?? String(objectOf(data)?.event_type)),
  expected: `interaction.complete, interaction.completed, error or ${DONE}`,
};

/** Google's canonical error status names, for the statuses ai-vcr answers with. */
const STATUS_NAMES: Record<number, string> = { 400: 'FAILED_PRECONDITION', 404: 'NOT_FOUND' };

/**
 * Google's error shape, `{error: {code, message, status}}`. A broken recording or a failed
 * normalize answers 400, not 422: LangChain's caller retries 422 (it spares only 400-407, 409
 * and 413), and @google/genai (no retries by default), its Stainless-generated Interactions
 * client (408, 409, 429, 5xx, unless x-should-retry says) and the AI SDK (408, 409, 429, 5xx)
 * retry neither.
 */
export function googleError(status: 404 | 422, code: string, message: string): Response {
  const sent = status === 422 ? 400 : status;
  return HttpResponse.json({ error: { code: sent, message, status: STATUS_NAMES[sent] } }, { status: sent, headers: { 'x-ai-vcr': code, 'x-should-retry': 'false' } });
}

interface Part {
  text?: string;
  thought?: boolean;
  functionCall?: { name?: string; args?: unknown };
}

function partsOf(content: unknown): Part[] {
  const parts = (content as { parts?: unknown } | undefined)?.parts;
  return Array.isArray(parts) ? (parts as Part[]) : [];
}

function textOf(parts: Part[]): string {
  return parts.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}

/** A generateContent call: its contents and what the candidate said, chunk by chunk when streamed. */
export function describeGenerated(body: unknown, objects: readonly Record<string, unknown>[]): Description {
  const request = (body ?? {}) as { contents?: unknown; systemInstruction?: unknown; tools?: { functionDeclarations?: { name?: string }[] }[] };
  const messages: Description['messages'] = [];
  if (request.systemInstruction) messages.push({ role: 'system', text: textOf(partsOf(request.systemInstruction)) });
  const contents = typeof request.contents === 'string' ? [{ role: 'user', parts: [{ text: request.contents }] }] : Array.isArray(request.contents) ? request.contents : [];
  for (const content of contents as { role?: string }[]) messages.push({ role: content.role ?? 'user', text: textOf(partsOf(content)) });
  const tools = (request.tools ?? []).flatMap((tool) => (tool.functionDeclarations ?? []).map((declaration) => String(declaration.name)));
  const description: Description = { messages, tools, text: '', reasoning: '', calls: [] };
  for (const object of objects) {
    const candidate = (object.candidates as { content?: unknown; finishReason?: string }[] | undefined)?.[0];
    for (const part of partsOf(candidate?.content)) {
      if (part.functionCall) description.calls.push({ name: String(part.functionCall.name), arguments: JSON.stringify(part.functionCall.args ?? {}) });
      else if (part.thought) description.reasoning += part.text ?? '';
      else description.text += part.text ?? '';
    }
    if (candidate?.finishReason) description.finish = candidate.finishReason;
    const usage = object.usageMetadata as { promptTokenCount?: number; candidatesTokenCount?: number; totalTokenCount?: number } | undefined;
    if (usage) description.usage = { input_tokens: usage.promptTokenCount, output_tokens: usage.candidatesTokenCount, total_tokens: usage.totalTokenCount };
  }
  return description;
}

/** An Interactions call: its input, and the outputs (or the streamed deltas) of the interaction. */
function describeInteraction(body: unknown, objects: readonly Record<string, unknown>[]): Description {
  const request = (body ?? {}) as { input?: unknown; tools?: { name?: string }[] };
  const input = typeof request.input === 'string' ? request.input : JSON.stringify(request.input ?? '');
  const description: Description = { messages: [{ role: 'user', text: input }], tools: (request.tools ?? []).map((tool) => String(tool.name)), text: '', reasoning: '', calls: [] };
  for (const object of objects) {
    const delta = object.delta as { type?: string; text?: string } | undefined;
    if (delta?.type === 'text') description.text += delta.text ?? '';
    if (delta?.type === 'thought_summary' || delta?.type === 'thought') description.reasoning += delta.text ?? '';
    const interaction = (object.event_type ? object.interaction : object) as { status?: string; outputs?: unknown; usage?: Record<string, number> } | undefined;
    for (const output of Array.isArray(interaction?.outputs) ? (interaction.outputs as { type?: string; text?: string; name?: string; arguments?: unknown }[]) : []) {
      if (output.type === 'text') description.text += output.text ?? '';
      if (output.type === 'function_call') description.calls.push({ name: String(output.name), arguments: JSON.stringify(output.arguments ?? {}) });
    }
    if (interaction?.status) description.finish = interaction.status;
    if (interaction?.usage) description.usage = { input_tokens: interaction.usage.total_input_tokens, output_tokens: interaction.usage.total_output_tokens, total_tokens: interaction.usage.total_tokens };
  }
  return description;
}
