import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isHarmlessHeader, isHarmlessParam, keptHeaders, MIN_SECRET_LENGTH, REDACTED, redactUrl, secretsOf, withoutSecrets } from '../src/redact.js';
import { tempDir } from './support/fixtures.js';
import { recorder } from './support/recorder.js';
import { loopbackServer } from './support/upstream.js';

/** Every string of a JSON value, keys included. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...stringsOf(item)]);
  return [];
}

/** What record.ts writes for a request and the response it got: the same three calls, in the same way. */
function recordingOf(request: Request, response: unknown) {
  const recording = { request: { method: 'POST', url: redactUrl(request.url), headers: keptHeaders(request.headers), body: { model: 'm' } }, response };
  return withoutSecrets(recording, secretsOf(request));
}

const printable = fc.constantFrom(...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)));
/** A credential: printable ASCII without spaces, as header values and tokens are. */
const secret = fc.string({ unit: printable, minLength: MIN_SECRET_LENGTH, maxLength: 40 }).filter((value) => !REDACTED.includes(value));
const headerName = fc.oneof(
  fc.constantFrom('authorization', 'cookie', 'helicone-auth', 'x-portkey-api-key', 'openai-organization', 'openai-project', 'ocp-apim-subscription-key', 'api-key', 'x-api-key'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((name) => !isHarmlessHeader(name)),
);
const paramName = fc.oneof(fc.constantFrom('code', 'key', 'sig', 'token'), fc.stringMatching(/^[a-z_][a-z0-9_-]{0,12}$/).filter((name) => !isHarmlessParam(name)));

/** A cookie value: RFC 6265's cookie-octets, which leave out `;`, `,`, `"` and `\`. */
const cookieValue = fc.string({ unit: printable.filter((char) => !';,"\\'.includes(char)), minLength: MIN_SECRET_LENGTH, maxLength: 40 }).filter((value) => !REDACTED.includes(value));

/** How a secret is carried: the value as sent, and the part of it an upstream may repeat. */
const carried = fc.oneof(
  secret.map((value) => ({ sent: value, echoed: value })),
  fc.tuple(fc.constantFrom('Bearer', 'Basic', 'Token'), secret).map(([scheme, value]) => ({ sent: `${scheme} ${value}`, echoed: value })),
  fc.tuple(cookieValue, cookieValue).map(([value, other]) => ({ sent: `session=${value}; theme=${other}`, echoed: value })),
);

type Placement = 'chunk text' | 'split across chunks' | 'tool arguments' | 'error body' | 'key of an object';
const placement = fc.constantFrom<Placement>('chunk text', 'split across chunks', 'tool arguments', 'error body', 'key of an object');
/** Where 'split across chunks' cuts the text, as an LLM's tokens would. */
const cuts = fc.uniqueArray(fc.nat({ max: 60 }), { maxLength: 6 });

/** The streamed text of a recording's chunks, joined: what the caller read. */
function streamedText(recording: { response: unknown }): string {
  const { body } = recording.response as { body: unknown };
  if (!Array.isArray(body)) return '';
  return body.map((chunk: { __data__: { choices: { delta: { content?: string } }[] } }) => chunk.__data__.choices[0]?.delta.content ?? '').join('');
}

/** A response with the echoed text where the placement says. */
function responseWith(echoed: string, where: Placement, at: number[] = []): unknown {
  const chunk = (delta: unknown) => ({ __type__: 'ChatCompletionChunk', __data__: { id: 'rec-1', created: 0, choices: [{ index: 0, delta }] } });
  switch (where) {
    case 'chunk text':
      return { body: [chunk({ content: 'you sent' }), chunk({ content: ` ${echoed}.` })], is_streaming: true };
    case 'split across chunks': {
      const text = `you sent ${echoed}.`;
      const bounds = [0, ...at.filter((cut) => cut < text.length).sort((a, b) => a - b), text.length];
      return { body: bounds.slice(1).map((end, i) => chunk({ content: text.slice(bounds[i], end) })), is_streaming: true };
    }
    case 'tool arguments':
      // JSON inside a string: the secret is escaped there (a `"` becomes `\"`), and must go all the same.
      return { body: [chunk({ tool_calls: [{ function: { arguments: JSON.stringify({ echo: { headers: [echoed] } }) } }] })], is_streaming: true };
    case 'error body':
      return { body: null, is_streaming: false, is_exception: true, exception_data: { status_code: 400, body: { message: `invalid credentials: ${echoed}` } } };
    case 'key of an object':
      return { body: { __type__: 'ChatCompletion', __data__: { seen: { [echoed]: true } } }, is_streaming: false };
  }
}

describe('secrets, by property', () => {
  it('a header value (or its token, or a cookie) repeated anywhere in the answer is not in the recording', () => {
    fc.assert(
      fc.property(headerName, carried, placement, cuts, (name, { sent, echoed }, where, at) => {
        const request = new Request('http://127.0.0.1/v1/chat/completions', { method: 'POST', headers: { [name]: sent } });
        const written = recordingOf(request, responseWith(echoed, where, at));
        const file = `${JSON.stringify(written, null, 2)}\n`;
        for (const text of [...stringsOf(written), file, streamedText(written)]) {
          expect(text).not.toContain(echoed);
          expect(text).not.toContain(sent);
        }
        expect(file).not.toContain(JSON.stringify(echoed).slice(1, -1));
      }),
      { numRuns: 300 },
    );
  });

  it('a query parameter value is not in the recorded URL, nor anywhere the answer repeats it', () => {
    fc.assert(
      fc.property(paramName, secret, placement, cuts, fc.boolean(), (name, value, where, at, echoRaw) => {
        const url = new URL('http://127.0.0.1/v1/chat/completions?api-version=2024-10-21');
        url.searchParams.set(name, value);
        const request = new Request(url, { method: 'POST' });
        // An upstream repeats the URL as it came (percent-encoded), or the value decoded.
        const raw = new URLSearchParams({ [name]: value }).toString().slice(name.length + 1);
        const echoed = echoRaw ? url.href : value;
        const written = recordingOf(request, responseWith(echoed, where, at));
        const file = JSON.stringify(written, null, 2);
        for (const text of [...stringsOf(written), file, streamedText(written)]) {
          expect(text).not.toContain(value);
          expect(text).not.toContain(raw);
        }
        const recorded = new URL(written.request.url);
        expect(recorded.searchParams.get(name)).toBe(REDACTED);
        expect(recorded.searchParams.get('api-version')).toBe('2024-10-21');
      }),
      { numRuns: 300 },
    );
  });

  it('an answer is never altered when no secret of sufficient length occurs in it', () => {
    const shortValue = fc.string({ unit: printable, minLength: 1, maxLength: MIN_SECRET_LENGTH - 1 });
    const harmless = fc.tuple(fc.constantFrom('content-type', 'accept', 'user-agent', 'anthropic-version', 'x-stainless-runtime-version', 'openai-beta'), fc.string({ unit: printable, minLength: 1, maxLength: 30 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(headerName, shortValue), { maxLength: 3 }),
        fc.array(harmless, { maxLength: 3 }),
        fc.tuple(paramName, shortValue),
        // A secret with no parts of its own (no scheme, no `=`): so it occurs exactly where `sent` does.
        fc.tuple(headerName, secret.filter((value) => !value.includes('='))),
        fc.jsonValue(),
        (short, allowed, [param, paramValue], [secretName, sent], rest) => {
          const headers = new Headers([...short, ...allowed]);
          if (!headers.has(secretName)) headers.set(secretName, sent);
          const url = new URL('http://127.0.0.1/v1/chat/completions?alt=sse');
          url.searchParams.set(param, paramValue);
          const request = new Request(url, { method: 'POST', headers });
          // The short and allowlisted values occur in the answer: they must not be touched.
          const answer = { text: [...short, ...allowed].map(([, value]) => value).join(' '), param: paramValue, rest };
          fc.pre(!stringsOf(answer).some((text) => text.includes(sent) || text.includes(JSON.stringify(sent).slice(1, -1))));
          expect(withoutSecrets(answer, secretsOf(request))).toStrictEqual(answer);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * An upstream that repeats every request header back, as some proxies and debugging endpoints do:
 * in the streamed text, in tool-call arguments (JSON in a string), in an error, or as a page that
 * is not JSON (which is not recorded, but whose start goes into the "did not record" message).
 */
async function echoingUpstream() {
  return loopbackServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const { model, stream } = JSON.parse(text) as { model: string; stream?: boolean };
    const echo = { url: req.url, headers: req.headers };
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (model === 'echo-error') return json(400, { error: { message: `rejected: ${JSON.stringify(echo)}`, type: 'invalid_request_error' } });
    if (model === 'echo-page') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(`${req.headers.cookie} ${req.headers['helicone-auth']} ${req.url}`);
    }
    const base = { id: 'chatcmpl-1', created: 1, model };
    if (!stream) {
      const call = { id: 'call_1', type: 'function', function: { name: 'echo', arguments: JSON.stringify(echo) } };
      const message = { role: 'assistant', content: null, tool_calls: [call] };
      return json(200, { ...base, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: 'tool_calls' }] });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const all = [`url ${req.url}`, ...Object.entries(req.headers).map(([name, value]) => ` ${name}: ${String(value)}`)];
    // As an LLM repeating them would: a few characters per chunk.
    const lines = model === 'echo-split' ? all.join('').match(/.{1,3}/gs)! : all;
    for (const content of lines) {
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  });
}

const SECRETS = {
  apiKey: 'sk-test-apikey-0123456789',
  organization: 'org-secret-organization',
  project: 'proj_secret_project',
  cookie: 'sessionid-0123456789abcdef',
  helicone: 'sk-helicone-0123456789',
  portkey: 'portkey-key-0123456789',
  apim: 'ocp-apim-key-0123456789',
  code: 'azure/function+key==',
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('secrets, through the record path', () => {
  it('a header-echoing upstream and ?code= leave none of the values in recordings or on stderr', async () => {
    const upstream = await echoingUpstream();
    const dir = await tempDir();
    const printed: string[] = [];
    for (const method of ['error', 'warn', 'log'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
    }
    // Anything else that writes to stderr directly (MSW's warnings).
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => printed.push(String(chunk)) > 0);

    const vcr = recorder({ mode: 'record', dir, recordErrors: true });
    const sdk = new OpenAI({
      apiKey: SECRETS.apiKey,
      organization: SECRETS.organization,
      project: SECRETS.project,
      baseURL: `${upstream.origin}/v1`,
      maxRetries: 0,
      defaultQuery: { code: SECRETS.code },
      defaultHeaders: {
        cookie: `session=${SECRETS.cookie}; theme=dark`,
        'helicone-auth': `Bearer ${SECRETS.helicone}`,
        'x-portkey-api-key': SECRETS.portkey,
        'ocp-apim-subscription-key': SECRETS.apim,
      },
    });
    const messages = [{ role: 'user' as const, content: 'echo' }];
    let streamed = '';
    for await (const chunk of await sdk.chat.completions.create({ model: 'echo', messages, stream: true })) streamed += chunk.choices[0]?.delta.content ?? '';
    let split = '';
    for await (const chunk of await sdk.chat.completions.create({ model: 'echo-split', messages, stream: true })) split += chunk.choices[0]?.delta.content ?? '';
    const called = await sdk.chat.completions.create({ model: 'echo', messages });
    const rejected = await sdk.chat.completions.create({ model: 'echo-error', messages }).catch((error: Error) => error.message);
    await sdk.chat.completions.create({ model: 'echo-page', messages }).catch(() => {});
    // The page is not what the API sends, so it is not recorded: close() says so, secrets scrubbed.
    const closed = await vcr.close().catch((error: Error) => error.message);

    // The caller got every value back: the upstream really echoed them.
    const answers = [streamed, split, called.choices[0]?.message.tool_calls?.[0]?.type === 'function' ? called.choices[0].message.tool_calls[0].function.arguments : '', rejected];
    for (const value of [SECRETS.apiKey, SECRETS.cookie, SECRETS.helicone, SECRETS.portkey, SECRETS.apim, SECRETS.organization, SECRETS.project]) {
      for (const answer of answers) expect(answer).toContain(value);
    }

    const files = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(4);
    const written = await Promise.all(files.map((name) => readFile(path.join(dir, name), 'utf8')));
    const streams = written.map((text) => streamedText(JSON.parse(text)));
    const placed = (text: string) => ['authorization', 'cookie', 'helicone-auth'].every((name) => text.includes(`${name}: ${REDACTED}`));
    expect(streams.filter(placed)).toHaveLength(2);
    const forms = Object.values(SECRETS).flatMap((value) => [value, encodeURIComponent(value)]);
    for (const text of [...written, ...streams]) {
      for (const value of forms) expect(text).not.toContain(value);
    }
    for (const text of written) {
      expect(new URL(JSON.parse(text).request.url).search).toBe(`?code=${encodeURIComponent(REDACTED)}`);
      expect(text).toContain(REDACTED);
    }
    // The page that is not JSON is not recorded, and the message saying so quotes its start.
    expect(printed.join('\n')).toMatch(/did not record POST .*\/v1\/chat\/completions/);
    expect(closed).toMatch(/^ai-vcr: 1 call was not recorded:\n.*not a JSON object/);
    for (const value of forms) expect(`${printed.join('\n')}\n${closed}`).not.toContain(value);
  });
});
