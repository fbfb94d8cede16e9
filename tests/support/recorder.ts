import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import type { RecorderHooks } from '../../src/events.js';
import { resolveOptions } from '../../src/options.js';
import { startRecorder } from '../../src/server.js';
import { setupRecorder, type Recorder, type RecorderOptions } from '../../src/index.js';
import { tempDir } from './fixtures.js';
import { blockedConnections } from './no-network.js';

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

/** The recordings in a directory, sorted by name: each file's name, text and parsed JSON. */
export async function recordingsOf(dir: string): Promise<{ name: string; text: string; json: ReturnType<typeof JSON.parse> }[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(path.join(dir, name), 'utf8');
      return { name, text, json: JSON.parse(text) };
    }),
  );
}

/** Records what `call` asks into a fresh directory; returns it and what the call got live. */
export async function recordCall<T>(call: () => Promise<T>, options: { recordErrors?: boolean } = {}): Promise<{ dir: string; live: T }> {
  const dir = await tempDir();
  recorder({ mode: 'record', dir, ...options });
  const live = await call();
  await closeRecorders();
  return { dir, live };
}

/** Replays `call` from `dir`, and checks that neither the upstream nor any other host was asked. */
export async function replayCall<T>(dir: string, call: () => Promise<T>, upstream: { requests: readonly unknown[] }): Promise<T> {
  const requests = upstream.requests.length;
  recorder({ mode: 'replay', dir });
  const replayed = await call();
  await closeRecorders();
  expect(upstream.requests).toHaveLength(requests);
  expect(blockedConnections()).toEqual([]);
  return replayed;
}
