import { bypass } from 'msw';
import type { Endpoint } from './endpoint.js';
import { modelOf, type KeyedRequest } from './key.js';
import { keptHeaders, redactUrl, secretsOf, withoutSecrets } from './redact.js';
import type { Recording, SdkObject } from './recording.js';
import { DONE, readEvents, type ParsedEvent } from './sse.js';

export interface RecordContext {
  key: string;
  keyed: KeyedRequest;
  /** The intercepted request, for its URL and headers. */
  request: Request;
  testId: string | null;
  /** performance.now() when the call was intercepted. */
  startedAt: number;
  /** Statuses of upstream errors that may be recorded (deterministic client errors only). */
  recordErrors: ReadonlySet<number>;
}

export interface Recorded {
  /** What the caller receives: the upstream response, streamed through as it arrives. */
  response: Response;
  /**
   * Settles when the upstream response has ended: the recording, what policy skipped (an
   * error never recorded), or rejected, saying why, when the answer should have been recorded
   * and cannot be (a stream cut short, an answer that is not what an OpenAI API sends).
   */
  recording: Promise<Recording | Skipped>;
}

/** An answer not recorded by policy, and why. */
export interface Skipped {
  skipped: string;
}

export function isSkipped(outcome: Recording | Skipped): outcome is Skipped {
  return typeof outcome.skipped === 'string' && !('response' in outcome);
}

/** Upstream errors that are deterministic, so may be recorded when `recordErrors` is on. */
export const RECORDABLE_ERRORS: ReadonlySet<number> = new Set([400, 404, 422]);

/**
 * How long the upstream may still take to finish its answer once nobody waits for it: its
 * client left (a `break` out of the stream, an abort) or close() is waiting. Within it the
 * answer is recorded whole; past it the upstream is aborted and nothing is written, so a
 * stalled upstream cannot hang a test run.
 */
export const GRACE_MS = 10_000;

/** The grace period in force. Not an option: tests shorten it to run fast. */
export const timing = { graceMs: GRACE_MS };

/** One request to the real upstream, which lives on, within bounds, after its client has gone. */
export interface UpstreamCall {
  response: Promise<Response>;
  /** Nobody waits for the answer any more (`why` says who left): it has the grace period to finish. */
  release(why: string): void;
  /** Why the upstream was aborted, once the grace period ran out. */
  readonly expired: string | undefined;
  /** The answer has ended, one way or another: no abort is pending any more. */
  end(): void;
}

/**
 * Call the real upstream, around MSW, with the body read before interception consumed it.
 * Not on the client's signal: a client that stops reading a stream (or openai v7, which aborts
 * its own controller when a stream ends) would otherwise cut the recording short.
 */
export function callUpstream(request: Request): UpstreamCall {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;
  let expired: string | undefined;
  return {
    response: fetch(bypass(request, { headers: endToEndHeaders(request.headers) }), { signal: controller.signal }),
    release(why) {
      if (ended || timer) return;
      const ms = timing.graceMs;
      timer = setTimeout(() => {
        expired = `${why} and the upstream had not finished ${ms / 1000} s later`;
        controller.abort(new Error(expired));
      }, ms);
    },
    get expired() {
      return expired;
    },
    end() {
      ended = true;
      clearTimeout(timer);
    },
  };
}

/** Headers about one connection (RFC 9110, 7.6.1), which are the client's business with MSW, not ours with the upstream. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * The request's headers without its hop-by-hop ones. Forwarded, `connection: close` (what
 * openai v4's requests carry through msw 2) makes undici take a connection that drops
 * mid-stream for the answer's normal end.
 */
function endToEndHeaders(headers: Headers): Record<string, string> {
  const named = new Set((headers.get('connection') ?? '').split(',').map((name) => name.trim().toLowerCase()));
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && !name.startsWith('proxy-') && !named.has(name)) kept[name] = value;
  });
  return kept;
}

/**
 * Pass an upstream response to the caller and, in parallel, turn it into a recording.
 * A stream is teed: the caller reads one branch chunk by chunk as the upstream sends it,
 * the recorder parses the other, to its end even when the caller stops reading. Nothing
 * partial is ever written: a stream counts only if it ended as its API ends a complete
 * answer. The caller gets the answer as the upstream sent it.
 */
