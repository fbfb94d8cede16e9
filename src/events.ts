import { z } from 'zod/v4';

/** The test a request was made from, as a runner integration knows it. */
export const TestInfoSchema = z.object({
  /** Stable id written into recordings as `test_id`: test file (relative to the project root) and full test name. */
  id: z.string(),
  /** The command that runs just this test, used in "how to record it" messages. */
  command: z.string().optional(),
  /**
   * Which run of the test this is, when the runner runs it again (a retry, a repeat): the
   * sequence option counts each run's calls from the first again. Not part of any key.
   */
  attempt: z.number().int().optional(),
});

export type TestInfo = z.infer<typeof TestInfoSchema>;

/**
 * What happened to one intercepted LLM call; runner integrations turn these into a run
 * summary. A schema because workers log them as JSON for the runner's main process.
 */
export const RecorderEventSchema = z.object({
  /**
   * Every intercepted LLM call ends in exactly one of these. `invalid`: its recording is broken.
   * `refused`: replay mode did not send a call to an LLM API endpoint ai-vcr does not record.
   * `not-recorded`: record mode sent it but wrote nothing; `why` tells policy from failure.
   */
  type: z.enum(['replayed', 'recorded', 'missed', 'invalid', 'passed-through', 'refused', 'not-recorded']),
  method: z.string(),
  /** The endpoint, or for a refused call the URL's path. */
  endpoint: z.string(),
  model: z.string().optional(),
  key: z.string(),
  /** With the sequence option: which of its test's identical requests this call was, from 2 on. */
  call: z.number().int().optional(),
  /** The recording served, written or found broken. */
  file: z.string().optional(),
  /** For a model list merged from several recordings: all of them, so none looks unused. */
  files: z.array(z.string()).optional(),
  test: TestInfoSchema.optional(),
  /** For misses, broken recordings and refused calls: the message the client received. For calls not recorded: why. */
  message: z.string().optional(),
  /**
   * For calls not recorded: `policy` when the answer is one never recorded (a 429 or 5xx, a
   * 4xx without `recordErrors`), `failure` when it should have been and could not be (an
   * incomplete stream, a client that left before the upstream finished, a failed write).
   */
  why: z.enum(['policy', 'failure']).optional(),
});

export type RecorderEvent = z.infer<typeof RecorderEventSchema>;

/**
 * The calls of a run that record mode should have recorded and could not: a run that has any
 * fails, so that a suite whose recordings were silently lost can never be committed as green.
 */
export function recordingFailures(events: readonly RecorderEvent[]): RecorderEvent[] {
  return events.filter((event) => event.type === 'not-recorded' && event.why === 'failure');
}

/**
 * How runner integrations reach into a recorder. Not public API: the vitest and jest entry
 * points pass these; plain users of setupRecorder() have no test identity to give.
 */
export interface RecorderHooks {
  /** The test the current request belongs to, read in the request's async context. */
  currentTest?: () => TestInfo | undefined;
  onEvent?: (event: RecorderEvent) => void;
}

/** What fails a record-mode run: the calls that should have been recorded and were not, and why; undefined when none. */
export function failuresMessage(mode: string, events: readonly RecorderEvent[]): string | undefined {
  if (mode !== 'record' && mode !== 'record-if-missing') return undefined;
  const failures = recordingFailures(events);
  if (failures.length === 0) return undefined;
  const lines = failures.map((event) => `  ${event.method} ${event.endpoint}${event.test ? ` in ${event.test.id}` : ''}: ${event.message ?? 'no reason given'}`);
  return `ai-vcr: ${failures.length} ${failures.length === 1 ? 'call was' : 'calls were'} not recorded:\n${lines.join('\n')}`;
}
