import { crc32 } from 'node:zlib';
import { BedrockRuntimeClient, ConverseStreamCommand, ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { eventstream } from '../src/wire/eventstream.js';
import type { Framing } from '../src/wire/framing.js';
import { ndjson } from '../src/wire/ndjson.js';
import { sampleEvents, startWireUpstream, type StreamEvent } from './support/wire-upstream.js';

/** A body delivered as the given chunks, then failing with `error` if one is given. */
function body(chunks: Uint8Array[], error?: Error): ReadableStream<Uint8Array> {
  const left = [...chunks];
  // Chunk by chunk on demand: an error raised up front would discard the chunks still queued.
  return new ReadableStream({
    pull(controller) {
      const chunk = left.shift();
      if (chunk) controller.enqueue(chunk);
      else if (error) controller.error(error);
      else controller.close();
    },
  });
}

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
/** Every byte its own chunk: the worst a network can do. */
const bytewise = (bytes: Uint8Array) => [...bytes].map((byte) => Uint8Array.of(byte));
const text = (s: string) => new TextEncoder().encode(s);

async function readAll(framing: Framing, chunks: Uint8Array[], error?: Error) {
  const { events, error: failure } = await framing.read(body(chunks, error), performance.now());
  return { events: events.map(({ at: _at, ...event }) => event), error: failure };
}

describe('ndjson', () => {
  const events: StreamEvent[] = [{ data: '{"message":{"content":"Hi"},"done":false}' }, { data: '{"message":{"content":"!"},"done":true}' }];

  it('reads back what it encodes, one line per event, in one chunk or byte by byte', async () => {
    const bytes = concat(events.map((event) => ndjson.encode(event)));
    expect(new TextDecoder().decode(bytes)).toBe(`${events[0]!.data}\n${events[1]!.data}\n`);
    expect(await readAll(ndjson, [bytes])).toEqual({ events, error: undefined });
    expect(await readAll(ndjson, bytewise(bytes))).toEqual({ events, error: undefined });
  });

  it('takes CRLF line ends, blank lines and a last line without a newline', async () => {
    const bytes = text(`${events[0]!.data}\r\n\r\n${events[1]!.data}`);
    expect(await readAll(ndjson, bytewise(bytes))).toEqual({ events, error: undefined });
  });

  it('gives the whole lines before a failure and the error, not the cut line', async () => {
    const cut = new Error('socket hang up');
    const result = await readAll(ndjson, [text(`${events[0]!.data}\n{"message":{"con`)], cut);
    expect(result).toEqual({ events: [events[0]], error: cut });
  });

  it('gives arrival times from the start of the call', async () => {
    const startedAt = performance.now() - 50;
    const { events: read } = await ndjson.read(body([ndjson.encode(events[0]!)]), startedAt);
    expect(read[0]!.at).toBeGreaterThanOrEqual(50);
  });

  it('recognises its content-types', () => {
    expect(ndjson.matches('application/x-ndjson; charset=utf-8')).toBe(true);
    expect(ndjson.matches('application/json')).toBe(false);
  });
});

/**
 * An eventstream frame built by hand from the format's definition, not by the codec: total
 * length, headers length, prelude CRC32, headers (name length, name, type 7 = string, value
 * length, value), payload, message CRC32; all big-endian.
 */
function handFrame(headers: Record<string, string>, payload: string): Uint8Array {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name);
      const v = Buffer.from(value);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(v.length);
      return Buffer.concat([Buffer.of(n.length), n, Buffer.of(7), length, v]);
    }),
  );
  const body = Buffer.from(payload);
  const prelude = Buffer.alloc(8);
  prelude.writeUInt32BE(12 + headerBytes.length + body.length + 4, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  const preludeCrc = Buffer.alloc(4);
  preludeCrc.writeUInt32BE(crc32(prelude));
  const message = Buffer.concat([prelude, preludeCrc, headerBytes, body]);
  const messageCrc = Buffer.alloc(4);
  messageCrc.writeUInt32BE(crc32(message));
  return new Uint8Array(Buffer.concat([message, messageCrc]));
}

