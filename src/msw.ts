import { createRequire } from 'node:module';

/**
 * Everything ai-vcr does differently on msw 2 and msw 3, decided here from the major version of
 * the msw that is installed (a peer, so the user's copy). msw 3 runs on @mswjs/interceptors'
 * socket-level interception, which changed three things that matter to us:
 * - `listen({ onUnhandledRequest })` became `listen({ onUnhandledFrame })` (the old name is ignored);
 * - a client's cancel no longer waits on MSW's copy of a mocked response (the msw 2 hang,
 *   mswjs/interceptors #799, see mocked-copy.ts), so that copy needs no settling;
 * - every mocked response, fetch's too, reaches its client through a socket, which joins
 *   body chunks written within one turn of the event loop into one read.
 */
// Resolved from here, as our own `import 'msw'` is (tsup shims import.meta.url in the CommonJS build).
const { version } = createRequire(import.meta.url)('msw/package.json') as { version: string };

export const MSW_MAJOR = Number.parseInt(version, 10);

const socketLevel = MSW_MAJOR >= 3;

/** `server.listen()` options saying what MSW does with a request (or, on msw 3, a WebSocket) no handler takes. */
export function onUnhandled(strategy: 'bypass' | 'warn' | 'error'): Record<string, unknown> {
  return socketLevel ? { onUnhandledFrame: strategy } : { onUnhandledRequest: strategy };
}

/** Whether MSW's copy of each mocked response must be settled, or a client's cancel hangs (msw 2). */
export const CANCEL_WAITS_ON_COPY = !socketLevel;

/** Whether a replayed stream must write each event in its own turn to reach the client event by event (msw 3). */
export const EVENTS_NEED_OWN_TURN = socketLevel;
