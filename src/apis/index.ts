import { modelOf } from '../key.js';
import type { Api } from './api.js';
import { anthropic } from './anthropic.js';
import { bedrock } from './bedrock.js';
import { cohere } from './cohere.js';
import { gemini } from './gemini.js';
import { ollama } from './ollama.js';
import { openai } from './openai.js';
import { vertex } from './vertex.js';

/**
 * Every API ai-vcr records, in the order their endpoints are tried: OpenAI-compatible last,
 * since it recognises paths by their suffix alone, under any prefix.
 */
export const APIS: readonly Api[] = [anthropic, bedrock, cohere, vertex, gemini, ollama, openai];

/** A request's API and canonical endpoint. */
export interface Recognised {
  api: Api;
  endpoint: string;
  /** The method a call to it really uses. */
  method: 'GET' | 'POST';
}

/** A path its API claims as one of its other JSON endpoints (see `Api.endpoint`): recorded generically, by path and query. */
export interface Claimed {
  api: Api;
  generic: true;
}

/** The API endpoint a request path is, at any host, or undefined when it is none ai-vcr records. */
export function recognise(path: string, headers?: Headers): Recognised | undefined {
  const found = recogniseOrClaim(path, headers);
  return found && 'generic' in found ? undefined : found;
}

/** As recognise(), and also the paths an API claims as generic ones. */
export function recogniseOrClaim(path: string, headers?: Headers): Recognised | Claimed | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  for (const api of APIS) {
    const endpoint = api.endpoint(trimmed, headers);
    if (endpoint === null) return { api, generic: true };
    if (endpoint) return { api, endpoint, method: api.method(endpoint) };
  }
  return undefined;
}

/** The model a call asks for: its body's `model`, or the one its endpoint's path names. */
export function modelOfCall(endpoint: string, body: unknown): string | undefined {
  return modelOf(body) ?? recognise(endpoint)?.api.model?.(endpoint);
}

/** The API whose own service a host is (api.anthropic.com, *.openai.azure.com), if any. */
export function apiAtHost(hostname: string): Api | undefined {
  return APIS.find((api) => api.hosts.some((host) => host.test(hostname)));
}

/** The endpoints whose recordings are merged into one answer (OpenAI's model list). */
export function listOf(endpoint: string): Api['list'] {
  return APIS.find((api) => api.list?.endpoint === endpoint)?.list;
}

export { anthropic, bedrock, cohere, gemini, ollama, openai, vertex };
export type { Api };
