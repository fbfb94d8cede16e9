import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/**
 * A real OpenAI-compatible server on 127.0.0.1 for record-mode tests. What it does is
 * chosen by the request's `model`, so one server covers every scenario:
 * - `gpt-test`: answers `words` (from the last user message, split on spaces) as chunks;
 * - `slow`: the same, `gapMs` apart;
 * - `drop`: sends two chunks, then destroys the connection;
 * - `cut`: sends two chunks, then ends the answer cleanly, without [DONE] (POST /responses: without
 *   response.completed), as a proxy that gives up may;
 * - `tool`: streams a call of the tool `get_weather` with arguments `{"city":"Paris"}`, and ends
 *   the body `gapMs` after its [DONE];
 * - `stall`: sends two chunks, then nothing more, keeping the connection open until the test ends;
 * - `error-<status>`: an OpenAI-style error with that status;
 * - `proxy-400`, `proxy-400-text`: a 400 that is not OpenAI-style, as a proxy may send: `{ "detail" }`, or plain text;
 * - `echo-auth`: answers with the authorization header it received;
 * - `echo`: answers `echo <n>: <last message>`, n counting requests, so identical requests get
 *   different answers (a recording shows which request it came from);
 * - `not-json`: a 200 that is not JSON (an HTML page; with `stream`, an SSE event whose data is text).
 * POST /responses answers "Hi there" (see `responses`), `slow` pacing its events as well.
 */
export interface Upstream {
  baseURL: string;
  /** Requests received, in order. */
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: unknown }[];
  /** The last message of each chat request received, in order. */
  asked(): string[];
  /** performance.now() when the last chunk of the latest stream was written, or undefined while it streams. */
  lastChunkSentAt: number | undefined;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** Pace of `slow` and `drop` chunks. Default 200 ms. */
  gapMs?: number;
  /** Hold every answer until this many requests have arrived, so they are provably in flight together. */
  together?: number;
}

/** A fresh upstream, closed after the test that started it. */
export async function startUpstream({ gapMs = 200, together = 1 }: UpstreamOptions = {}): Promise<Upstream> {
  const upstream: Upstream = {
    baseURL: '',
    requests: [],
    asked: () => upstream.requests.map(({ body }) => (body as Body | null)?.messages?.at(-1)?.content ?? ''),
    lastChunkSentAt: undefined,
    close: async () => {},
  };
  const waiting: (() => void)[] = [];
  const server = await loopbackServer(async (req, res) => {
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    // An upload (multipart) is kept as its text: some tests send one to see that it gets here.
    const body = text ? jsonOrText(text) : null;
    upstream.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (upstream.requests.length >= together) waiting.splice(0).forEach((release) => release());
    });
    try {
      await answer(req, res, typeof body === 'object' ? (body as Body | null) : null, gapMs, upstream);
    } catch {
      res.destroy();
    }
  });
  upstream.baseURL = `${server.origin}/v1`;
  upstream.close = server.close;
  return upstream;
}

export interface LoopbackServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** Drops open connections and stops; also done after the test. */
  close(): Promise<void>;
}

const running = new Set<Server>();
afterEach(() => Promise.all([...running].map(stop)));

/** An HTTP server on 127.0.0.1 for one test: closed after it, whatever the test did. */
export async function loopbackServer(listener: RequestListener): Promise<LoopbackServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.add(server);
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, port, close: () => stop(server) };
}

