import { afterEach } from 'vitest';
import type { RecorderHooks } from '../../src/events.js';
import { resolveOptions } from '../../src/options.js';
import { startRecorder } from '../../src/server.js';
import { setupRecorder, type Recorder, type RecorderOptions } from '../../src/index.js';

const open: Recorder[] = [];
afterEach(closeRecorders);

/**
 * setupRecorder() for one test: closed after it, so a failing test cannot leave interception on.
 * With `hooks`, as a runner integration starts one, to see each call's outcome.
 */
export function recorder(options: RecorderOptions, hooks?: RecorderHooks): Recorder {
  const vcr = hooks ? startRecorder(resolveOptions(options, process.env, 'code'), hooks) : setupRecorder(options);
  open.push(vcr);
  return vcr;
}

/** Closes the recorders the test started, once their recordings are written, so it can read them. */
export async function closeRecorders(): Promise<void> {
  await Promise.all(open.splice(0).map((vcr) => vcr.close()));
}
