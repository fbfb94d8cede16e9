import { createServer, type IncomingMessage } from 'node:http';
import { afterEach } from 'vitest';

export interface Upstream {
  /** The base URL to give the openai SDK, e.g. http://127.0.0.1:PORT/v1. */
  baseURL: string;
  /** The chat request bodies received, in order of arrival. */
  requests: { messages: { content: string }[] }[];
}

export interface UpstreamOptions {
  /** Hold every answer until this many requests have arrived, so they are provably in flight together. */
  together?: number;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/**
 * A loopback stand-in for an OpenAI-compatible server, so record mode has something real to
 * record: POST /v1/chat/completions streams `echo <n>: <last message>` as SSE chunks
 * (n counts requests, so identical requests get different answers), then `data: [DONE]`.
 */
export async function startUpstream({ together = 1 }: UpstreamOptions = {}): Promise<Upstream> {
  const requests: Upstream['requests'] = [];
  const waiting: (() => void)[] = [];
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(await text(req));
    requests.push(body);
    const answer = `echo ${requests.length}: ${body.messages.at(-1).content}`;
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (requests.length >= together) waiting.splice(0).forEach((release) => release());
    });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const word of answer.split(/(?<= )/)) {
      const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { baseURL: `http://127.0.0.1:${port}/v1`, requests };
}

async function text(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}
