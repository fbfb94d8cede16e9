import { http, passthrough, type HttpHandler } from 'msw';
import type { Api } from './apis/api.js';
import { apiAtHost, modelOfCall, openai, recogniseOrClaim, type Recognised } from './apis/index.js';
import { recordingFailures, type RecorderEvent, type RecorderHooks } from './events.js';
import { parseBody, requestKey, type KeyedRequest } from './key.js';
import { invalidMessage, missMessage, unreachableMessage, unservedMessage } from './miss.js';
import { claim } from './mocked-copy.js';
import { createNormalizer } from './normalize.js';
import type { ResolvedOptions } from './options.js';
import { callUpstream, isSkipped, RECORDABLE_ERRORS, recordResponse, type Recorded, type UpstreamCall } from './record.js';
import { isHarmlessParam, redactUrl, scrub, secretsOf } from './redact.js';
import { replay } from './replay.js';
import { createStore } from './store.js';

/** Answers one intercepted request, or returns undefined to leave it to the next handler. */
export type Resolver = (request: Request) => Promise<Response | undefined>;

/** How long a record-if-missing request waits for an identical one being recorded (see `hold`). */
const HOLD_WAIT_MS = 10_000;

/**
 * Settles when `promise` does, after `ms`, or when `signal` aborts, whichever comes first.
 * Its timer and abort listener go when it settles: a request that waits several times must
 * not pile listeners on its signal (20 identical requests would warn MaxListenersExceeded).
 */
