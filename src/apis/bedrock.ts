import { HttpResponse } from 'msw';
import { objectOf, type Api, type Description } from './api.js';
import type { WireEvent } from '../wire/framing.js';
import { eventstream } from '../wire/eventstream.js';

/**
 * Amazon Bedrock Runtime: Converse, ConverseStream, InvokeModel and InvokeModelWithResponseStream,
 * at any host and under any prefix (a client's `endpoint` may carry one). The model id stays in the
 * canonical endpoint, decoded: the SDKs send `v1%3A0`, a reader writes `v1:0`, and both must be
 * one key. Streams are AWS eventstream frames.
 */
const OPERATIONS = ['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream'] as const;
type Operation = (typeof OPERATIONS)[number];

/** The first `/model/` is the operation's: a model id (an inference profile ARN) may hold `/` itself once decoded. */
const PATH = new RegExp(`^.*?/model/(.+)/(${OPERATIONS.join('|')})$`);

/** Smithy's shape names of Bedrock Runtime's answers, as its API reference and every AWS SDK name them. */
const TYPES: Record<Operation, { whole: string; event: string }> = {
  converse: { whole: 'bedrock_runtime.ConverseResponse', event: 'bedrock_runtime.ConverseResponse' },
  'converse-stream': { whole: 'bedrock_runtime.ConverseStreamOutput', event: 'bedrock_runtime.ConverseStreamOutput' },
  invoke: { whole: 'bedrock_runtime.InvokeModelResponse', event: 'bedrock_runtime.InvokeModelResponse' },
  'invoke-with-response-stream': { whole: 'bedrock_runtime.ResponseStream', event: 'bedrock_runtime.ResponseStream' },
};

/** Bedrock's error types for our own answers: statuses its SDK (and the AI SDK) never retry. */
const ERROR_TYPES = { 404: 'ResourceNotFoundException', 422: 'ValidationException' } as const;

/** What Bedrock adds to the last chunk of every InvokeModelWithResponseStream answer, whatever the model. */
const INVOCATION_METRICS = 'amazon-bedrock-invocationMetrics';

type Json = Record<string, unknown>;

export const bedrock: Api = {
  name: 'bedrock',
  credentials: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_BEARER_TOKEN_BEDROCK',
  hosts: [/^bedrock-runtime(-fips)?\.[a-z0-9-]+\.(amazonaws\.com(\.cn)?|api\.aws)$/],
  endpoint(path) {
    const match = PATH.exec(path);
    if (!match) return undefined;
    const id = decoded(match[1]!);
    return id === undefined ? undefined : `/model/${id}/${match[2]}`;
  },
  model: (endpoint) => PATH.exec(endpoint)?.[1],
  method: () => 'POST',
  framings: [eventstream],
  // InvokeModel's body is the model's own JSON, which its SDK labels application/octet-stream unless told the content-type.
  jsonBody: (endpoint) => operationOf(endpoint) === 'invoke' || operationOf(endpoint) === 'invoke-with-response-stream',
  stream(endpoint) {
    if (operationOf(endpoint) === 'invoke-with-response-stream') {
      return { ends: (event) => isLastChunk(event), expected: `a chunk carrying ${INVOCATION_METRICS} (or Anthropic's message_stop)` };
    }
    return {
      // Bedrock sends messageStop, then metadata (usage); a stream without either is cut short.
      ends: (event, before) => isEvent(event, 'messageStop', 'metadata') && before.some((earlier) => isEvent(earlier, event.event === 'metadata' ? 'messageStop' : 'metadata')),
      expected: 'messageStop and metadata',
    };
  },
  typeName: (endpoint, streaming) => {
    const types = TYPES[operationOf(endpoint) ?? 'converse'];
    return streaming ? types.event : types.whole;
  },
  normalize: (data, endpoint, id) => (operationOf(endpoint)?.startsWith('invoke') ? normalizeInvoke(data, id) : withoutTimes(data)),
  error(status, code, message) {
    // The SDK names its exception after x-amzn-errortype and throws it with the body's message.
    return HttpResponse.json({ message }, { status, headers: { 'x-amzn-errortype': ERROR_TYPES[status], 'x-ai-vcr': code } });
  },
  /**
   * The whole answer, with the type Bedrock gave in `x-amzn-errortype` as its `__type`, where AWS's
   * JSON protocols also carry it: replay serves no recorded headers, and without a type the SDK
   * throws a bare BedrockRuntimeServiceException instead of the ValidationException it threw live.
   */
  errorBody(answer, _id, headers) {
    const type = headers?.get('x-amzn-errortype')?.split(':')[0];
    return { body: type && !('__type' in answer) ? { ...answer, __type: type } : answer, wrapped: false };
  },
  /** A stored chunk as it travels: its decoded JSON encoded again as base64. */
  wire: (data) => (data.bytes && typeof data.bytes === 'object' ? { ...data, bytes: Buffer.from(JSON.stringify(data.bytes)).toString('base64') } : data),
  describe: (endpoint, body, objects, streamed) => describe(operationOf(endpoint), (body ?? {}) as Json, objects, streamed),
};

