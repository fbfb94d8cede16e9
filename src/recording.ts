import { z } from 'zod/v4';

/**
 * The recording file format: the one llama-stack's Python recorder writes (see README,
 * "Recording format"), so its recordings replay here unchanged. Objects are loose:
 * fields we do not use (provider_metadata, exception_message, ...) are kept as they are.
 */
const SdkObject = z.looseObject(
  {
    __type__: z.string(),
    __data__: z.record(z.string(), z.unknown()),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? `expected an object with __type__ and __data__, got ${kindOf(issue.input)}` : undefined) },
);

const RecordedRequest = z.looseObject({
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string(), z.unknown()).optional(),
  body: z.unknown(),
  endpoint: z.string(),
  model: z.string().nullish(),
});

const ExceptionData = z.looseObject({
  type: z.string().optional(),
  status_code: z.number().int().min(400).max(599),
  body: z.unknown(),
  message: z.string().optional(),
  /** ai-vcr's addition: false when the upstream's answer was `body` itself, not `{"error": body}`. */
  wrapped: z.boolean().optional(),
});

const RecordedResponse = z.looseObject({
  body: z.union([z.array(SdkObject), SdkObject, z.null()], {
    error: (issue) => `expected a list of chunks, one object with __type__ and __data__, or null, got ${kindOf(issue.input)}`,
  }),
  is_streaming: z.boolean(),
  is_exception: z.boolean().optional(),
  exception_data: ExceptionData.nullish(),
  status: z.number().int().optional(),
  /** ai-vcr's addition: when each chunk arrived, in ms since the request started. */
  chunk_times_ms: z.array(z.number().nonnegative()).optional(),
  /**
   * ai-vcr's addition, on streams it records: the framing the upstream used and the terminator it
   * ended with, so replay sends the stream as it came rather than as its API usually sends one.
   * Event names are then exactly the chunks' `__event__`. Without it (llama-stack's files) both
   * are what the API sends.
   */
  stream: z
    .looseObject({
      framing: z.enum(['sse', 'ndjson', 'eventstream']),
      terminator: z.string().optional(),
      /** The SSE event name the terminator came with (Gemini Interactions ends `event: done` / `data: [DONE]`). */
      terminator_event: z.string().optional(),
    })
    .optional(),
  /** ai-vcr's addition, for an answer that is not JSON: its content-type; the body is then `{ "text": ... }`. */
  content_type: z.string().optional(),
});

export const RecordingSchema = z
  .looseObject({
    test_id: z.string().nullish(),
    /** ai-vcr's addition, with the sequence option: this answers the n-th identical request (2 on) of its test. */
    call: z.number().int().positive().optional(),
    request: RecordedRequest,
    response: RecordedResponse,
    id_normalization_mapping: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((recording, ctx) => {
    const { response } = recording;
    if (response.is_exception) {
      if (!response.exception_data) {
        ctx.addIssue({ code: 'custom', path: ['response', 'exception_data'], message: 'is_exception is true but exception_data is missing' });
      }
    } else if (response.body === null) {
      ctx.addIssue({ code: 'custom', path: ['response', 'body'], message: 'body is null but the response is not a recorded exception' });
    } else if (response.is_streaming && !Array.isArray(response.body)) {
      ctx.addIssue({ code: 'custom', path: ['response', 'body'], message: 'is_streaming is true, so body must be a list of chunks' });
    }
  });

export type Recording = z.infer<typeof RecordingSchema>;
export type SdkObject = z.infer<typeof SdkObject>;

/** The first problem zod found, as `field.path: message`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid recording';
  const { path, message } = innermost(issue);
  const where = path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
  return `${where || '(root)'}: ${message}`;
}

/**
 * A union's own issue says only "Invalid input". The alternative that got deepest into the
 * value (the list of chunks, for a list) is the one the file meant, so its issue is the one
 * that says what is wrong.
 */
function innermost(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path: issue.path, message: issue.message };
  const [deepest] = issue.errors
    .map((issues) => issues[0])
    .filter((inner) => inner !== undefined)
    .sort((a, b) => b.path.length - a.path.length);
  if (!deepest || deepest.path.length === 0) return { path: issue.path, message: issue.message };
  const inner = innermost(deepest);
  return { path: [...issue.path, ...inner.path], message: inner.message };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * llama-stack's second, HTTP-level format, which it writes for the calls it makes over plain
 * HTTP (Anthropic Messages, Gemini Interactions): the body as sent in `request.payload`, and the
 * answer as it came: JSON, or the SSE lines of a stream as read. See README, "Recording format".
 */
export const HttpRecordingSchema = z.looseObject({
  test_id: z.string().nullish(),
  request: z.looseObject({
    method: z.string(),
    url: z.string(),
    payload: z.unknown(),
  }),
  response: z.looseObject({
    status: z.number().int().optional(),
    body: z.union([z.array(z.string()), z.unknown()]),
    is_streaming: z.boolean(),
  }),
});

export type HttpRecording = z.infer<typeof HttpRecordingSchema>;

/** Whether a file is in the HTTP-level format: the only one whose request has a `payload`. */
export function isHttpLevel(json: unknown): boolean {
  const request = (json as { request?: unknown } | null)?.request;
  return typeof request === 'object' && request !== null && 'payload' in request && !('body' in request);
}
