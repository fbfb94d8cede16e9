import type { HttpHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import type { RecorderHooks } from './events.js';
import { createHandlers, createResolver, type ResolverHandle } from './handler.js';
import { resolveOptions, type Mode, type RecorderOptions, type ResolvedOptions } from './options.js';

export interface Recorder {
  /** The mode in force, after LLM_VCR_MODE. */
  readonly mode: Mode;
  /** The absolute recordings directory, after LLM_VCR_DIR. */
  readonly dir: string;
  /** The process's MSW server, shared by every recorder: add your own handlers with `server.use()`. */
  readonly server: SetupServer;
  /**
   * Wait for recordings still being written, then stop this recorder. Interception ends
   * when the last open recorder closes.
   */
  close(): Promise<void>;
}

interface Shared {
  server: SetupServer;
  open: number;
  /** The latest recorder's; the server's handlers delegate to it, so users' resetHandlers() keeps them. */
  current: ResolverHandle;
}

// MSW allows one active server per process, and test runners may evaluate this module more
// than once per process (vitest re-imports it for every test file), so the state is global.
const SHARED = Symbol.for('llm-vcr.server');
const globals = globalThis as typeof globalThis & { [SHARED]?: Shared };

/**
 * Start intercepting LLM calls now, so clients constructed after this call are caught
 * (openai v5+ captures `fetch` when constructed). Calling it again reuses the same server;
 * the latest call's options apply.
 */
export function setupRecorder(options?: RecorderOptions): Recorder {
  return startRecorder(resolveOptions(options));
}

/**
 * setupRecorder() for runner integrations: options already resolved (a runner's main process
 * resolves them once for every worker) and the hooks that give requests their test.
 */
export function startRecorder(resolved: ResolvedOptions, hooks: RecorderHooks = {}): Recorder {
  const handle = createResolver(resolved, hooks);
  const owner = globals[SHARED] ?? startServer(handle);
  owner.current = handle;
  owner.open += 1;
  let closed = false;
  return {
    mode: resolved.mode,
    dir: resolved.dir,
    server: owner.server,
    async close() {
      if (closed) return;
      closed = true;
      await handle.settled();
      owner.open -= 1;
      if (owner.open === 0 && globals[SHARED] === owner) {
        owner.server.close();
        delete globals[SHARED];
      }
    },
  };
}

function startServer(first: ResolverHandle): Shared {
  const server = setupServer(...createHandlers((request) => shared.current.resolve(request)));
  const shared: Shared = { server, open: 0, current: first };
  drainMockedResponses(server);
  server.listen({ onUnhandledRequest: 'bypass' });
  return (globals[SHARED] = shared);
}

/** MSW request handlers that serve LLM calls, for a test suite that runs its own `setupServer`. */
export function recorderHandlers(options?: RecorderOptions): HttpHandler[] {
  return createHandlers(createResolver(resolveOptions(options)).resolve);
}

/**
 * Works around an msw 2 hang (mswjs/interceptors #799): when a client cancels a mocked stream
 * (a `break` out of `for await`, or openai v5+ discarding an error body before a retry), the
 * cancel waits until MSW's own copy of the response is read. Reading that copy lets it settle.
 * `setupRecorder()` does this itself; call it on your server when you use `recorderHandlers()`.
 */
export function drainMockedResponses(server: { events: SetupServer['events'] }): () => void {
  const drain = ({ response }: { response: Response }) => {
    response.arrayBuffer().catch(() => {});
  };
  server.events.on('response:mocked', drain);
  return () => server.events.removeListener('response:mocked', drain);
}
