import { asError, mediaType, type Framing, type WireEvent } from './framing.js';

const encoder = new TextEncoder();

/**
 * Newline-delimited JSON, as Ollama's native API streams: one JSON document per line, no event
 * names, the last one `"done": true`. Lines are kept as text; what they mean is the API's business.
 */
export const ndjson: Framing = {
  name: 'ndjson',
  contentType: 'application/x-ndjson',
  matches: (contentType) => ['application/x-ndjson', 'application/ndjson', 'application/jsonl'].includes(mediaType(contentType)),
  read,
  encode: ({ data }) => encoder.encode(`${data}\n`),
};

async function read(body: ReadableStream<Uint8Array>, startedAt: number) {
  const events: WireEvent[] = [];
  const arrived = (line: string) => {
    // CRLF senders leave a \r; blank lines (keep-alives) carry nothing.
    const data = line.replace(/\r$/, '');
    if (data.trim()) events.push({ data, at: Math.round(performance.now() - startedAt) });
  };
  // A line may arrive in several chunks: only text up to a newline is a whole line.
  let pending = '';
  try {
    // The DOM typings lack what Node's streams have: TextDecoderStream's input and async iteration.
    const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
    for await (const text of body.pipeThrough(decoder) as unknown as AsyncIterable<string>) {
      const lines = (pending + text).split('\n');
      pending = lines.pop()!;
      lines.forEach(arrived);
    }
  } catch (error) {
    // The unfinished line is cut short, not an event.
    return { events, error: asError(error) };
  }
  // A body that ends cleanly may leave its last line without a newline.
  arrived(pending);
  return { events, error: undefined };
}
