/**
 * What of a live request may be written to disk. Recordings are committed and reviewed, so
 * nothing that authorizes or identifies the caller may reach them. Credentials come in many
 * places (authorization, api-key, cookie, helicone-auth, x-portkey-api-key,
 * ocp-apim-subscription-key, `?code=` for Azure Functions, `?key=` for Gemini, ...) and a list
 * of them is always one short, so the rule is the other way round: the value of every request
 * header and query parameter is a secret unless its name is on a short allowlist of things
 * known to be harmless, and every secret is scrubbed from the whole recording. README,
 * "Secrets", states the rule for users; keep the two in step.
 */

/**
 * Headers whose values are protocol or SDK metadata, the same for every caller: content
 * negotiation, transport, and SDK/API versions. They are allowlisted because their values
 * (`application/json`, `2023-06-01`, `keep-alive`) are common words of answers, which
 * scrubbing them would corrupt, and because none of them authorizes or identifies anyone.
 */
const HARMLESS_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'content-length',
  'content-type',
  // Already in the recorded URL.
  'host',
  'keep-alive',
  'te',
  'transfer-encoding',
  'user-agent',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  // API and SDK versions: Anthropic, OpenAI (assistants=v2), Google's client libraries.
  'anthropic-version',
  'anthropic-beta',
  'openai-beta',
  'x-goog-api-client',
]);
/**
 * Generated SDKs describe themselves: Stainless ones (openai, anthropic, groq, ...) their os, arch,
 * runtime, retry count and timeout; Fern ones (cohere-ai) their language, name, version and
 * runtime, in values (`JavaScript`, `cohere-ai`) that answers say too.
 */
const HARMLESS_HEADER_PREFIXES = ['x-stainless-', 'x-fern-'];

/**
 * Query parameters that choose a protocol, not a caller: Gemini's `alt=sse`, Azure's
 * `api-version`, Anthropic's `beta=true`; and those that page through a list.
 */
const HARMLESS_PARAMS = new Set(['alt', 'api-version', 'beta', 'limit', 'order', 'after', 'after_id', 'before', 'before_id', 'pagesize', 'pagetoken']);

/** Request headers written to a recording, for a reader to see how it was asked. */
const KEPT_HEADERS = ['accept', 'content-type', 'openai-beta'];

/**
 * Values shorter than this are not treated as secrets: real credentials are longer, and
 * scrubbing a short value (`1`, `true`, `gpt-4o`) would corrupt innocent text of the answer.
 */
export const MIN_SECRET_LENGTH = 8;
export const REDACTED = '<redacted>';

export function isHarmlessHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return HARMLESS_HEADERS.has(lower) || HARMLESS_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

export function isHarmlessParam(name: string): boolean {
  return HARMLESS_PARAMS.has(name.toLowerCase());
}

export function keptHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers.get(name);
    if (value !== null) kept[name] = value;
  }
  return kept;
}

/** The URL with the value of every query parameter that is not allowlisted replaced; used in recordings and in every message. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  for (const name of new Set(parsed.searchParams.keys())) {
    if (!isHarmlessParam(name)) parsed.searchParams.set(name, REDACTED);
  }
  return parsed.href;
}

/** Every secret a request carries (see the module comment), to be scrubbed wherever it appears. */
export function secretsOf(request: Request): string[] {
  const secrets: string[] = [];
  request.headers.forEach((value, name) => {
    if (!isHarmlessHeader(name)) secrets.push(...partsOf(value));
  });
  // Decoded, and as the URL spells it: an upstream that repeats the URL repeats it encoded.
  for (const pair of new URL(request.url).search.slice(1).split('&')) {
    const [name = '', raw = ''] = pair.split(/=(.*)/s);
    if (!isHarmlessParam(decodeParam(name))) secrets.push(raw, decodeParam(raw));
  }
  // Also as it reads inside a JSON string held in a string (tool-call arguments), where `"` is `\"`.
  const escaped = secrets.map((secret) => JSON.stringify(secret).slice(1, -1));
  return [...new Set([...secrets, ...escaped])].filter((secret) => secret.length >= MIN_SECRET_LENGTH && !REDACTED.includes(secret));
}

function decodeParam(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/**
 * A header's value, and the parts of it an upstream may repeat on their own: the credentials
 * after an auth scheme (`Bearer sk-...`, as authorization and helicone-auth carry them), each
 * value of a `name=value; ...` or `name=value, ...` list (a cookie's, AWS SigV4's
 * `Credential=..., SignedHeaders=..., Signature=...`), and the access key id that begins a
 * SigV4 credential scope (`AKIA.../20261201/us-east-1/bedrock/aws4_request`). Only pieces with
 * a `=` are values: SigV4's `SignedHeaders=content-type;host;...` lists header names, which
 * taken for secrets would scrub `content-type` from the whole recording.
 */
function partsOf(value: string): string[] {
  const parts = [value.trim()];
  const scheme = /^[A-Za-z][\w.-]*\s+(\S.*)$/.exec(value.trim());
  if (scheme) parts.push(scheme[1]!.trim());
  for (const pair of value.split(/[;,]/)) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const part = pair.slice(at + 1).trim();
    parts.push(part, part.split('/')[0]!);
  }
  return parts;
}

/**
 * A JSON value with every occurrence of these secrets, in any string or key of it, replaced;
 * also one split across the items of a list (see `withoutSplitSecrets`).
 */
