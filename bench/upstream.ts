import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { completionAnswer, sseEvents, streamedAnswer } from './fixtures.ts';

export const CHUNK_GAP_MS = 5;

export interface Upstream {
  baseURL: string;
  /** Requests that reached the server: replays must leave this unchanged. */
  hits(): number;
  close(): Promise<void>;
}

// msw 3 intercepts when a connection is opened, so a request sent on a connection kept alive from an
// earlier block (Polly and nock back record through real ones) would pass every interceptor by.
const CLOSE = { connection: 'close' };

/** A loopback OpenAI stand-in: every chat completion gets the seed-0 answer, streamed 5 ms apart when asked. */
export async function startUpstream(): Promise<Upstream> {
  let hits = 0;
  const events = sseEvents(streamedAnswer(0));
  const completion = JSON.stringify(completionAnswer(0));
  const server = createServer(async (req, res) => {
    hits++;
    let text = '';
    for await (const part of req) text += part;
    if (!JSON.parse(text).stream) {
      res.writeHead(200, { 'content-type': 'application/json', ...CLOSE }).end(completion);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...CLOSE });
    // Paced against the start time so timer lateness does not accumulate over 30 chunks.
    const start = performance.now();
    for (const [i, event] of events.entries()) {
      const wait = start + i * CHUNK_GAP_MS - performance.now();
      if (wait > 0) await sleep(wait);
      res.write(event);
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
