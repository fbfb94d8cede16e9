import type { Api } from './api.js';
import { anthropic } from './anthropic.js';
import { cohere } from './cohere.js';
import { ollama } from './ollama.js';
import { openai } from './openai.js';

/**
 * Every API ai-vcr records, in the order their endpoints are tried: OpenAI-compatible last,
 * since it recognises paths by their suffix alone, under any prefix.
 */
export const APIS: readonly Api[] = [anthropic, cohere, ollama, openai];

/** A request's API and canonical endpoint. */
export interface Recognised {
  api: Api;
  endpoint: string;
  /** The method a call to it really uses. */
  method: 'GET' | 'POST';
}

/** The API endpoint a request path is, at any host, or undefined when it is none ai-vcr records. */
export function recognise(path: string, headers?: Headers): Recognised | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  for (const api of APIS) {
    const endpoint = api.endpoint(trimmed, headers);
    if (endpoint) return { api, endpoint, method: api.method(endpoint) };
  }
  return undefined;
}

/** The API whose own service a host is (api.anthropic.com, *.openai.azure.com), if any. */
export function apiAtHost(hostname: string): Api | undefined {
  return APIS.find((api) => api.hosts.some((host) => host.test(hostname)));
}

/** The endpoints whose recordings are merged into one answer (OpenAI's model list). */
export function listOf(endpoint: string): Api['list'] {
  return APIS.find((api) => api.list?.endpoint === endpoint)?.list;
}

export { anthropic, cohere, openai };
export type { Api };