export function withoutSecrets<T>(value: T, secrets: string[]): T {
  if (secrets.length === 0) return value;
  const scrubbed = walk(value, (text) => scrub(text, secrets));
  withoutSplitSecrets(scrubbed, secrets);
  return scrubbed as T;
}

type Container = Record<string | number, unknown>;
interface Leaf {
  holder: Container;
  key: string | number;
}

/**
 * A stream's text comes in pieces, one per chunk, and an LLM repeating a key splits it as it
 * tokenizes it (`sk-ab`, `c12`, `3...`), as it does a tool call's JSON arguments. So the strings
 * at one place in every item of a list (`__data__.choices[0].delta.content` of each chunk) are
 * read as one text, and where a secret runs across pieces, the piece it starts in gets the
 * placeholder and the rest of it is cut from the others. Changes `value` in place.
 */
function withoutSplitSecrets(value: unknown, secrets: string[]): void {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const places = new Map<string, Leaf[]>();
    for (const item of value) {
      for (const [place, leaf] of leavesOf(item, '')) {
        const pieces = places.get(place) ?? [];
        pieces.push(leaf);
        places.set(place, pieces);
      }
    }
    for (const pieces of places.values()) if (pieces.length > 1) cutAcross(pieces, secrets);
  }
  for (const item of Object.values(value)) withoutSplitSecrets(item, secrets);
}

/** Every string in a JSON value, by its path. */
function leavesOf(value: unknown, at: string): [string, Leaf][] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]): [string, Leaf][] => {
    const place = `${at}/${key}`;
    if (typeof item === 'string') return [[place, { holder: value as Container, key: Array.isArray(value) ? Number(key) : key }]];
    return leavesOf(item, place);
  });
}

/** Cut the secrets out of pieces of one text: the placeholder where each starts, nothing where it goes on. */
function cutAcross(pieces: Leaf[], secrets: string[]): void {
  const texts = pieces.map(({ holder, key }) => holder[key] as string);
  const whole = texts.join('');
  const spans = occurrences(whole, secrets);
  if (spans.length === 0) return;
  let start = 0;
  pieces.forEach(({ holder, key }, index) => {
    const end = start + texts[index]!.length;
    let out = '';
    let at = start;
    for (const [from, to] of spans) {
      if (to <= start || from >= end) continue;
      out += whole.slice(at, Math.max(from, start));
      if (from >= start) out += REDACTED;
      at = Math.min(to, end);
    }
    holder[key] = out + whole.slice(at, end);
    start = end;
  });
}

function walk(value: unknown, change: (text: string) => string): unknown {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, change));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [change(key), walk(item, change)]));
  }
  return value;
}

/**
 * Text with every stretch covered by an occurrence of a secret replaced by one placeholder.
 * Occurrences are found before anything is replaced and overlapping ones are merged, so no
 * tail of a secret survives next to a placeholder (`abab` twice overlapping in `ababab`).
 * Only a secret that begins or ends like the placeholder (`d>...`) can show up again beside
 * it; then the whole text goes, as nothing less is sure to leave no secret.
 */
export function scrub(text: string, secrets: string[]): string {
  let out = '';
  let at = 0;
  for (const [start, end] of occurrences(text, secrets)) {
    out += `${text.slice(at, start)}${REDACTED}`;
    at = end;
  }
  if (at === 0) return text;
  out += text.slice(at);
  return secrets.some((secret) => out.includes(secret)) ? REDACTED : out;
}

/** Where the secrets occur in a text, as sorted, merged [start, end) spans. */
function occurrences(text: string, secrets: string[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const secret of secrets) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) spans.push([at, at + secret.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of spans) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/**
 * Credentials that a recording must never hold, recognized by their shape, for `ai-vcr verify`
 * to find what scrubbing could not know of: a key pasted into a prompt, a file written by hand or
 * by another recorder. The shapes are the published prefixes of common providers' keys, and a
 * bearer token; each needs enough characters after its prefix that words of an answer do not match.
 */
const CREDENTIAL_SHAPES: { name: string; pattern: RegExp }[] = [
  // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), OpenRouter, DeepSeek: a digit somewhere, as keys have and words do not.
  { name: 'an sk- API key', pattern: /\bsk-(?=[\w-]*\d)[\w-]{20,}/ },
  { name: 'a Google API key', pattern: /\bAIza[\w-]{35}/ },
  { name: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{60,})/ },
  { name: 'a Hugging Face token', pattern: /\bhf_[A-Za-z0-9]{30,}/ },
  { name: 'a Groq API key', pattern: /\bgsk_[A-Za-z0-9]{40,}/ },
  { name: 'an AWS access key id', pattern: /\bAKIA[0-9A-Z]{16}\b/ },
  { name: 'a Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  // A digit too, so that prose ("Bearer authentication") is not taken for a token.
  { name: 'a bearer token', pattern: new RegExp(`\\bBearer\\s+(?=[\\w.~+/-]*\\d)[\\w.~+/-]{${MIN_SECRET_LENGTH},}`, 'i') },
];

/** What kind of credential a text holds, by its shape (see CREDENTIAL_SHAPES), if it holds one. */
export function credentialIn(text: string): string | undefined {
  return CREDENTIAL_SHAPES.find(({ pattern }) => pattern.test(text))?.name;
}