/** A model id as the path spells it, percent-decoded; undefined when it is not valid percent-encoding. */
function decoded(id: string): string | undefined {
  try {
    return decodeURIComponent(id);
  } catch {
    return undefined;
  }
}

function operationOf(endpoint: string): Operation | undefined {
  return PATH.exec(endpoint)?.[2] as Operation | undefined;
}

function isEvent(event: WireEvent, ...names: string[]): boolean {
  return event.kind === undefined && names.includes(event.event ?? '');
}

function isLastChunk(event: WireEvent): boolean {
  if (!isEvent(event, 'chunk')) return false;
  const chunk = decodedChunk(objectOf(event.data)?.bytes);
  return chunk !== undefined && (INVOCATION_METRICS in chunk || chunk.type === 'message_stop');
}

/**
 * What varies on every call and no client sends back: the latency Converse and ConverseStream's
 * metadata report, and the padding `p` Bedrock adds to stream events so their length says nothing.
 */
function withoutTimes(data: Json): Json {
  const metrics = data.metrics as Json | undefined;
  if (typeof metrics?.latencyMs !== 'number' && typeof data.p !== 'string') return data;
  const normalized = { ...data };
  if (typeof metrics?.latencyMs === 'number') normalized.metrics = { ...metrics, latencyMs: 0 };
  if (typeof normalized.p === 'string') normalized.p = '';
  return normalized;
}

/**
 * An InvokeModel answer is the model's own JSON; a stream chunk carries it base64-encoded in
 * `bytes`. A chunk is stored decoded, as JSON a reviewer reads, when encoding it again gives the
 * very bytes that came (compact JSON, as Bedrock sends); otherwise its base64 stays as it came.
 * Anthropic's message id and Bedrock's latencies are made deterministic; tool-use ids stay.
 */
function normalizeInvoke(data: Json, id: string): Json {
  if (typeof data.bytes !== 'string') return normalizeModelJson(data, id);
  const chunk = decodedChunk(data.bytes);
  const exact = chunk !== undefined && Buffer.from(JSON.stringify(chunk)).toString('base64') === data.bytes;
  return { ...withoutTimes(data), ...(exact ? { bytes: normalizeModelJson(chunk, id) } : {}) };
}

function normalizeModelJson(data: Json, id: string): Json {
  const normalized = { ...data };
  if (normalized.type === 'message' && 'id' in normalized) normalized.id = id;
  const message = normalized.type === 'message_start' ? (normalized.message as Json | undefined) : undefined;
  if (message && 'id' in message) normalized.message = { ...message, id };
  const metrics = normalized[INVOCATION_METRICS] as Json | undefined;
  if (metrics) normalized[INVOCATION_METRICS] = { ...metrics, invocationLatency: 0, firstByteLatency: 0 };
  return normalized;
}

