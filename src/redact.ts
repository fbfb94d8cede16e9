/**
 * What of a live request may be written to disk. Recordings are committed and reviewed, so
 * nothing that authorizes or identifies the caller may reach them: request headers are
 * kept only from a short allowlist, credentials in the query string are replaced, and any
 * credential seen in the request is scrubbed from the whole file as a last line of defence.
 */
const KEPT_HEADERS = new Set(['content-type', 'accept', 'openai-beta']);
const SECRET_HEADERS = ['authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'proxy-authorization'];
const SECRET_PARAM = /key|token|secret|password|auth|sig/i;
export const REDACTED = '<redacted>';

export function keptHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of [...KEPT_HEADERS].sort()) {
    const value = headers.get(name);
    if (value !== null) kept[name] = value;
  }
  return kept;
}

export function redactUrl(url: string): string {
  const parsed = new URL(url);
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, REDACTED);
  }
  return parsed.href;
}

/** Credential values a request carries, to be scrubbed wherever they appear in a recording. */
export function secretsOf(request: Request): string[] {
  const secrets: string[] = [];
  for (const name of SECRET_HEADERS) {
    const value = request.headers.get(name);
    if (value) secrets.push(value, value.replace(/^(Bearer|Basic|Token)\s+/i, ''));
  }
  for (const [name, value] of new URL(request.url).searchParams) {
    if (SECRET_PARAM.test(name) && value) secrets.push(value);
  }
  // Short values would scrub innocent text; real credentials are long.
  return [...new Set(secrets)].filter((secret) => secret.length >= 8);
}

/** A JSON value with every occurrence of these secrets, in any string of it, replaced. */
export function withoutSecrets<T>(value: T, secrets: string[]): T {
  if (secrets.length === 0) return value;
  const text = secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join(REDACTED), JSON.stringify(value));
  return JSON.parse(text) as T;
}
