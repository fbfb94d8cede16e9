import { bypass } from 'msw';
import { objectOf, type Api } from './apis/api.js';
import { modelOfCall } from './apis/index.js';
import { errorType } from './errors.js';
import type { KeyedRequest } from './key.js';
import { keptHeaders, redactUrl, secretsOf, withoutSecrets } from './redact.js';
import type { Recording, SdkObject } from './recording.js';
import type { Framing, WireEvent } from './wire/framing.js';

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
  /** The request's API; `generic` when the endpoint is one its module does not know (a moderation, `/responses/{id}`). */
  api: Api;
  generic: boolean;
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
  const contentType = upstream.headers.get('content-type') ?? '';
  const framing = context.api.framings.find((candidate) => candidate.matches(contentType));
  if (upstream.ok && framing && upstream.body) {
    const [toCaller, toRecorder] = upstream.body.tee();
    const recording = framing.read(toRecorder, context.startedAt).then(({ events, error }) => {
      const cutShort = incomplete(events, context, error, call);
      if (cutShort) throw new Error(cutShort);
      return streamRecording(events, framing, upstream.status, context);
    });
    return { response: new Response(callerBranch(toCaller, context.request.signal, () => call.release('the client left')), init), recording };
  }
  // JSON bodies and errors are small: the caller gets them whole, exactly as sent.
  const text = await upstream.text();
  const recording = Promise.resolve().then(() => (upstream.ok ? jsonRecording(text, contentType, upstream.status, context) : errorRecording(text, upstream, context)));
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

/** Why a stream's events are not a complete answer, or undefined when they are. */
function incomplete(events: WireEvent[], context: RecordContext, error: Error | undefined, call: UpstreamCall): string | undefined {
  // An endpoint its API module does not know has no known end: whole is what ended without an error.
  // An AWS eventstream exception frame (throttlingException, modelStreamErrorException) is the service
  // failing mid-answer, as a 429 or 500 would be: the caller got it as sent, and it is never recorded.
  const last = events.at(-1);
  if (last?.kind) return `the upstream's stream ended after ${events.length - 1} events with an ${last.kind} frame ${last.event} (${excerpt(last.data)}), a failure of the service, which is never recorded`;
  const end = context.generic ? undefined : context.api.stream(context.keyed.endpoint);
  // From the end: that is where a complete answer's last event is.
  if (end) for (let i = events.length - 1; i >= 0; i--) if (end.ends(events[i]!, events.slice(0, i))) return undefined;
  if (call.expired) return call.expired;
  const count = events.filter(({ data }) => objectOf(data)).length;
  if (error) return `the upstream's stream broke off after ${count} events (${error.message})`;
  return end ? `the upstream's stream ended after ${count} events without ${end.expected}` : undefined;
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

/**
 * Each event as the upstream sent it: its data parsed, so a reviewer reads JSON rather than
 * escaped strings, its name when it had one, and a last event that is not JSON (OpenAI's
 * `[DONE]`) kept as the stream's terminator.
 */
function streamRecording(events: WireEvent[], framing: Framing, status: number, context: RecordContext): Recording {
  const body: SdkObject[] = [];
  const times: number[] = [];
  let terminator: { data: string; event?: string } | undefined;
  const { api, keyed, generic } = context;
  for (const [i, { event, data, at }] of events.entries()) {
    const parsed = objectOf(data);
    if (!parsed) {
      if (i === events.length - 1 && body.length > 0) {
        terminator = { data, ...(event === undefined ? {} : { event }) };
        continue;
      }
      throw new Error(`the upstream's event ${body.length + 1} is not a JSON object: ${excerpt(data)}`);
    }
    const object: SdkObject = { __type__: typeNameOf(context, true), __data__: generic ? parsed : api.normalize(parsed, keyed.endpoint, idOf(context)) };
    if (event !== undefined) object.__event__ = event;
    body.push(object);
    times.push(at);
  }
  const stream = {
    framing: framing.name,
    ...(terminator === undefined ? {} : { terminator: terminator.data }),
    ...(terminator?.event === undefined ? {} : { terminator_event: terminator.event }),
  };
  return build(context, { body, is_streaming: true, ...statusField(status), chunk_times_ms: times, stream });
}

function jsonRecording(text: string, contentType: string, status: number, context: RecordContext): Recording {
  const parsed = objectOf(text);
  if (!parsed) {
    // Plain text is an answer some endpoints give (a transcription as text); an HTML page is a proxy's, not the API's.
    if (contentType.startsWith('text/plain')) {
      return build(context, { body: { __type__: 'text', __data__: { text } }, is_streaming: false, ...statusField(status), content_type: contentType });
    }
    throw new Error(`the upstream's ${status} answer is not a JSON object: ${excerpt(text)}`);
  }
  const { api, keyed, generic } = context;
  const list = !generic && api.list?.endpoint === keyed.endpoint && Array.isArray(parsed.data);
  // Lists are stored as the list of their objects, as llama-stack stores model lists.
  const body = list
    ? (parsed.data as Record<string, unknown>[]).map((item) => ({ __type__: typeNameOf(context, false), __data__: item }))
    : { __type__: typeNameOf(context, false), __data__: generic ? parsed : api.normalize(parsed, keyed.endpoint, idOf(context)) };
  return build(context, { body, is_streaming: false, ...statusField(status) });
}

function errorRecording(text: string, upstream: Response, context: RecordContext): Recording | Skipped {
  const { status } = upstream;
  if (!context.recordErrors.has(status)) {
    // Rate limits, server errors and auth failures say nothing about the request, and would replay forever.
    const rule = RECORDABLE_ERRORS.has(status) ? 'which is recorded only with the recordErrors option' : 'which is never recorded';
    return { skipped: `the upstream answered ${status} ${upstream.statusText}`.trimEnd() + `, ${rule}` };
  }
  const parsed = objectOf(text);
  const { body, wrapped } = parsed ? (context.api.errorBody?.(parsed, idOf(context), upstream.headers) ?? { body: parsed, wrapped: false }) : { body: text, wrapped: false };
  const message = (body as { message?: unknown } | null)?.message ?? (body as { error?: { message?: unknown } } | null)?.error?.message;
  return build(context, {
    body: null,
    is_streaming: false,
    is_exception: true,
    exception_data: {
      type: errorType(status),
      status_code: status,
      body,
      message: `Error code: ${status} - ${typeof message === 'string' ? message : upstream.statusText}`,
      // Marked, so replay serves the whole answer as it came instead of wrapping it as an inner error.
      ...(wrapped ? {} : { wrapped: false }),
    },
  });
}

function typeNameOf({ api, keyed, generic }: RecordContext, streaming: boolean): string {
  return generic ? 'json' : api.typeName(keyed.endpoint, streaming);
}

/** The id a response object's own id is normalized to: llama-stack's `rec-<first 12 hex of the key>`. */
function idOf(context: RecordContext): string {
  return `rec-${context.key.slice(0, 12)}`;
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
      model: modelOfCall(keyed.endpoint, keyed.body) ?? '',
    },
    response,
    id_normalization_mapping: {},
  };
  return withoutSecrets(recording, secretsOf(request));
}

function statusField(status: number): { status?: number } {
  return status === 200 ? {} : { status };
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
