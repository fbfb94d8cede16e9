import type { Endpoint } from './endpoint.js';

/** The test a request was made from, as a runner integration knows it. */
export interface TestInfo {
  /** Stable id written into recordings as `test_id`: test file (relative to the project root) and full test name. */
  id: string;
  /** The command that runs just this test, used in "how to record it" messages. */
  command?: string;
}

/** What happened to one intercepted LLM call; runner integrations turn these into a run summary. */
export interface RecorderEvent {
  type: 'replayed' | 'recorded' | 'missed' | 'invalid' | 'passed-through';
  method: string;
  endpoint: Endpoint;
  model: string | undefined;
  key: string;
  /** The recording served, written or found broken. */
  file?: string;
  /** For a model list merged from several recordings: all of them, so none looks unused. */
  files?: string[];
  test?: TestInfo;
  /** For misses and broken recordings: the message the client received. */
  message?: string;
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
