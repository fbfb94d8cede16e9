import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { loopbackServer } from './upstream.js';

/**
 * A Cohere v2 server on 127.0.0.1 that answers with real Cohere traffic (the vercel/ai fixtures in
 * ../shared/samples/providers/event-streams), as Cohere frames it: SSE, `event: <type>` then
 * `data: <json>`, no terminator after `message-end`. Every answer gets a fresh generation id, as
 * Cohere's do. What it does is chosen by the request's `model`:
 * - anything else: the text answer ("The capital of France is Paris.");
 * - `tool`: two tool calls (weather, cityAttractions) after a tool plan;
 * - `thinking`: a thinking block, then text (constructed in the shape Cohere's reasoning models stream);
 * - `echo`: the text answer, with the last user message as its text;
 * - `cut`: the text stream, ending cleanly before message-end, as a proxy that gives up may;
 * - `drop`: the text stream, destroying the connection after three events;
 * - `error-<status>`: a Cohere error (`{id, message}`) with that status.
 * POST /v2/embed answers float embeddings, one per text; POST /v2/rerank scores the documents.
 */
export interface CohereUpstream {
  origin: string;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: Json }[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const EVENT_STREAMS = path.resolve(import.meta.dirname, '../../../shared/samples/providers/event-streams');
const lines = (name: string): Json[] =>
  readFileSync(path.join(EVENT_STREAMS, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Json);

export const TEXT_EVENTS = lines('cohere-text.chunks.txt');
export const TOOL_EVENTS = lines('cohere-tool-call.chunks.txt');
export const TEXT_ANSWER = JSON.parse(readFileSync(path.join(EVENT_STREAMS, 'cohere-text.json'), 'utf8')) as Json;
export const TOOL_CALLS = [
  { id: 'weather_e8p4pn45zt0t', name: 'weather', arguments: '{"location": "San Francisco"}' },
  { id: 'cityAttractions_pyxssbwnq9fq', name: 'cityAttractions', arguments: '{"city": "San Francisco"}' },
];
export const THINKING = 'The user asks for the capital of France, which is Paris.';

/** A reasoning answer: the text sample's events with a thinking block (index 0) before the text (now index 1). */
const THINKING_EVENTS: Json[] = [
  TEXT_EVENTS[0]!,
  { type: 'content-start', index: 0, delta: { message: { content: { type: 'thinking', thinking: '' } } } },
  ...THINKING.split(/(?= )/).map((piece) => ({ type: 'content-delta', index: 0, delta: { message: { content: { thinking: piece } } } })),
  { type: 'content-end', index: 0 },
  ...TEXT_EVENTS.slice(1).map((event) => ('index' in event ? { ...event, index: 1 } : event)),
];

export async function startCohereUpstream(): Promise<CohereUpstream> {
  const upstream: CohereUpstream = { origin: '', requests: [], close: async () => {} };
  const server = await loopbackServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = (text ? JSON.parse(text) : {}) as Json;
    upstream.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    try {
      await answer(req, res, body);
    } catch {
      res.destroy();
    }
  });
  upstream.origin = server.origin;
  upstream.close = server.close;
  return upstream;
}

const freshId = () => crypto.randomUUID();

async function answer(req: IncomingMessage, res: ServerResponse, body: Json) {
  const model = String(body.model ?? '');
  if (model.startsWith('error-')) {
    const status = Number(model.slice('error-'.length));
    return json(res, status, { id: freshId(), message: `invalid request: upstream says ${status}` });
  }
  const path = new URL(req.url!, 'http://x').pathname;
  const meta = { api_version: { version: '2' }, billed_units: { input_tokens: 4 } };
  if (path.endsWith('/v2/embed')) {
    const texts = (body.texts ?? []) as string[];
    return json(res, 200, { id: freshId(), embeddings: { float: texts.map((_, i) => [0.25 * (i + 1), -0.5, 0.125]) }, texts, meta, response_type: 'embeddings_by_type' });
  }
  if (path.endsWith('/v2/rerank')) {
    const documents = (body.documents ?? []) as string[];
    const results = documents.map((_, index) => ({ index, relevance_score: 1 / (index + 2) })).sort((a, b) => b.relevance_score - a.relevance_score);
    return json(res, 200, { id: freshId(), results, meta });
  }
  const messages = (body.messages ?? []) as { role: string; content: unknown }[];
  const asked = messages.filter((message) => message.role === 'user').at(-1)?.content;
  const events = model === 'tool' ? TOOL_EVENTS : model === 'thinking' ? THINKING_EVENTS : model === 'echo' ? echoEvents(String(asked)) : TEXT_EVENTS;
  const id = freshId();
  if (!body.stream) return json(res, 200, model === 'echo' ? { ...TEXT_ANSWER, id, message: { role: 'assistant', content: [{ type: 'text', text: String(asked) }] } } : { ...TEXT_ANSWER, id });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [i, event] of events.entries()) {
    if (model === 'cut' && event.type === 'message-end') break;
    if (model === 'drop' && i === 3) return res.destroy();
    const data = i === 0 ? { ...event, id } : event;
    await new Promise<void>((resolve) => res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(data)}\n\n`, () => resolve()));
  }
  res.end();
}

/** The text answer's events with `text` as its one content delta. */
function echoEvents(text: string): Json[] {
  return [...TEXT_EVENTS.slice(0, 2), { type: 'content-delta', index: 0, delta: { message: { content: { text } } } }, ...TEXT_EVENTS.slice(-2)];
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
