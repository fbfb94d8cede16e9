import { createParser } from 'eventsource-parser';
import { recognise } from './apis/index.js';
import { objectOf } from './apis/api.js';
import { errorType } from './errors.js';
import type { HttpRecording, Recording, SdkObject } from './recording.js';

export type Converted = { ok: true; recording: Recording } | { ok: false; problem: string };

/**
 * A file in llama-stack's HTTP-level format as the recording it stands for, so the rest of
 * ai-vcr (keys, replay, the command line) reads both formats alike. Nothing is lost: a stream's
 * events keep their names and its terminator, and an error its whole answer.
 */
export function fromHttpLevel(file: HttpRecording): Converted {
  const { request, response } = file;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { ok: false, problem: `request.url: ${JSON.stringify(request.url)} is not a URL` };
  }
  const recognised = recognise(url.pathname);
  const endpoint = recognised?.endpoint ?? url.pathname;
  const model = (request.payload as { model?: unknown } | null)?.model;
  const recorded: Recording['request'] = {
    method: recognised?.method ?? request.method.toUpperCase(),
    url: request.url,
    headers: {},
    body: request.payload ?? null,
    endpoint,
    model: typeof model === 'string' ? model : '',
  };
  const status = response.status ?? 200;
  const base = { test_id: file.test_id ?? null, request: recorded, id_normalization_mapping: {} };
  if (status >= 400) {
    const message = ((response.body as { error?: { message?: unknown } } | null)?.error?.message as string | undefined) ?? `status ${status}`;
    return {
      ok: true,
      recording: {
        ...base,
        response: {
          body: null,
          is_streaming: false,
          is_exception: true,
          exception_data: { type: errorType(status), status_code: status, body: response.body, message: `Error code: ${status} - ${message}`, wrapped: false },
        },
      },
    };
  }
  const typeName = (streaming: boolean) => recognised?.api.typeName(endpoint, streaming) ?? 'json';
  if (!response.is_streaming) {
    const body = response.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: 'response.body: expected the JSON object the upstream answered' };
    return { ok: true, recording: { ...base, response: { body: { __type__: typeName(false), __data__: body as Record<string, unknown> }, is_streaming: false, ...(status === 200 ? {} : { status }) } } };
  }
  if (!Array.isArray(response.body)) return { ok: false, problem: 'response.body: is_streaming is true, so body must be the list of SSE lines' };
  const chunks: SdkObject[] = [];
  let terminator: { data: string; event?: string } | undefined;
  let problem: string | undefined;
  const parser = createParser({
    onEvent({ event, data }) {
      const parsed = objectOf(data);
      if (parsed) chunks.push({ __type__: typeName(true), __data__: parsed, ...(event ? { __event__: event } : {}) });
      else if (data === '[DONE]') terminator = { data, ...(event ? { event } : {}) };
      else problem ??= `response.body: event ${chunks.length + 1}'s data is not a JSON object: ${JSON.stringify(data.slice(0, 80))}`;
    },
  });
  parser.feed(`${(response.body as string[]).join('\n')}\n\n`);
  if (problem) return { ok: false, problem };
  return {
    ok: true,
    recording: { ...base, response: { body: chunks, is_streaming: true, ...(status === 200 ? {} : { status }), stream: { framing: 'sse', ...(terminator ? { terminator: terminator.data } : {}), ...(terminator?.event ? { terminator_event: terminator.event } : {}) } } },
  };
}
