import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { loopbackServer } from './upstream.js';

/**
 * A real server on 127.0.0.1 that speaks Google's Gemini API, Vertex AI's publisher endpoints and
 * Claude on Vertex, with the real answers of ../shared/samples/providers/event-streams (google-*,
 * anthropic-*). Fresh ids each time, as the real API gives, so normalization shows. What it does is
 * chosen by the last text of the request:
 * - `cut`: a generateContent stream whose chunks stop before the one with finishReason, ended cleanly;
 *   an Interactions stream without its final event; a Claude stream without message_stop;
 * - `drop`: two chunks, then the connection destroyed;
 * - `bad`: a 400 in Google's error shape;
 * - `tool`: a functionCall with its id and thought signature;
 * - `usage-last` (streamed): after the chunk with finishReason, one more with only usageMetadata;
 * - `blocked` (streamed): one chunk with promptFeedback.blockReason and no candidates, as for a blocked prompt.
 */
export interface GeminiUpstream {
  origin: string;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: unknown }[];
}

const SAMPLES = path.resolve(import.meta.dirname, '../../../shared/samples/providers/event-streams');
const lines = (name: string) =>
  readFileSync(path.join(SAMPLES, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim());
const sample = (name: string) => JSON.parse(readFileSync(path.join(SAMPLES, name), 'utf8')) as Record<string, unknown>;

export const REASONING_CHUNKS = lines('google-reasoning.chunks.txt').map((line) => JSON.parse(line) as Record<string, unknown>);
export const REASONING = sample('google-reasoning.json');
export const INTERACTION_EVENTS = lines('google-interactions-basic.chunks.txt').map((line) => JSON.parse(line) as Record<string, unknown>);
export const INTERACTION = sample('google-interactions-basic.json');
export const CLAUDE_EVENTS = lines('anthropic-text.chunks.txt').map((line) => JSON.parse(line) as Record<string, unknown>);
export const CLAUDE = sample('anthropic-text.json');

export const TOOL_CALL = { id: 'call-kept-7x', name: 'get_weather', args: { city: 'Paris' } };
export const TOOL_SIGNATURE = 'CiQBsignature-sent-back-next-turn==';

let served = 0;
/** An id that differs on every answer, as the real API's do. */
const fresh = (prefix: string) => `${prefix}${Date.now().toString(36)}${(served++).toString(36)}`;

export async function startGeminiUpstream(): Promise<GeminiUpstream> {
  const upstream: GeminiUpstream = { origin: '', requests: [] };
  const server = await loopbackServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    upstream.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    try {
      await answer(new URL(req.url!, 'http://x').pathname, req.method!, body, res);
    } catch {
      res.destroy();
    }
  });
  upstream.origin = server.origin;
  return upstream;
}

/** The last text of a Gemini, Interactions or Anthropic request body. */
function lastText(body: Record<string, unknown> | null): string {
  if (!body) return '';
  if (typeof body.input === 'string') return body.input;
  const contents = (body.contents ?? body.messages ?? (body.requests as { content?: unknown }[] | undefined)?.map((request) => request.content)) as { parts?: { text?: string }[]; content?: unknown }[] | undefined;
  const last = contents?.at(-1);
  if (typeof last?.content === 'string') return last.content;
  if (Array.isArray(last?.content)) return String((last.content as { text?: string }[]).at(-1)?.text ?? '');
  return last?.parts?.at(-1)?.text ?? '';
}

async function answer(pathname: string, method: string, body: Record<string, unknown> | null, res: ServerResponse) {
  const asked = lastText(body);
  if (method === 'GET' && pathname.endsWith('/models')) return json(res, 200, { models: [{ name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash' }] });
  if (asked === 'bad') return json(res, 400, { error: { code: 400, message: 'upstream says: contents is not valid', status: 'INVALID_ARGUMENT' } });
  const claude = pathname.includes('/publishers/anthropic/');
  const responseId = fresh('resp-');
  if (pathname.endsWith(':streamRawPredict')) {
    const id = fresh('msg_vrtx_');
    const events = CLAUDE_EVENTS.map((event) => (event.type === 'message_start' ? { ...event, message: { ...(event.message as object), id } } : event));
    return stream(res, asked, events.map((event) => ({ event: String(event.type), data: event })), 'message_stop');
  }
  if (claude) return json(res, 200, { ...CLAUDE, id: fresh('msg_vrtx_') });
  if (pathname.endsWith(':streamGenerateContent')) {
    const chunks: Record<string, unknown>[] = asked === 'tool' ? [toolAnswer(responseId)] : asked === 'blocked' ? [{ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 }, responseId }] : REASONING_CHUNKS.map((chunk) => ({ ...chunk, responseId }));
    if (asked === 'usage-last') chunks.push({ usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 29, totalTokenCount: 294 }, modelVersion: 'gemini-3-pro-preview', responseId });
    return stream(res, asked, chunks.map((data) => ({ data })), undefined);
  }
  if (pathname.endsWith(':generateContent')) return json(res, 200, asked === 'tool' ? toolAnswer(responseId) : { ...REASONING, responseId });
  if (pathname.endsWith(':countTokens')) return json(res, 200, { totalTokens: 9, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 9 }] });
  if (pathname.endsWith(':batchEmbedContents')) {
    return json(res, 200, { embeddings: ((body?.requests as unknown[]) ?? []).map((_, i) => ({ values: [0.25, -0.5, i] })) });
  }
  if (pathname.endsWith(':embedContent')) return json(res, 200, { embedding: { values: [0.25, -0.5, 0] } });
  if (pathname.endsWith('/interactions')) {
    if (!body?.stream) return json(res, 200, INTERACTION);
    return stream(res, asked, INTERACTION_EVENTS.map((event) => ({ event: String(event.event_type), data: event })), 'interaction.completed');
  }
  return json(res, 404, { error: { code: 404, message: `no such path ${pathname}`, status: 'NOT_FOUND' } });
}

function toolAnswer(responseId: string) {
  return {
    candidates: [{ content: { role: 'model', parts: [{ functionCall: TOOL_CALL, thoughtSignature: TOOL_SIGNATURE }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 },
    modelVersion: 'gemini-2.5-flash',
    responseId,
  };
}

/** SSE as Google and Anthropic send it: `event:` only where the API names events. */
async function stream(res: ServerResponse, asked: string, events: { event?: string; data: unknown }[], last: string | undefined) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // `cut`: everything before the event that says the answer is complete.
  const cut = asked === 'cut' ? events.filter(({ event, data }) => (last ? event !== last : !JSON.stringify(data).includes('finishReason'))) : events;
  for (const [i, { event, data }] of cut.entries()) {
    if (asked === 'drop' && i === 2) return res.destroy();
    await new Promise<void>((resolve, reject) => res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`, (error) => (error ? reject(error) : resolve())));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  res.end();
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
