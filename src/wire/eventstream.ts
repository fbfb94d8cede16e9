import { EventStreamCodec, getChunkedStream, type Message, type MessageHeaders } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { asError, mediaType, type Framing, type WireEvent } from './framing.js';

/*
 * AWS eventstream, as Bedrock's ConverseStream and InvokeModelWithResponseStream answer: binary
 * frames (prelude with lengths and CRC, typed headers, payload, CRC). The parsing and encoding are
 * the AWS SDK's own (@smithy/core, which @aws-sdk/client-bedrock-runtime itself runs on): a frame
 * we write is then exactly one the SDK reads, and CRCs, header types and frames split across
 * network chunks are handled by code that Bedrock's clients already depend on. (@smithy/eventstream-codec
 * and @smithy/util-utf8 are now deprecated re-exports of these same @smithy/core modules.)
 */
const codec = new EventStreamCodec(toUtf8, fromUtf8);

export const eventstream: Framing = {
  name: 'eventstream',
  contentType: 'application/vnd.amazon.eventstream',
  matches: (contentType) => mediaType(contentType) === 'application/vnd.amazon.eventstream',
  read,
  encode: (event) => codec.encode(frame(event)),
};

async function read(body: ReadableStream<Uint8Array>, startedAt: number) {
  const events: WireEvent[] = [];
  try {
    // getChunkedStream yields each frame as soon as its last byte arrives, however the network cut it.
    // Node's ReadableStream is async iterable; the DOM typings do not say so.
    for await (const bytes of getChunkedStream(body as unknown as AsyncIterable<Uint8Array>)) {
      events.push({ ...wireEvent(codec.decode(bytes)), at: Math.round(performance.now() - startedAt) });
    }
    return { events, error: undefined };
  } catch (error) {
    return { events, error: asError(error) };
  }
}

function wireEvent({ headers, body }: Message): Omit<WireEvent, 'at'> {
  const header = (name: string) => {
    const value = headers[name]?.value;
    return value === undefined ? undefined : String(value);
  };
  const type = header(':message-type');
  if (type === 'event') return { event: header(':event-type'), data: toUtf8(body) };
  if (type === 'exception') return { kind: 'exception', event: header(':exception-type'), data: toUtf8(body) };
  if (type === 'error') return { kind: 'error', event: header(':error-code'), data: header(':error-message') ?? '' };
  throw new Error(`an eventstream frame with :message-type ${JSON.stringify(type)}; expected event, exception or error`);
}

/** The frame Bedrock sends for an event: the headers its SDK reads, a JSON payload. */
function frame({ event, data, kind }: Omit<WireEvent, 'at'>): Message {
  const text = (value: string) => ({ type: 'string' as const, value });
  if (kind === 'error') {
    const headers: MessageHeaders = { ':message-type': text('error'), ':error-code': text(event ?? 'UnknownError'), ':error-message': text(data) };
    return { headers, body: new Uint8Array() };
  }
  const headers: MessageHeaders =
    kind === 'exception'
      ? { ':message-type': text('exception'), ':exception-type': text(event ?? 'UnknownError') }
      : { ':message-type': text('event'), ...(event === undefined ? {} : { ':event-type': text(event) }) };
  headers[':content-type'] = text('application/json');
  return { headers, body: fromUtf8(data) };
}