export async function recordResponse(upstream: Response, context: RecordContext, call: UpstreamCall): Promise<Recorded> {
  const init = { status: upstream.status, statusText: upstream.statusText, headers: responseHeaders(upstream) };
  const streaming = (upstream.headers.get('content-type') ?? '').includes('text/event-stream');
  if (upstream.ok && streaming && upstream.body) {
    const [toCaller, toRecorder] = upstream.body.tee();
    const recording = readEvents(toRecorder, context.startedAt).then(({ events, error }) => {
      const cutShort = incomplete(events, context.keyed.endpoint, error, call);
      if (cutShort) throw new Error(cutShort);
      return streamRecording(events, upstream.status, context);
    });
    return { response: new Response(callerBranch(toCaller, context.request.signal, () => call.release('the client left')), init), recording };
  }
  // JSON bodies and errors are small: the caller gets them whole, exactly as sent.
  const text = await upstream.text();
  const recording = Promise.resolve().then(() => (upstream.ok ? jsonRecording(text, upstream.status, context) : errorRecording(text, upstream, context)));
  return { response: new Response(text, init), recording };
}

/**
 * The branch the caller reads. When the caller aborts, it fails at once, as a fetch body does
 * (on msw 2 an abort does not reach a mocked body by itself), while the recorder reads on;
 * either way, and when the caller cancels, `left` is told. The branch's cancel is not passed on
 * as a promise to wait for: a tee branch's cancel settles only once the other branch, the
 * recorder's, is done too, and the caller must not wait for that.
 */
function callerBranch(stream: ReadableStream<Uint8Array>, signal: AbortSignal, left: () => void): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let abort: (() => void) | undefined;
  const stop = (reason: unknown) => {
    signal.removeEventListener('abort', abort!);
    left();
    reader.cancel(reason).catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      abort = () => {
        stop(signal.reason);
        controller.error(signal.reason);
      };
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
    },
    async pull(controller) {
      const read = await reader.read().catch((error: unknown) => {
        signal.removeEventListener('abort', abort!);
        throw error;
      });
      if (signal.aborted) return;
      if (!read.done) return controller.enqueue(read.value);
      signal.removeEventListener('abort', abort!);
      controller.close();
    },
    cancel: stop,
  });
}

/** How each streaming API ends a complete answer. */
const RESPONSES_ENDS = ['response.completed', 'response.failed', 'response.incomplete'];

/** Why a stream's events are not a complete answer, or undefined when they are. */
function incomplete(events: ParsedEvent[], endpoint: Endpoint, error: Error | undefined, call: UpstreamCall): string | undefined {
  const responses = endpoint === '/v1/responses';
  const ends = responses ? ({ event, data }: ParsedEvent) => RESPONSES_ENDS.includes(event ?? String(parseObject(data)?.type)) : ({ data }: ParsedEvent) => data === DONE;
  // From the end: that is where a complete answer's last event is.
  for (let i = events.length - 1; i >= 0; i--) if (ends(events[i]!)) return undefined;
  if (call.expired) return call.expired;
  const count = events.filter(({ data }) => data !== DONE).length;
  if (error) return `the upstream's stream broke off after ${count} events (${error.message})`;
  return `the upstream's stream ended after ${count} events without ${responses ? RESPONSES_ENDS.join(', ').replace(/, (?=[^,]*$)/, ' or ') : DONE}`;
}

/**
 * Plain headers for the caller. MSW patches Headers while it listens (copying a Headers
 * yields an empty one), and undici has already decoded the body, so its encoding and
 * length no longer describe what the caller receives.
 */
function responseHeaders(upstream: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  upstream.headers.forEach((value, name) => {
    if (name !== 'content-encoding' && name !== 'content-length') headers[name] = value;
  });
  return headers;
}

function streamRecording(events: ParsedEvent[], status: number, context: RecordContext): Recording {
  const body: SdkObject[] = [];
  const times: number[] = [];
  for (const { event, data, at } of events) {
    if (data === DONE) continue;
    const parsed = parseObject(data);
    if (!parsed) throw new Error(`the upstream's event ${body.length + 1} is not a JSON object: ${excerpt(data)}`);
    const object: SdkObject = { __type__: typeName(context.keyed.endpoint, true), __data__: normalize(parsed, context) };
    // Responses API events are named after their type, which replay derives; other names are kept.
    const derived = context.keyed.endpoint === '/v1/responses' && event === parsed.type;
    if (event !== undefined && event !== 'message' && !derived) object.__event__ = event;
    body.push(object);
    times.push(at);
  }
  return build(context, { body, is_streaming: true, ...statusField(status), chunk_times_ms: times });
}