async function settleWithin(promise: Promise<void> | undefined, ms: number, signal: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stop!: () => void;
  const bound = new Promise<void>((resolve) => {
    stop = () => resolve();
    // Never what keeps the process alive.
    timer = setTimeout(stop, ms).unref();
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
}


export interface ResolverHandle {
  resolve: Resolver;
  /** Settles when every recording started so far has been written (or dropped). */
  settled(): Promise<void>;
  /** The calls so far that should have been recorded and were not, in order. */
  failures(): readonly RecorderEvent[];
}

/**
 * Serves LLM calls according to the mode: from recordings, from the upstream (recording what
 * it says), or both. In replay mode, calls to an LLM API's other endpoints are refused.
 * Anything else falls through to the next handler, or to the network, untouched.
 */
export function createResolver(options: ResolvedOptions, hooks: RecorderHooks = {}): ResolverHandle {
  const normalizeBody = createNormalizer(options.normalize);
  const store = createStore(options.dir, options.scope, normalizeBody);
  /** With the sequence option: how many times each test (or, outside tests, this recorder) has sent each request. */
  const sent = new Map<string, number>();
  /**
   * record-if-missing: the request that holds a key, from its lookup until its recording is
   * written. Identical requests wait for it, then replay what it recorded, so a key goes
   * upstream once even when many tests send the same request at the same instant.
   */
  const holders = new Map<string, Promise<void>>();
  /** Every upstream call and write not yet settled. */
  const writing = new Set<Promise<void>>();
  /** Upstream calls whose answer has not ended yet. */
  const calls = new Set<UpstreamCall>();
  const recordErrors = options.recordErrors ? RECORDABLE_ERRORS : new Set<number>();
  /** The calls that failed to be recorded, for close() to report; only those, so a long run holds no more. */
  const failures: RecorderEvent[] = [];

  /** Messages already printed: a test that retries or loops would otherwise repeat them. */
  const printed = new Set<string>();

  function report(event: RecorderEvent): void {
    failures.push(...recordingFailures([event]));
    hooks.onEvent?.(event);
    // A miss, a broken recording or a refused call fails the SDK call with our message, but an
    // SDK may hide it (the AI SDK's AI_NoOutputGeneratedError, LangChain's MODEL_NOT_FOUND hint):
    // stderr carries it to a person whatever the SDK does with the error.
    const failed = event.type === 'missed' || event.type === 'invalid' || event.type === 'refused';
    if (failed && event.message && !printed.has(event.message)) {
      printed.add(event.message);
      console.error(event.message);
    }
  }

  async function resolve(request: Request): Promise<Response | undefined> {
    const url = new URL(request.url);
    const hostApi = apiAtHost(url.hostname);
    // An LLM API's own host is one whatever baseUrls say: in replay mode nothing may reach it.
    const atLlmApi = hostApi !== undefined || (options.baseUrls?.some((base) => isUnder(url, base)) ?? false);
    if (options.baseUrls && !atLlmApi) return undefined;
    const found = recogniseOrClaim(url.pathname, request.headers);
    const claimed = found && 'generic' in found ? found : undefined;
    const recognised = claimed ? undefined : (found as Recognised | undefined);
    const known = recognised && recognised.method === request.method ? recognised : undefined;
    // Elsewhere only the endpoints an API module knows or claims are LLM calls; at an LLM API, every call is.
    if (!known && !claimed && !atLlmApi) return undefined;
    const api: Api = known?.api ?? claimed?.api ?? hostApi ?? openai;
    const endpoint = known?.endpoint ?? genericEndpoint(url);
    const binary = known?.api.jsonBody?.(known.endpoint) ? undefined : binaryBody(request.headers.get('content-type'));
    if (binary) {
      const message = unservedMessage(request.method, redactUrl(request.url), binary);
      if (options.mode === 'replay') {
        report({ type: 'refused', method: request.method, endpoint: url.pathname, key: '', test: hooks.currentTest?.(), message });
        return api.error(404, 'endpoint_not_recorded', message);
      }
      report({ type: options.mode === 'live' ? 'passed-through' : 'not-recorded', why: 'policy', method: request.method, endpoint: url.pathname, key: '', test: hooks.currentTest?.(), message });
      return passthrough();
    }
    const startedAt = performance.now();
    const test = hooks.currentTest?.();
    // Read from a clone: bypass() needs the original body intact to call the upstream.
    const body = parseBody(options.mode === 'replay' ? await request.text() : await request.clone().text());
    // `keyed` is the request as sent, which is what a recording keeps; `matched`, with the
    // normalize rules applied, is what the key is computed from.
    const keyed: KeyedRequest = { method: request.method, endpoint, body };
    if (options.scope === 'test') keyed.test = test?.id ?? null;
    let matched: KeyedRequest;
    try {
      matched = { ...keyed, body: normalizeBody(body) };
    } catch (error) {
      const message = `ai-vcr: ${keyed.method} ${endpoint} could not be keyed: ${(error as Error).message}. Fix the function in the normalize option.`;
      report({ type: 'missed', method: keyed.method, endpoint, model: modelOfCall(endpoint, body), key: '', test, message });
      return api.error(422, 'normalize_failed', message);
    }
    const list = known?.api.list?.endpoint === endpoint;
    if (options.sequence && !list) {
      const counted = `${test?.id ?? ''}\n${test?.attempt ?? ''}\n${requestKey(matched)}`;
      const call = (sent.get(counted) ?? 0) + 1;
      sent.set(counted, call);
      if (call > 1) keyed.call = matched.call = call;
    }
    const key = requestKey(matched);
    const event = (type: RecorderEvent['type'], extra: Partial<RecorderEvent> = {}) =>
      report({ type, method: keyed.method, endpoint, model: modelOfCall(endpoint, body), key, test, ...(keyed.call ? { call: keyed.call } : {}), ...extra });

    if (options.mode === 'live') {
      event('passed-through');
      return passthrough();
    }
    const release = options.mode === 'record-if-missing' ? await hold(key, request.signal) : undefined;
    let releasedByWrite = false;
    try {
      if (options.mode !== 'record') {
        const served = await fromRecordings(request, api, list, key);
        if (served) {
          const { type, response, ...detail } = served;
          event(type, detail);
          return response;
        }
        if (options.mode === 'replay') {
          const recordedCalls = matched.call ? await recordedCallsOf(matched) : undefined;
          const message = missMessage({ request: matched, key, options, index: await store.index(), test, recordedCalls, credentials: api.credentials });
          event('missed', { message });
          return api.error(404, 'recording_not_found', message);
        }
      }

      const call = callUpstream(request);
      const end = follow(call, request.signal);
      const notRecorded = (why: string) => {
        const reason = scrub(why, secretsOf(request));
        console.error(`ai-vcr: did not record ${keyed.method} ${redactUrl(request.url)} (key ${key}): ${reason}`);
        event('not-recorded', { why: 'failure', message: reason });
      };

      let recorded: Recorded;
      try {
        recorded = await recordResponse(await call.response, { key, keyed, request, testId: test?.id ?? null, startedAt, recordErrors, api, generic: !known }, call);
      } catch (error) {
        end();
        // The grace period ran out with nobody left to see the failure; otherwise the caller sees it as its own.
        if (call.expired) notRecorded(call.expired);
        else console.error(unreachableMessage(keyed.method, redactUrl(request.url), error));
        return Response.error();
      }
      const write = recorded.recording
        .then(async (recording) => {
          if (isSkipped(recording)) {
            event('not-recorded', { why: 'policy', message: recording.skipped });
            return;
          }
          const file = await store.write(key, recording);
          event('recorded', { file });
        })
        .catch((error: Error) => notRecorded(error.message))
        .finally(() => {
          end();
          writing.delete(write);
          release?.();
        });
      writing.add(write);
      releasedByWrite = true;
      return recorded.response;
    } finally {
      if (!releasedByWrite) release?.();
    }
  }

  /**
   * Follows an upstream call until the returned function says its answer has ended: settled()
   * waits for it, and the client's leaving (an abort; on msw 3 a `break` too, as it closes the
   * connection) starts its grace period. Returns that function.
   */
  function follow(call: UpstreamCall, signal: AbortSignal): () => void {
    const leave = () => call.release('the client left');
    signal.addEventListener('abort', leave, { once: true });
    if (signal.aborted) leave();
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    calls.add(call);
    writing.add(done);
    return () => {
      call.end();
      signal.removeEventListener('abort', leave);
      calls.delete(call);
      writing.delete(done);
      ended();
    };
  }

  /**
   * Waits until no other request holds `key`, then holds it until the returned function is
   * called. The wait is bounded: the holder's upstream may never answer (a client without an
   * abort signal gave up on it and retries), or may be waiting for this very request (an app
   * under test that forwards it), and neither may hang the test. A request that stops waiting
   * goes upstream on its own, as if nobody held the key.
   */
  async function hold(key: string, signal: AbortSignal): Promise<() => void> {
    const deadline = performance.now() + HOLD_WAIT_MS;
    while (holders.has(key)) {
      const left = deadline - performance.now();
      if (left <= 0 || signal.aborted) return () => {};
      await settleWithin(holders.get(key), left, signal);
    }
    let release!: () => void;
    holders.set(key, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      holders.delete(key);
      release();
    };
  }

  /** A recorded answer (or a broken recording's error) for this request, if the directory has one. */
  async function fromRecordings(request: Request, api: Api, list: boolean, key: string) {
    if (list && api.list) {
      const models = await store.models(api.list.endpoint);
      if (models.kind === 'hit') {
        return { type: 'replayed' as const, file: models.files[0], files: models.files, message: undefined, response: api.list.respond(models.data) };
      }
      if (models.kind === 'invalid') return invalid(api, models.file, models.problem);
      return undefined;
    }
    const found = await store.lookup(key);
    if (found.kind === 'hit') {
      return { type: 'replayed' as const, file: found.file, message: undefined, response: replay(found.recording, { api, delay: options.delay, signal: request.signal }) };
    }
    if (found.kind === 'invalid') return invalid(api, found.file, found.problem);
    return undefined;
  }

  /** How many of the calls before this one were recorded, for a sequence that asks for more than there are. */
  async function recordedCallsOf(matched: KeyedRequest): Promise<number> {
    const asked = matched.call ?? 1;
    for (let call = 1; call < asked; call++) {
      // The first call is keyed without a position, as without the option.
      const found = await store.lookup(requestKey({ ...matched, call: call > 1 ? call : undefined }));
      if (found.kind !== 'hit') return call - 1;
    }
    return asked - 1;
  }

  function invalid(api: Api, file: string, problem: string) {
    const message = invalidMessage(file, problem);
    return { type: 'invalid' as const, file, message, response: api.error(422, 'invalid_recording', message) };
  }

  return {
    resolve,
    async settled() {
      while (writing.size > 0) {
        // The test is over: an answer still streaming gets the grace period to finish, no more.
        for (const call of calls) call.release('the test was over (close() was waiting)');
        await Promise.all(writing);
      }
    },
    failures: () => failures,
  };
}

/** Whether a URL is at or below a base URL (normalized by resolveOptions), by whole path segments. */
function isUnder(url: URL, base: string): boolean {
  const where = `${url.origin}${url.pathname}`;
  return where === base || where.startsWith(`${base}/`);
}

/**
 * The endpoint of a call to an LLM API that no API module knows (a moderation, `/responses/{id}`,
 * Gemini's `models.get`): its path and query, without parameters that may carry a credential.
 */
function genericEndpoint(url: URL): string {
  const kept = [...url.searchParams].filter(([name]) => isHarmlessParam(name) && name !== 'alt' && name !== 'beta');
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return kept.length > 0 ? `${path}?${new URLSearchParams(kept)}` : path;
}

/** A request body ai-vcr cannot key or store (an audio upload, a file), by its content-type. */
function binaryBody(contentType: string | null): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!type) return undefined;
  return type.startsWith('multipart/') || type === 'application/octet-stream' || /^(audio|image|video)\//.test(type) ? type : undefined;
}

/**
 * The MSW handler: one for every request, because the resolver, not a path pattern, decides
 * what is an LLM call (the endpoints at any base URL, and in replay mode every other call to
 * an LLM API, which it refuses).
 */
export function createHandlers(resolve: Resolver): HttpHandler[] {
  return [
    http.all('*', async ({ request }) => {
      const response = await resolve(request);
      if (response) claim(request);
      return response;
    }),
  ];
}
