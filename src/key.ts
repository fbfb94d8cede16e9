import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';

export interface KeyedRequest {
  method: string;
  /** The canonical endpoint, as the request's API module gives it (`/v1/chat/completions`, `/v1/messages`). */
  endpoint: string;
  /** The parsed JSON body, or null when the request has none. */
  body: unknown;
  /** With `scope: 'test'`, the test the request belongs to, so each test has its own recordings. */
  test?: string | null;
  /**
   * With `sequence: true`, which of a test's identical requests this is, from 2 on. Left out for
   * the first, so a first call keeps the key (and the file name) it has without the option.
   */
  call?: number;
}

/**
 * A recording's key: sha256 of the canonical request. Only method, endpoint and the
 * parsed body count: host, headers (authorization, x-stainless-*) and JSON formatting
 * (openai v4 pretty-prints, v6 does not) vary across machines and SDK versions.
 */
export function requestKey(request: KeyedRequest): string {
  const { method, endpoint, body, test, call } = request;
  // `test` and `call` are left out when undefined, so content-addressed keys do not depend on them.
  const canonical = stableStringify({ method, endpoint, body, test, call });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Parse a request body for keying; a body that is not JSON is keyed by its text. */
export function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The `model` a request body names, if any. */
export function modelOf(body: unknown): string | undefined {
  const model = (body as { model?: unknown } | null)?.model;
  return typeof model === 'string' ? model : undefined;
}
