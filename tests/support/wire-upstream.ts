import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { eventstream } from '../../src/wire/eventstream.js';
import type { Framing, WireEvent } from '../../src/wire/framing.js';
import { ndjson } from '../../src/wire/ndjson.js';
import { loopbackServer } from './upstream.js';

/** An event to serve: what a Framing encodes. */
export type StreamEvent = Omit<WireEvent, 'at'>;

/** What the upstream answers one request with. */
export type WireAnswer =
  /** A JSON body; with a status >= 400 it is an API error as that API shapes it. */
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | {
      framing: 'sse' | 'ndjson' | 'eventstream';
      events: StreamEvent[];
      /** Pause between events. Default 0. */
      gapMs?: number;
      /** Destroy the connection after this many events. */
      drop?: number;
      /** After this many events send nothing more, holding the connection open until the test ends. */
      stall?: number;
      /** Write the body in pieces of this many bytes, a pause apart, so events arrive split across chunks. */
      pieceBytes?: number;
      headers?: Record<string, string>;
    };

export interface WireRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingMessage['headers'];
  /** The body as text ('' when none). */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
}

export interface WireUpstream {
  /** http://127.0.0.1:PORT, no path. */
  origin: string;
  /** Requests received, in order. */
  requests: WireRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that speaks any of the stream framings of issue #12's APIs, for
 * record-mode tests through real clients. `answer` is one answer for every request, or chosen
 * per request (by path, say). Closed after the test that started it.
 */
export async function startWireUpstream(answer: WireAnswer | ((request: WireRequest) => WireAnswer)): Promise<WireUpstream> {
  const requests: WireRequest[] = [];
  const server = await loopbackServer(async (req, res) => {
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    const request: WireRequest = { method: req.method!, url: req.url!, headers: req.headers, text, body: parseJson(text) };
    requests.push(request);
    try {
      await serve(res, typeof answer === 'function' ? answer(request) : answer);
    } catch {
      res.destroy();
    }
  });
  return { origin: server.origin, requests, close: server.close };
}

const encoder = new TextEncoder();

/** SSE as these APIs send it; the engine's own SSE module is not used, so the test does not grade itself. */
const sse: Pick<Framing, 'contentType' | 'encode'> = {
  contentType: 'text/event-stream',
  encode: ({ event, data }) =>
    encoder.encode(`${event === undefined ? '' : `event: ${event}\n`}${data.split('\n').map((line) => `data: ${line}\n`).join('')}\n`),
};

const framings = { sse, ndjson, eventstream };

async function serve(res: ServerResponse, answer: WireAnswer) {
  if ('json' in answer) {
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
    return res.end(JSON.stringify(answer.json));
  }
  const framing = framings[answer.framing];
  res.writeHead(200, { 'content-type': framing.contentType, ...answer.headers });
  for (const [i, event] of answer.events.entries()) {
    // The pause comes first, so a drop or stall also happens a gap after the last event sent.
    if (i > 0 && answer.gapMs) await sleep(answer.gapMs);
    if (i === answer.drop) return res.destroy();
    if (i === answer.stall) return;
    await write(res, framing.encode(event), answer.pieceBytes);
  }
  if (answer.events.length === answer.stall) return;
  if (answer.events.length === answer.drop) return res.destroy();
  res.end();
}

/** Writes and waits until the bytes are handed to the socket, so a drop right after loses none of them. */
async function write(res: ServerResponse, bytes: Uint8Array, pieceBytes = bytes.length) {
  for (let start = 0; start < bytes.length; start += pieceBytes) {
    if (start > 0) await sleep(5); // so pieces leave as separate TCP segments rather than one
    await new Promise<void>((resolve, reject) => res.write(bytes.subarray(start, start + pieceBytes), (error) => (error ? reject(error) : resolve())));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const EVENT_STREAMS = path.resolve(import.meta.dirname, '../../../shared/samples/providers/event-streams');

/**
 * The events of a real answer in ../shared/samples/providers/event-streams (`name` without
 * `.chunks.txt`), named as each API names them on the wire: Anthropic and Cohere by their `type`,
 * Gemini Interactions by `event_type`, Bedrock by the single key of each line (its value is the
 * payload), Gemini generateContent not at all.
 */
export async function sampleEvents(name: string): Promise<StreamEvent[]> {
  const named = naming(name);
  const file = path.join(EVENT_STREAMS, `${name}.chunks.txt`);
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim());
  return lines.map((line, i) => {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${file}:${i + 1} is not JSON (${(error as Error).message}); each line of a .chunks.txt is one event's JSON`);
    }
    return named(value, line);
  });
}

function naming(name: string): (value: Record<string, unknown>, line: string) => StreamEvent {
  if (name.startsWith('anthropic-') || name.startsWith('cohere-')) return (value, line) => ({ event: String(value.type), data: line });
  if (name.startsWith('google-interactions-')) return (value, line) => ({ event: String(value.event_type), data: line });
  if (name.startsWith('google-')) return (_value, line) => ({ data: line });
  if (name.startsWith('amazon-bedrock-')) {
    return (value) => {
      const [event, ...more] = Object.keys(value);
      if (event === undefined || more.length) throw new Error(`${name}: a Bedrock event line has one key, its event type; got ${JSON.stringify(Object.keys(value))}`);
      return { event, data: JSON.stringify(value[event]) };
    };
  }
  throw new Error(`${name}: no known API for this sample (expected a name starting anthropic-, cohere-, google-, amazon-bedrock-)`);
}