/** A chunk's model JSON: decoded from base64 as it travels, or already decoded as a recording stores it. */
function decodedChunk(bytes: unknown): Json | undefined {
  if (bytes && typeof bytes === 'object' && !Array.isArray(bytes)) return bytes as Json;
  return typeof bytes === 'string' ? objectOf(Buffer.from(bytes, 'base64').toString('utf8')) : undefined;
}


function describe(operation: Operation | undefined, request: Json, objects: readonly Json[], streamed: boolean): Description {
  const described: Description = { messages: [], tools: [], text: '', reasoning: '', calls: [] };
  for (const part of (request.system ?? []) as Json[]) if (typeof part === 'object') described.messages.push({ role: 'system', text: String(part.text ?? '') });
  for (const message of (request.messages ?? []) as Json[]) described.messages.push({ role: String(message.role), text: textOf(message.content) });
  const tools = ((request.toolConfig as Json | undefined)?.tools ?? request.tools ?? []) as Json[];
  described.tools = tools.map((tool) => String((tool.toolSpec as Json | undefined)?.name ?? tool.name));
  if (operation === 'converse') converse(described, objects[0] ?? {});
  else if (operation === 'converse-stream') converseStream(described, objects);
  else invoke(described, streamed ? objects.map((object) => decodedChunk(object.bytes) ?? {}) : objects);
  return described;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Json[]).map((part) => (typeof part.text === 'string' ? part.text : `[${Object.keys(part)[0] ?? '?'}]`)).join(' ');
}

function usageOf(usage: unknown): Description['usage'] {
  const counts = usage as { inputTokens?: number; outputTokens?: number; totalTokens?: number } | undefined;
  return counts ? { input_tokens: counts.inputTokens, output_tokens: counts.outputTokens, total_tokens: counts.totalTokens } : undefined;
}

function converse(described: Description, answer: Json): void {
  const content = (((answer.output as Json | undefined)?.message as Json | undefined)?.content ?? []) as Json[];
  for (const block of content) {
    if (typeof block.text === 'string') described.text += block.text;
    const reasoning = (block.reasoningContent as { reasoningText?: { text?: string } } | undefined)?.reasoningText?.text;
    if (reasoning) described.reasoning += reasoning;
    const call = block.toolUse as { name?: string; input?: unknown } | undefined;
    if (call) described.calls.push({ name: String(call.name), arguments: JSON.stringify(call.input ?? {}) });
  }
  if (typeof answer.stopReason === 'string') described.finish = answer.stopReason;
  described.usage = usageOf(answer.usage);
}

/** A ConverseStream's events put together, told apart by their fields (the payload does not name its event). */
function converseStream(described: Description, events: readonly Json[]): void {
  for (const event of events) {
    const start = (event.start as Json | undefined)?.toolUse as { name?: string } | undefined;
    if (start) described.calls.push({ name: String(start.name), arguments: '' });
    const delta = event.delta as { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string } } | undefined;
    if (delta?.text) described.text += delta.text;
    if (delta?.reasoningContent?.text) described.reasoning += delta.reasoningContent.text;
    if (delta?.toolUse?.input && described.calls.length > 0) described.calls.at(-1)!.arguments += delta.toolUse.input;
    if (typeof event.stopReason === 'string') described.finish = event.stopReason;
    if (event.usage) described.usage = usageOf(event.usage);
  }
}

/** InvokeModel answers are the model's own format: Anthropic's, the one most used on Bedrock, is read. */
function invoke(described: Description, objects: readonly Json[]): void {
  for (const object of objects) {
    for (const block of (object.content ?? []) as Json[]) if (block.type === 'text') described.text += String(block.text);
    const delta = object.delta as { type?: string; text?: string; stop_reason?: string } | undefined;
    if (delta?.type === 'text_delta') described.text += String(delta.text);
    const finish = object.stop_reason ?? delta?.stop_reason;
    if (typeof finish === 'string') described.finish = finish;
  }
}