describe('eventstream', () => {
  const delta = { event: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"text":"Hi"}}' };

  it('writes the very frame Bedrock sends, and reads one built independently of the codec', async () => {
    const frame = handFrame({ ':message-type': 'event', ':event-type': delta.event, ':content-type': 'application/json' }, delta.data);
    expect(Buffer.from(eventstream.encode(delta)).equals(Buffer.from(frame))).toBe(true);
    expect(await readAll(eventstream, [frame])).toEqual({ events: [delta], error: undefined });
  });

  it('reads back every kind of frame it encodes: events, exceptions, errors', async () => {
    const events: StreamEvent[] = [
      { event: 'messageStart', data: '{"role":"assistant"}' },
      delta,
      { kind: 'exception', event: 'throttlingException', data: '{"message":"Too many tokens"}' },
      { kind: 'error', event: 'InternalFailure', data: 'the service failed' },
    ];
    const bytes = concat(events.map((event) => eventstream.encode(event)));
    // Several frames in one chunk, and each frame cut into single bytes.
    expect(await readAll(eventstream, [bytes])).toEqual({ events, error: undefined });
    expect(await readAll(eventstream, bytewise(bytes))).toEqual({ events, error: undefined });
  });

  it('gives the frames before a failure and the error; a body ending inside a frame is an error too', async () => {
    const whole = eventstream.encode(delta);
    const partial = eventstream.encode(delta).subarray(0, 20);
    const cut = new Error('socket hang up');
    expect(await readAll(eventstream, [whole, partial], cut)).toEqual({ events: [delta], error: cut });
    const truncated = await readAll(eventstream, [whole, partial]);
    expect(truncated.events).toEqual([delta]);
    expect(truncated.error?.message).toMatch(/truncated/i);
  });

  it('refuses a frame whose checksum is wrong', async () => {
    const frame = eventstream.encode(delta);
    frame[frame.length - 1]! ^= 0xff;
    const { events, error } = await readAll(eventstream, [frame]);
    expect(events).toEqual([]);
    expect(error?.message).toMatch(/checksum/i);
  });

  it('recognises its content-type', () => {
    expect(eventstream.matches('application/vnd.amazon.eventstream')).toBe(true);
    expect(eventstream.matches('application/json')).toBe(false);
  });
});

describe('eventstream frames through the real AWS SDK', () => {
  // The client speaks HTTP/2 by default (for its bidirectional streams); HTTP/1.1 is what MSW intercepts.
  const client = (endpoint: string) =>
    new BedrockRuntimeClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });
  const converse = { modelId: 'anthropic.claude-3-haiku', messages: [{ role: 'user' as const, content: [{ text: 'Hi' }] }] };

  for (const sample of ['amazon-bedrock-text', 'amazon-bedrock-tool-call.1']) {
    it(`ConverseStream gets the events of ${sample}, split across network chunks`, async () => {
      const events = await sampleEvents(sample);
      const upstream = await startWireUpstream({ framing: 'eventstream', events, pieceBytes: 29 });
      const { stream } = await client(upstream.origin).send(new ConverseStreamCommand(converse));
      const got: unknown[] = [];
      for await (const event of stream!) got.push(event);
      // The SDK keeps only the fields its model knows; this client version has no `serverToolUsage`.
      const modeled = (key: string, value: unknown) => (key === 'serverToolUsage' ? undefined : value);
      expect(got).toEqual(events.map(({ event, data }) => ({ [event!]: JSON.parse(data, modeled) })));
      expect(upstream.requests[0]).toMatchObject({ method: 'POST', url: '/model/anthropic.claude-3-haiku/converse-stream' });
    });
  }

  it('ConverseStream throws the SDK exception class an exception frame names', async () => {
    const events: StreamEvent[] = [
      { event: 'messageStart', data: '{"role":"assistant"}' },
      { kind: 'exception', event: 'throttlingException', data: '{"message":"Too many tokens"}' },
    ];
    const upstream = await startWireUpstream({ framing: 'eventstream', events });
    const { stream } = await client(upstream.origin).send(new ConverseStreamCommand(converse));
    const got: unknown[] = [];
    const failure = await (async () => {
      for await (const event of stream!) got.push(event);
    })().catch((error: unknown) => error);
    expect(got).toEqual([{ messageStart: { role: 'assistant' } }]);
    expect(failure).toBeInstanceOf(ThrottlingException);
    expect((failure as Error).message).toBe('Too many tokens');
  });
});
