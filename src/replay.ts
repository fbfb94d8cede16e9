import { HttpResponse, type JsonBodyType } from 'msw';
import type { Api } from './apis/api.js';
import type { Recording, SdkObject } from './recording.js';
import { EVENTS_NEED_OWN_TURN } from './msw.js';
import { FRAMINGS } from './wire/index.js';
import { sse } from './wire/sse.js';

/** Encoded once per loaded recording: replaying the same recording again only copies references. */
const encodedStreams = new WeakMap<Recording, Uint8Array[]>();
const encodedBodies = new WeakMap<Recording, string>();

export interface Pacing {
  /** The API of the request replayed, for what a llama-stack stream leaves unsaid (its event names and terminator). */
  api: Api | undefined;
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
  if (response.is_streaming) {
    const framing = FRAMINGS[response.stream?.framing ?? 'sse'] ?? sse;
    return streamResponse(eventsOf(recording, pacing.api), framing.contentType, waitsOf(recording, pacing), pacing.signal);
  }
  const object = response.body as SdkObject;
  let text = encodedBodies.get(recording);
  if (text === undefined) {
    text = response.content_type && object.__type__ === 'text' ? String(object.__data__.text) : JSON.stringify(object.__data__);
    encodedBodies.set(recording, text);
  }
  return new HttpResponse(text, { status: response.status ?? 200, headers: { ...REPLAY_HEADERS, 'content-type': response.content_type ?? 'application/json' } });
}

const REPLAY_HEADERS = { 'x-ai-vcr': 'replay' };

/**
 * The stream's events as the upstream sent them: with the names and terminator the recording
 * stored, or, for a llama-stack file, which stores neither, those its API sends.
 */
function eventsOf(recording: Recording, api: Api | undefined): Uint8Array[] {
  let events = encodedStreams.get(recording);
  if (events) return events;
  const chunks = recording.response.body as SdkObject[];
  const stored = recording.response.stream;
  const { endpoint } = recording.request;
  const data = (chunk: SdkObject) => JSON.stringify(api?.wire?.(chunk.__data__, endpoint) ?? chunk.__data__);
  const named = (chunk: SdkObject) => (typeof chunk.__event__ === 'string' ? chunk.__event__ : undefined);
  if (stored) {
    const framing = FRAMINGS[stored.framing] ?? sse;
    events = chunks.map((chunk) => framing.encode({ event: named(chunk), data: data(chunk) }));
    if (stored.terminator !== undefined) events.push(framing.encode({ event: stored.terminator_event, data: stored.terminator }));
  } else {
    const legacy = api?.legacyStream?.(chunks.map((chunk) => chunk.__type__)) ?? { names: 'none', terminator: undefined };
    const nameOf = (chunk: SdkObject) => named(chunk) ?? (legacy.names === 'type' && typeof chunk.__data__.type === 'string' ? chunk.__data__.type : undefined);
    events = chunks.map((chunk) => sse.encode({ event: nameOf(chunk), data: data(chunk) }));
    if (legacy.terminator !== undefined) events.push(sse.encode({ data: legacy.terminator }));
  }
  encodedStreams.set(recording, events);
  return events;
}

/** How long to wait before each event, or undefined for no waiting at all. */
function waitsOf(recording: Recording, { delay, api }: Pacing): number[] | undefined {
  if (delay === 0) return undefined;
  const count = eventsOf(recording, api).length;
  if (delay !== 'recorded') return Array.from({ length: count }, () => delay);
  const times = recording.response.chunk_times_ms;
  if (!times) return undefined;
  // Past the recorded chunks (a terminator) there is nothing to wait for.
  return Array.from({ length: count }, (_, i) => (i < times.length ? Math.max(0, times[i]! - (i > 0 ? times[i - 1]! : 0)) : 0));
}

function streamResponse(events: Uint8Array[], contentType: string, waits: number[] | undefined, signal: AbortSignal): Response {
  const body = waits ? pacedStream(events, waits, signal) : eventStream(events);
  return new HttpResponse(body, {
    headers: { ...REPLAY_HEADERS, 'content-type': contentType, 'cache-control': 'no-cache' },
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
