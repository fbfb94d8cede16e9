/**
 * The OpenAI endpoints ai-vcr serves, by the suffix of the request path.
 * Base URLs differ (api.openai.com/v1, localhost:11434/v1, Azure's /openai/v1,
 * proxies), so only the suffix identifies the operation; the canonical endpoint
 * is always `/v1/<suffix>`, which is also what llama-stack stores.
 */
const SUFFIXES = [
  { suffix: '/chat/completions', method: 'POST' },
  { suffix: '/completions', method: 'POST' },
  { suffix: '/embeddings', method: 'POST' },
  { suffix: '/responses', method: 'POST' },
  { suffix: '/models', method: 'GET' },
] as const;

export type Endpoint = `/v1${(typeof SUFFIXES)[number]['suffix']}`;

export const MODELS_ENDPOINT: Endpoint = '/v1/models';

/**
 * Where requests are LLM calls when no `baseUrls` are given: any host for the endpoints
 * above, and every path of OpenAI's own API, so that in replay mode a call to one of its
 * other endpoints fails instead of reaching the network.
 */
export const OPENAI_API = 'https://api.openai.com';

/** The canonical endpoint for a URL path, or undefined when the path is not an LLM API call. */
export function endpointOf(pathname: string): Endpoint | undefined {
  const path = pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  for (const { suffix } of SUFFIXES) {
    if (path.endsWith(suffix)) return `/v1${suffix}`;
  }
  return undefined;
}

/**
 * The method a call to this endpoint really uses. llama-stack writes POST for model
 * lists although the SDK sends GET, so stored methods are normalized through this.
 */
export function methodOf(endpoint: Endpoint): 'GET' | 'POST' {
  return SUFFIXES.find(({ suffix }) => endpoint === `/v1${suffix}`)?.method ?? 'POST';
}
