/**
 * MSW's copy of each mocked response, and the msw 2 cancel hang (mswjs/interceptors #799).
 *
 * For fetch clients (openai v5+, the AI SDK) msw 2 clones every mocked response for its
 * `response:mocked` event: a tee. When the client cancels its branch (a `break` out of a
 * stream, or openai discarding an error body before a retry), the cancel only settles once
 * the other branch, MSW's copy, is cancelled or read to the end. Left alone, it hangs.
 *
 * For ai-vcr's own responses to fetch clients the copy is cancelled at once: the client's
 * cancel then reaches the replay stream, which stops (a paced replay included). Every other
 * copy is read to the end instead: for http clients (openai v4) the copy is a separate
 * stream that crashes Node when cancelled, and other handlers' responses are not ours to cut.
 */
const OURS = Symbol.for('ai-vcr.own-responses');
const globals = globalThis as typeof globalThis & { [OURS]?: WeakSet<Request> };
const ours = (globals[OURS] ??= new WeakSet());

/** Mark a request as answered by ai-vcr (MSW hands the event the same Request object). */
export function claim(request: Request): void {
  ours.add(request);
}

export function settleMockedCopy({ request, response }: { request: Request; response: Response }): void {
  // Node's http client always sends Host; fetch requests never carry it.
  const viaFetch = !request.headers.has('host');
  if (ours.has(request) && viaFetch) response.body?.cancel().catch(() => {});
  else response.arrayBuffer().catch(() => {});
}
