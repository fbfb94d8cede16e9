import { afterEach } from 'vitest';
import { setupRecorder, type Recorder, type RecorderOptions } from '../../src/index.js';

const open: Recorder[] = [];
afterEach(closeRecorders);

/** setupRecorder() for one test: closed after it, so a failing test cannot leave interception on. */
export function recorder(options: RecorderOptions): Recorder {
  const vcr = setupRecorder(options);
  open.push(vcr);
  return vcr;
}

/** Closes the recorders the test started, once their recordings are written, so it can read them. */
export async function closeRecorders(): Promise<void> {
  await Promise.all(open.splice(0).map((vcr) => vcr.close()));
}
