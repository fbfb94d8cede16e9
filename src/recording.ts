import { z } from 'zod/v4';

/**
 * The recording file format: the one llama-stack's Python recorder writes (see README,
 * "Recording format"), so its recordings replay here unchanged. Objects are loose:
 * fields we do not use (provider_metadata, exception_message, ...) are kept as they are.
 */
const SdkObject = z.looseObject({
  __type__: z.string(),
  __data__: z.record(z.string(), z.unknown()),
});

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
  body: z.union([z.array(SdkObject), SdkObject, z.null()]),
  is_streaming: z.boolean(),
  is_exception: z.boolean().optional(),
  exception_data: ExceptionData.nullish(),
  status: z.number().int().optional(),
  /** ai-vcr's addition: when each chunk arrived, in ms since the request started. */
  chunk_times_ms: z.array(z.number().nonnegative()).optional(),
});

export const RecordingSchema = z
  .looseObject({
    test_id: z.string().nullish(),
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
  const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
  return `${path || '(root)'}: ${issue.message}`;
}
