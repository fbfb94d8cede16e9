import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { Endpoint } from './endpoint.js';

export interface KeyedRequest {
  method: string;
  endpoint: Endpoint;
  /** The parsed JSON body, or null when the request has none. */
  body: unknown;
  /** With `scope: 'test'`, the test the request belongs to, so each test has its own recordings. */
  test?: string | null;
}

/**
 * A recording's key: sha256 of the canonical request. Only method, endpoint and the
 * parsed body count: host, headers (authorization, x-stainless-*) and JSON formatting
 * (openai v4 pretty-prints, v6 does not) vary across machines and SDK versions.
 */
export function requestKey(request: KeyedRequest): string {
  const { method, endpoint, body, test } = request;
  // `test` is left out when undefined, so content-addressed keys do not depend on it.
  const canonical = stableStringify({ method, endpoint, body, test });
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
