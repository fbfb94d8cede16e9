import { z } from 'zod/v4';
import { endpointOf, type Endpoint } from './endpoint.js';

/** The test a request was made from, as a runner integration knows it. */
export const TestInfoSchema = z.object({
  /** Stable id written into recordings as `test_id`: test file (relative to the project root) and full test name. */
  id: z.string(),
  /** The command that runs just this test, used in "how to record it" messages. */
  command: z.string().optional(),
});

export type TestInfo = z.infer<typeof TestInfoSchema>;

/**
 * What happened to one intercepted LLM call; runner integrations turn these into a run
 * summary. A schema because workers log them as JSON for the runner's main process.
 */
export const RecorderEventSchema = z.object({
  type: z.enum(['replayed', 'recorded', 'missed', 'invalid', 'passed-through']),
  method: z.string(),
  endpoint: z.custom<Endpoint>((value) => typeof value === 'string' && endpointOf(value) === value),
  model: z.string().optional(),
  key: z.string(),
  /** The recording served, written or found broken. */
  file: z.string().optional(),
  /** For a model list merged from several recordings: all of them, so none looks unused. */
  files: z.array(z.string()).optional(),
  test: TestInfoSchema.optional(),
  /** For misses and broken recordings: the message the client received. */
  message: z.string().optional(),
});

export type RecorderEvent = z.infer<typeof RecorderEventSchema>;
/**
 * How runner integrations reach into a recorder. Not public API: the vitest and jest entry
 * points pass these; plain users of setupRecorder() have no test identity to give.
 */
export interface RecorderHooks {
  /** The test the current request belongs to, read in the request's async context. */
  currentTest?: () => TestInfo | undefined;
  onEvent?: (event: RecorderEvent) => void;
}
