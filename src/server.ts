import type { HttpHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import { failuresMessage, type RecorderEvent, type RecorderHooks } from './events.js';
import { createHandlers, createResolver, type ResolverHandle } from './handler.js';
import { settleMockedCopy } from './mocked-copy.js';
import { CANCEL_WAITS_ON_COPY, onUnhandled } from './msw.js';
import { resolveOptions, type Mode, type RecorderOptions, type ResolvedOptions } from './options.js';

export interface Recorder {
  /** The mode in force, after AI_VCR_MODE. */
  readonly mode: Mode;
  /** The absolute recordings directory, after AI_VCR_DIR. */
  readonly dir: string;
  /** The process's MSW server, shared by every recorder: add your own handlers with `server.use()`. */
  readonly server: SetupServer;
  /**
   * Wait for recordings still being written, then stop this recorder. Interception ends
   * when the last open recorder closes. In `record` and `record-if-missing` mode it rejects,
   * once stopped, when a call should have been recorded and was not (an incomplete stream, a
   * client that left before the upstream finished, a failed write), naming each call and why.
   */
  close(): Promise<void>;
}

interface Shared {
  server: SetupServer;
  /**
   * Open recorders, oldest first. The server's handlers delegate to the newest, so users'
   * resetHandlers() keeps them, and closing the newest hands requests back to the one before.
   */
  open: ResolverHandle[];
}

// MSW allows one active server per process, and test runners may evaluate this module more
// than once per process (vitest re-imports it for every test file), so the state is global.
const SHARED = Symbol.for('ai-vcr.server');
const globals = globalThis as typeof globalThis & { [SHARED]?: Shared };

/**
 * Start intercepting LLM calls now, so clients constructed after this call are caught
 * (openai v5+ captures `fetch` when constructed). Calling it again reuses the same server;
 * the latest call's options apply.
 */
export function setupRecorder(options?: RecorderOptions): Recorder {
  return startRecorder(resolveOptions(options, process.env, 'code'));
}

/**
 * setupRecorder() for runner integrations: options already resolved (a runner's main process
 * resolves them once for every worker) and the hooks that give requests their test.
 */
export function startRecorder(resolved: ResolvedOptions, hooks: RecorderHooks = {}): Recorder {
  const handle = createResolver(resolved, hooks);
  const owner = globals[SHARED] ?? startServer();
  owner.open.push(handle);
  let closed = false;
  return {
    mode: resolved.mode,
    dir: resolved.dir,
    server: owner.server,
    async close() {
      if (closed) return;
      closed = true;
      await handle.settled();
      owner.open.splice(owner.open.indexOf(handle), 1);
      if (owner.open.length === 0 && globals[SHARED] === owner) {
        owner.server.close();
        delete globals[SHARED];
      }
      throwOnFailures(resolved, handle.failures());
    },
  };
}

function startServer(): Shared {
  const server = setupServer(...createHandlers(async (request) => shared.open.at(-1)?.resolve(request)));
  const shared: Shared = { server, open: [] };
  drainMockedResponses(server);
  server.listen(onUnhandled('bypass'));
  return (globals[SHARED] = shared);
}

/** ai-vcr's MSW handlers, and how to wait for the recordings they are writing. */
export type RecorderHandlers = HttpHandler[] & {
  /**
   * Settles when every recording started so far is written: await it before the process may
   * exit. In record modes it rejects when a call since the last settled() was not recorded.
   */
  settled(): Promise<void>;
};

/** MSW request handlers that serve LLM calls, for a test suite that runs its own `setupServer`. */
export function recorderHandlers(options?: RecorderOptions): RecorderHandlers {
  const resolved = resolveOptions(options, process.env, 'code');
  const handle = createResolver(resolved);
  let reported = 0;
  return Object.assign(createHandlers(handle.resolve), {
    async settled() {
      await handle.settled();
      // Each failure once: settled() may be awaited after every test.
      const failures = handle.failures();
      const fresh = failures.slice(reported);
      reported = failures.length;
      throwOnFailures(resolved, fresh);
    },
  });
}

/** Record mode's promise: a call it should have recorded and did not fails the run, saying why. */
function throwOnFailures(options: ResolvedOptions, failures: readonly RecorderEvent[]): void {
  const failed = failuresMessage(options.mode, failures);
  if (failed) throw new Error(failed);
}

/**
 * Works around an msw 2 hang (mswjs/interceptors #799): when a client cancels a mocked stream
 * (a `break` out of `for await`, or openai v5+ discarding an error body before a retry), the
 * cancel waits on MSW's own copy of the response. This settles each copy so it cannot.
 * `setupRecorder()` does this itself; call it on your server when you use `recorderHandlers()`.
 * Returns a function that removes the listener. On msw 3, which has no such hang, it does
 * nothing: there, settling the copies would only make MSW read every mocked body twice.
 */
export function drainMockedResponses(server: { events: SetupServer['events'] }): () => void {
  if (!CANCEL_WAITS_ON_COPY) return () => {};
  server.events.on('response:mocked', settleMockedCopy);
  return () => server.events.removeListener('response:mocked', settleMockedCopy);
}
