import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { EventSourceMessage } from 'eventsource-parser';
import type { Framing, WireEvent } from './framing.js';

const encoder = new TextEncoder();

/**
 * Server-Sent Events (OpenAI, Anthropic, Gemini with `alt=sse`, Cohere). eventsource-parser does
 * the parsing: multi-line data, comments, CRLF, events split across network chunks.
 */
export const sse: Framing = {
  name: 'sse',
  contentType: 'text/event-stream',
  matches: (contentType) => contentType.includes('text/event-stream'),
  encode: ({ event, data }) => encoder.encode(`${event ? `event: ${event}\n` : ''}${dataLines(data)}\n`),
  async read(body, startedAt) {
    const events: WireEvent[] = [];
    const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
    const stream = body.pipeThrough(decoder).pipeThrough(new EventSourceParserStream());
    try {
      for await (const { event, data } of stream as unknown as AsyncIterable<EventSourceMessage>) {
        events.push({ ...(event === undefined ? {} : { event }), data, at: Math.round(performance.now() - startedAt) });
      }
      return { events, error: undefined };
    } catch (error) {
      return { events, error: error instanceof Error ? error : new Error(String(error)) };
    }
  },
};

/** Data with line breaks (pretty-printed JSON from some servers) takes one `data:` line per line. */
function dataLines(data: string): string {
  return data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
}

/** The sentinel OpenAI's chat and text completion streams end with. */
export const DONE = '[DONE]';
