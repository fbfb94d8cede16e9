import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll } from 'vitest';
import { sseEvents, streamedAnswer } from '../fixtures.ts';
import { replayTest } from './replay.ts';

// A hand-written handler, as a suite without a recorder would have it: the answer encoded once, never reading the request.
const encoder = new TextEncoder();
const parts = sseEvents(streamedAnswer(0)).map((text) => encoder.encode(text));
const server = setupServer(
  http.post('*/chat/completions', () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
  }),
);
// msw 2 names this option onUnhandledRequest, msw 3 onUnhandledFrame; each ignores the other's name.
const failUnhandled = { onUnhandledRequest: 'error', onUnhandledFrame: 'error' } as const;
beforeAll(() => server.listen(failUnhandled));
afterAll(() => server.close());
replayTest();
