import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { EventSourceMessage } from 'eventsource-parser';

const encoder = new TextEncoder();

/** One Server-Sent Event as OpenAI-compatible servers send it: an optional name and one data line. */
export function encodeEvent(data: string, event?: string): Uint8Array {
  return encoder.encode(event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
}

/** The sentinel chat and text completion streams end with. */
export const DONE = '[DONE]';

export interface ParsedEvent {
  /** The `event:` name, when the server sent one. */
  event: string | undefined;
  data: string;
  /** Milliseconds from `startedAt` to this event's arrival. */
  at: number;
}

/** The events of an SSE body, and the error it ended with, if it did not end cleanly. */
export interface ReadEvents {
  events: ParsedEvent[];
  error: Error | undefined;
}

/**
 * Every event of an SSE body, with its arrival time. eventsource-parser does the parsing:
 * it handles multi-line data, comments, CRLF and events split across network chunks.
 * A body that fails midway still yields the events that came before, so the caller can tell
 * an answer that was complete when its connection broke from one that was cut short.
 */
export async function readEvents(body: ReadableStream<Uint8Array>, startedAt: number): Promise<ReadEvents> {
  const events: ParsedEvent[] = [];
  const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
  const stream = body.pipeThrough(decoder).pipeThrough(new EventSourceParserStream());
  try {
    for await (const { event, data } of stream as unknown as AsyncIterable<EventSourceMessage>) {
      events.push({ event, data, at: Math.round(performance.now() - startedAt) });
    }
    return { events, error: undefined };
  } catch (error) {
    return { events, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
