import { HttpResponse, type JsonBodyType } from 'msw';
import { encodeEvent, DONE } from './sse.js';
import type { Recording, SdkObject } from './recording.js';
import { EVENTS_NEED_OWN_TURN } from './msw.js';

const RESPONSES_TYPE_PREFIX = 'openai.types.responses.';

/** Encoded once per loaded recording: replaying the same recording again only copies references. */
const encodedStreams = new WeakMap<Recording, Uint8Array[]>();
const encodedBodies = new WeakMap<Recording, string>();

export interface Pacing {
  delay: number | 'recorded';
  /** Ends a paced stream early when the client goes away. */
  signal: AbortSignal;
}

/** The HTTP response a recording stands for: an SSE stream, a JSON body, or a recorded API error. */
export function replay(recording: Recording, pacing: Pacing): Response {
  const { response } = recording;
  if (response.is_exception && response.exception_data) {
    const { status_code, body, message, wrapped } = response.exception_data;
    const init = { status: status_code, headers: REPLAY_HEADERS };
    // Not OpenAI's own shape (a proxy's error): the SDK must get it as it came, to fail as it did live.
    if (wrapped === false) return typeof body === 'string' ? HttpResponse.text(body, init) : HttpResponse.json(body as JsonBodyType, init);
    return HttpResponse.json({ error: body ?? { message } }, init);
  }
  if (response.is_streaming) return streamResponse(eventsOf(recording), waitsOf(recording, pacing.delay), pacing.signal);
  let text = encodedBodies.get(recording);
  if (text === undefined) {
    text = JSON.stringify((response.body as SdkObject).__data__);
    encodedBodies.set(recording, text);
  }
  return new HttpResponse(text, { status: response.status ?? 200, headers: { ...REPLAY_HEADERS, 'content-type': 'application/json' } });
}

/** A model list merged from model-list recordings, in the shape `GET /v1/models` returns. */
export function replayModels(data: Record<string, unknown>[]): Response {
  return HttpResponse.json({ object: 'list', data }, { headers: REPLAY_HEADERS });
}

const REPLAY_HEADERS = { 'x-ai-vcr': 'replay' };

function eventsOf(recording: Recording): Uint8Array[] {
  let events = encodedStreams.get(recording);
  if (!events) {
    const chunks = recording.response.body as SdkObject[];
    events = chunks.map((chunk) => encodeEvent(JSON.stringify(chunk.__data__), eventName(chunk)));
    // The Responses API ends its stream with a response.completed event; the others with [DONE].
    if (!chunks.some((chunk) => chunk.__type__.startsWith(RESPONSES_TYPE_PREFIX))) events.push(encodeEvent(DONE));
    encodedStreams.set(recording, events);
  }
  return events;
}

/** Responses API events are named after their `type`; chat and completion chunks are unnamed. */
function eventName(chunk: SdkObject): string | undefined {
  if (typeof chunk.__event__ === 'string') return chunk.__event__;
  if (chunk.__type__.startsWith(RESPONSES_TYPE_PREFIX) && typeof chunk.__data__.type === 'string') return chunk.__data__.type;
  return undefined;
}

/** How long to wait before each event, or undefined for no waiting at all. */
function waitsOf(recording: Recording, delay: Pacing['delay']): number[] | undefined {
  if (delay === 0) return undefined;
  const count = eventsOf(recording).length;
  if (delay !== 'recorded') return Array.from({ length: count }, () => delay);
  const times = recording.response.chunk_times_ms;
  if (!times) return undefined;
  // Past the recorded chunks (the [DONE] sentinel) there is nothing to wait for.
  return Array.from({ length: count }, (_, i) => (i < times.length ? Math.max(0, times[i]! - (i > 0 ? times[i - 1]! : 0)) : 0));
}

function streamResponse(events: Uint8Array[], waits: number[] | undefined, signal: AbortSignal): Response {
  const body = waits ? pacedStream(events, waits, signal) : eventStream(events);
  return new HttpResponse(body, {
    headers: { ...REPLAY_HEADERS, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  });
}

/**
 * Each event is its own chunk, so readers receive the stream event by event as from a server.
 * Where mocked responses travel through a socket (msw 3), events written in one turn of the
 * event loop reach the client as one read, so each is written in a turn of its own, as a
 * server flushing each event would; elsewhere the client's reads pull them one by one.
 */
function eventStream(events: Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next > 0 && EVENTS_NEED_OWN_TURN) await new Promise((resolve) => setImmediate(resolve));
      if (cancelled) return;
      const event = events[next++];
      if (event) controller.enqueue(event);
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
}

/** Events released one per pull after their wait; stops when the client aborts or cancels. */
function pacedStream(events: Uint8Array[], waits: number[], signal: AbortSignal): ReadableStream<Uint8Array> {
  let next = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stop: (() => void) | undefined;
  const stopped = () => stop?.();
  signal.addEventListener('abort', stopped, { once: true });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const wait = waits[next] ?? 0;
      if (wait > 0) {
        const elapsed = await new Promise<boolean>((resolve) => {
          stop = () => resolve(false);
          timer = setTimeout(() => resolve(true), wait);
        });
        if (!elapsed || signal.aborted) {
          clearTimeout(timer);
          controller.error(new DOMException('The client went away', 'AbortError'));
          return;
        }
      }
      const event = events[next++];
      if (event) controller.enqueue(event);
      else {
        signal.removeEventListener('abort', stopped);
        controller.close();
      }
    },
    cancel() {
      clearTimeout(timer);
      signal.removeEventListener('abort', stopped);
      stop?.();
    },
  });
}