function jsonRecording(text: string, status: number, context: RecordContext): Recording {
  const parsed = parseObject(text);
  if (!parsed) throw new Error(`the upstream's ${status} answer is not a JSON object: ${excerpt(text)}`);
  const { endpoint } = context.keyed;
  // Model lists are stored as the list of models, as llama-stack does.
  const body =
    endpoint === '/v1/models' && Array.isArray(parsed.data)
      ? (parsed.data as Record<string, unknown>[]).map((model) => ({ __type__: MODEL_TYPE, __data__: model }))
      : { __type__: typeName(endpoint, false), __data__: normalize(parsed, context) };
  return build(context, { body, is_streaming: false, ...statusField(status) });
}

function errorRecording(text: string, upstream: Response, context: RecordContext): Recording | Skipped {
  const { status } = upstream;
  if (!context.recordErrors.has(status)) {
    // Rate limits, server errors and auth failures say nothing about the request, and would replay forever.
    const rule = RECORDABLE_ERRORS.has(status) ? 'which is recorded only with the recordErrors option' : 'which is never recorded';
    return { skipped: `the upstream answered ${status} ${upstream.statusText}`.trimEnd() + `, ${rule}` };
  }
  const parsed = parseObject(text);
  // `body` as the Python SDK, and so llama-stack, holds it: the inner error of OpenAI's
  // `{"error": ...}`, else the whole answer (a proxy's `{"detail": ...}`, plain text).
  const wrapped = parsed !== undefined && 'error' in parsed;
  const body = wrapped ? parsed.error : (parsed ?? text);
  const message = (body as { message?: unknown } | null)?.message;
  return build(context, {
    body: null,
    is_streaming: false,
    is_exception: true,
    exception_data: {
      type: ERROR_TYPES[upstream.status] ?? 'APIStatusError',
      status_code: upstream.status,
      body,
      message: `Error code: ${upstream.status} - ${typeof message === 'string' ? message : upstream.statusText}`,
      // Marked, so replay serves the whole answer as it came instead of wrapping it as an inner error.
      ...(wrapped ? {} : { wrapped: false }),
    },
  });
}

/** The recording as it may go to disk: any credential the request carried is scrubbed from all of it. */
function build(context: RecordContext, response: Recording['response']): Recording {
  const { request, keyed, testId } = context;
  const recording: Recording = {
    test_id: testId,
    ...(keyed.call ? { call: keyed.call } : {}),
    request: {
      method: keyed.method,
      url: redactUrl(request.url),
      headers: keptHeaders(request.headers),
      body: keyed.body,
      endpoint: keyed.endpoint,
      model: modelOf(keyed.body) ?? '',
    },
    response,
    id_normalization_mapping: {},
  };
  return withoutSecrets(recording, secretsOf(request));
}

function statusField(status: number): { status?: number } {
  return status === 200 ? {} : { status };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * Make a response deterministic the way llama-stack does: the top-level `id` becomes
 * `rec-<first 12 hex of the key>` and `created` 0, except for models, whose id is their
 * name. Responses API objects keep their ids: clients send them back (previous_response_id),
 * so changing them would break the next recorded request's match.
 */
function normalize(data: Record<string, unknown>, context: RecordContext): Record<string, unknown> {
  if (data.object === 'model' || context.keyed.endpoint === '/v1/responses') return data;
  const normalized = { ...data };
  if ('id' in normalized) normalized.id = `rec-${context.key.slice(0, 12)}`;
  if ('created' in normalized) normalized.created = 0;
  return normalized;
}

const MODEL_TYPE = 'openai.types.model.Model';

/** The openai Python SDK class of a response object, as llama-stack names it in `__type__`. */
function typeName(endpoint: Endpoint, streaming: boolean): string {
  switch (endpoint) {
    case '/v1/chat/completions':
      return streaming ? 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk' : 'openai.types.chat.chat_completion.ChatCompletion';
    case '/v1/completions':
      return 'openai.types.completion.Completion';
    case '/v1/embeddings':
      return 'openai.types.create_embedding_response.CreateEmbeddingResponse';
    case '/v1/models':
      return MODEL_TYPE;
    case '/v1/responses':
      return streaming ? 'openai.types.responses.response_stream_event.ResponseStreamEvent' : 'openai.types.responses.response.Response';
  }
}

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  409: 'ConflictError',
  422: 'UnprocessableEntityError',
  429: 'RateLimitError',
};
