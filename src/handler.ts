import { http, type HttpHandler } from 'msw';
import { endpointOf, HANDLED_PATHS, MODELS_ENDPOINT } from './endpoint.js';
import { parseBody, requestKey, type KeyedRequest } from './key.js';
import { failure, invalidMessage, missMessage } from './miss.js';
import type { ResolvedOptions } from './options.js';
import { replay, replayModels } from './replay.js';
import { createStore } from './store.js';

/** Answers one intercepted request, or returns undefined to leave it to the next handler. */
export type Resolver = (request: Request) => Promise<Response | undefined>;

/**
 * Serves LLM calls from recordings. Anything that is not an LLM call (see `baseUrls`)
 * falls through to the next handler, or to the network, untouched.
 */
export function createResolver(options: ResolvedOptions): Resolver {
  const store = createStore(options.dir);

  return async function resolve(request) {
    if (options.baseUrls && !options.baseUrls.some((base) => request.url.startsWith(base))) return undefined;
    const endpoint = endpointOf(new URL(request.url).pathname);
    if (!endpoint) return undefined;
    const keyed: KeyedRequest = { method: request.method, endpoint, body: parseBody(await request.text()) };
    const key = requestKey(keyed);

    if (endpoint === MODELS_ENDPOINT) {
      const models = await store.models();
      if (models.kind === 'hit') return replayModels(models.data);
      if (models.kind === 'invalid') return failure(422, 'invalid_recording', invalidMessage(models.file, models.problem));
    } else {
      const found = await store.lookup(key);
      if (found.kind === 'hit') return replay(found.recording);
      if (found.kind === 'invalid') return failure(422, 'invalid_recording', invalidMessage(found.file, found.problem));
    }
    return failure(404, 'recording_not_found', missMessage({ request: keyed, key, options, index: await store.index() }));
  };
}

/** MSW handlers for every OpenAI endpoint path, at any base URL, answered by `resolve`. */
export function createHandlers(resolve: Resolver): HttpHandler[] {
  return HANDLED_PATHS.map(({ path, method }) =>
    (method === 'GET' ? http.get : http.post)(path, ({ request }) => resolve(request)),
  );
}
