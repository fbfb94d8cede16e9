import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { loopbackServer } from './upstream.js';

/**
 * A real Anthropic Messages server on 127.0.0.1, answering with the event sequences Anthropic
 * sent in real traffic (tests/samples/anthropic/event-streams), framed as
 * Anthropic frames them: `event: <type>` then `data: <json>`. Each answer gets a fresh message
 * id, as the real API gives, so only normalization makes two recordings alike. The request's
 * `model` picks the scenario:
 * - `claude-text` (any other name too): a text answer;
 * - `claude-thinking`: thinking with its signature, then text;
 * - `claude-tool`: text, then a call of `updateIssueList` with id `toolu_01QE1WLsSVp5hy5Q3GmGTmjP`;
 *   once the last message carries a tool_result, the text answer;
 * - `cut`: the text answer's events without message_stop, the body ended cleanly;
 * - `drop`: three events, then the connection destroyed;
 * - `overloaded`: three events, then an `error` event (overloaded_error), as Anthropic sends mid-stream;
 * - `error-400`: Anthropic's invalid_request_error with status 400;
 * - `echo-key`: the text answer, with the credential it received (x-api-key, or authorization) as one more text delta.
 * Without `stream`, the same events put together into the message, as JSON.
 */
export interface AnthropicUpstream {
  /** http://127.0.0.1:PORT: the Anthropic SDK's baseURL (it appends /v1/...). */
  origin: string;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: unknown }[];
  close(): Promise<void>;
}

const SAMPLES = path.resolve(import.meta.dirname, '../samples/anthropic/event-streams');

function events(name: string): Record<string, unknown>[] {
  return readFileSync(path.join(SAMPLES, `anthropic-${name}.chunks.txt`), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const SCENARIOS = { text: events('text'), thinking: events('clear-thinking.1'), tool: events('tool-no-args') };

export const MODELS = [
  { type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
  { type: 'model', id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5', created_at: '2025-10-01T00:00:00Z' },
];

interface Body {
  model?: string;
  stream?: boolean;
  messages?: { role: string; content: unknown }[];
}

export async function startAnthropicUpstream(): Promise<AnthropicUpstream> {
  const upstream: AnthropicUpstream = { origin: '', requests: [], close: async () => {} };
  const server = await loopbackServer(async (req, res) => {
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    const body = (text ? JSON.parse(text) : null) as Body | null;
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

async function answer(req: IncomingMessage, res: ServerResponse, body: Body | null) {
  const url = new URL(req.url!, 'http://x');
  if (req.method === 'GET' && url.pathname.endsWith('/v1/models')) {
    return json(res, 200, { data: MODELS, has_more: false, first_id: MODELS[0]!.id, last_id: MODELS.at(-1)!.id });
  }
  if (url.pathname.endsWith('/v1/messages/count_tokens')) return json(res, 200, { input_tokens: 12 });
  const model = body?.model ?? '';
  if (model === 'error-400') {
    return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' }, request_id: 'req_011CTest' });
  }
  const sequence = withFreshId(scenarioOf(model, body, String(req.headers['x-api-key'] ?? req.headers.authorization)));
  if (!body?.stream) return json(res, 200, assemble(sequence));
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_011CTest' });
  const write = (event: Record<string, unknown>) => res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  for (const [i, event] of sequence.entries()) {
    if (model === 'drop' && i === 3) {
      // Once what was written has gone out: destroying at once would discard it unsent.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return res.destroy();
    }
    if (model === 'overloaded' && i === 3) {
      write({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      return res.end();
    }
    if (model === 'cut' && event.type === 'message_stop') return res.end();
    write(event);
  }
  res.end();
}

function scenarioOf(model: string, body: Body | null, key: string): Record<string, unknown>[] {
  if (model === 'claude-thinking') return SCENARIOS.thinking;
  const last = body?.messages?.at(-1)?.content;
  const answered = Array.isArray(last) && last.some((block: { type?: string }) => block.type === 'tool_result');
  if (model === 'claude-tool' && !answered) return SCENARIOS.tool;
  if (model === 'echo-key') {
    const echo = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ` key ${key}` } };
    const at = SCENARIOS.text.findIndex((event) => event.type === 'content_block_stop');
    return [...SCENARIOS.text.slice(0, at), echo, ...SCENARIOS.text.slice(at)];
  }
  return SCENARIOS.text;
}

/** The sequence with a message id of its own, as each real answer has. */
function withFreshId(sequence: Record<string, unknown>[]): Record<string, unknown>[] {
  const id = `msg_01${Math.random().toString(36).slice(2, 14)}`;
  return sequence.map((event) => (event.type === 'message_start' ? { ...event, message: { ...(event.message as object), id } } : event));
}

/** The whole message a stream's events make: what the API answers without `stream`. */
export function assemble(sequence: Record<string, unknown>[]): Record<string, unknown> {
  let message: Record<string, unknown> = {};
  const blocks: Record<string, unknown>[] = [];
  const json: string[] = [];
  for (const event of sequence) {
    const index = Number(event.index);
    const delta = event.delta as Record<string, string>;
    if (event.type === 'message_start') message = { ...(event.message as object) };
    if (event.type === 'content_block_start') blocks[index] = { ...(event.content_block as object) };
    if (event.type === 'content_block_delta') {
      const block = blocks[index]!;
      if (delta.type === 'text_delta') block.text = `${String(block.text)}${delta.text}`;
      if (delta.type === 'thinking_delta') block.thinking = `${String(block.thinking)}${delta.thinking}`;
      if (delta.type === 'signature_delta') block.signature = delta.signature;
      if (delta.type === 'input_json_delta') json[index] = `${json[index] ?? ''}${delta.partial_json}`;
    }
    if (event.type === 'content_block_stop' && json[index]) blocks[index]!.input = JSON.parse(json[index]);
    if (event.type === 'message_delta') message = { ...message, ...(event.delta as object), usage: { ...(message.usage as object), ...(event.usage as object) } };
  }
  return { ...message, content: blocks };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_011CTest' });
  res.end(JSON.stringify(body));
}