function stop(server: Server): Promise<void> {
  if (!running.delete(server)) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The parts of a request body the scenarios look at. */
interface Body {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: { role: string; content: string }[];
}

async function answer(req: IncomingMessage, res: ServerResponse, body: Body | null, gapMs: number, upstream: Upstream) {
  const path = new URL(req.url!, 'http://x').pathname;
  if (req.method === 'GET' && path.endsWith('/models')) {
    return json(res, 200, { object: 'list', data: [{ id: 'gpt-test', object: 'model', created: 1700000000, owned_by: 'test' }] });
  }
  const model: string = body?.model ?? '';
  if (model === 'proxy-400') return json(res, 400, { detail: 'bad request' });
  if (model === 'proxy-400-text') {
    res.writeHead(400, { 'content-type': 'text/plain' });
    return res.end('bad request');
  }
  if (model.startsWith('error-')) {
    const status = Number(model.slice('error-'.length));
    return json(res, status, { error: { message: `upstream says ${status}`, type: 'invalid_request_error', param: null, code: `code_${status}` } });
  }
  if (model === 'not-json') {
    res.writeHead(200, { 'content-type': body?.stream ? 'text/event-stream' : 'text/html' });
    return res.end(body?.stream ? 'data: warming up\n\ndata: [DONE]\n\n' : '<html>proxy login</html>');
  }
  if (path.endsWith('/embeddings')) {
    return json(res, 200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2] }], model, usage: { prompt_tokens: 2, total_tokens: 2 } });
  }
  if (path.endsWith('/responses')) return responses(res, body, gapMs);

  const last = [...(body?.messages ?? [])].reverse().find((m) => m.role === 'user');
  const n = upstream.requests.findIndex((request) => request.body === body) + 1;
  const words: string[] =
    model === 'echo-auth' ? [String(req.headers.authorization)] : (model === 'echo' ? `echo ${n}: ${last?.content}` : String(last?.content ?? 'hello')).split(' ');
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  const created = Math.floor(Date.now() / 1000);
  if (!body?.stream) {
    return json(res, 200, {
      id, object: 'chat.completion', created, model,
      choices: [{ index: 0, message: { role: 'assistant', content: words.join(' ') }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 1, completion_tokens: words.length, total_tokens: words.length + 1 },
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': id });
  upstream.lastChunkSentAt = undefined;
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
  if (model === 'tool') {
    // A streamed tool call, as OpenAI sends one: the call announced, then its arguments in pieces.
    const call = (fn: object, extra: object = {}) => ({ tool_calls: [{ index: 0, ...extra, function: fn }] });
    res.write(chunk({ role: 'assistant', content: null, ...call({ name: 'get_weather', arguments: '' }, { id: 'call_1', type: 'function' }) }));
    for (const piece of ['{"city":', '"Paris"}']) res.write(chunk(call({ arguments: piece })));
    res.write(chunk({}, 'tool_calls'));
    // The end of the body comes a moment after [DONE], as it may over a real network.
    res.write('data: [DONE]\n\n');
    await sleep(gapMs);
    return res.end();
  }
  for (const [i, word] of words.entries()) {
    if (model === 'drop' && i === 2) return res.destroy();
    if (model === 'cut' && i === 2) return res.end();
    if (model === 'stall' && i === 2) return;
    res.write(chunk(i === 0 ? { role: 'assistant', content: word } : { content: ` ${word}` }));
    if (model === 'slow' || model === 'drop') await sleep(gapMs);
  }
  res.write(chunk({}, 'stop'));
  if (body.stream_options?.include_usage) {
    // As OpenAI does: one more chunk, with no choices, that carries the usage.
    const usage = { prompt_tokens: 1, completion_tokens: words.length, total_tokens: words.length + 1 };
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
  upstream.lastChunkSentAt = performance.now();
}

/**
 * A Responses API answer ("Hi there"), shaped like OpenAI's, because the AI SDK validates every
 * event: the output item and its content part are announced before the deltas and closed
 * after them, and response.completed carries usage. One custom-named event (`ping`) sits
 * between the deltas. Without `stream`, the completed response as JSON.
 */
async function responses(res: ServerResponse, body: Body | null, gapMs: number) {
  const deltas = ['Hi', ' there'];
  const text = deltas.join('');
  const base = { id: 'resp_123', object: 'response', created_at: 1700000000, model: body?.model, usage: null };
  const part = { type: 'output_text', annotations: [], logprobs: [] };
  const message = { id: 'msg_1', type: 'message', role: 'assistant' };
  const done = { ...message, status: 'completed', content: [{ ...part, text }] };
  const usage = { input_tokens: 3, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 5 };
  const completed = { ...base, status: 'completed', output: [done], usage };
  if (!body?.stream) return json(res, 200, completed);

  const inProgress = { ...base, status: 'in_progress', output: [] };
  const position = { item_id: message.id, output_index: 0, content_index: 0 };
  const events: [string, object][] = [
    ['response.created', { response: inProgress }],
    ['response.in_progress', { response: inProgress }],
    ['response.output_item.added', { output_index: 0, item: { ...message, status: 'in_progress', content: [] } }],
    ['response.content_part.added', { ...position, part: { ...part, text: '' } }],
    ['response.output_text.delta', { ...position, delta: deltas[0], logprobs: [] }],
    ['ping', { type: 'keepalive' }],
    ['response.output_text.delta', { ...position, delta: deltas[1], logprobs: [] }],
    ['response.output_text.done', { ...position, text, logprobs: [] }],
    ['response.content_part.done', { ...position, part: { ...part, text } }],
    ['response.output_item.done', { output_index: 0, item: done }],
    ['response.completed', { response: completed }],
  ];
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const [i, [name, data]] of events.entries()) {
    if (body?.model === 'cut' && name === 'response.completed') break;
    res.write(`event: ${name}\ndata: ${JSON.stringify({ type: name, sequence_number: i, ...data })}\n\n`);
    if (body?.model === 'slow') await sleep(gapMs);
  }
  res.end();
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
