import { stat } from 'node:fs/promises';
import path from 'node:path';
import { modelOfCall } from '../apis/index.js';
import { requestKey } from '../key.js';
import { readLastRun, type LastRunLookup } from '../last-run.js';
import { DEFAULT_DIR, type Scope } from '../options.js';
import type { Recording } from '../recording.js';
import { isListRecording, keyedRequestOf, readRecording, recordingFiles } from '../store.js';
import { CliError, progress, shownPath, type Io } from './io.js';

/** One file of a recordings directory, read and checked as replay reads it. */
export interface Scanned {
  file: string;
  size: number;
  mtimeMs: number;
  /** The recording, when the file is one replay would serve. */
  recording?: Recording;
  /** Its key as the store computes it for a lookup; undefined for a model list, which is merged, not looked up. */
  key?: string;
  /** What is wrong with it, when replay would refuse it. */
  problem?: string;
}

/** The recordings directory a command works on: the one given, else AI_VCR_DIR, else the recorder's default. */
export function recordingsDir(given: string | undefined, io: Io): string {
  return path.resolve(io.cwd, given ?? (io.env.AI_VCR_DIR || DEFAULT_DIR));
}

/** Every recording file of a directory, checked with the store's own reading and keying. */
export async function scan(dir: string, scope: Scope, io: Io): Promise<Scanned[]> {
  const stats = await stat(dir).catch(() => undefined);
  if (!stats) throw new CliError(`${shownPath(dir, io.cwd)} does not exist: give the recordings directory (default: AI_VCR_DIR, else ./${DEFAULT_DIR})`);
  if (!stats.isDirectory()) throw new CliError(`${shownPath(dir, io.cwd)} is a file, not a directory of recordings`);
  const files = await recordingFiles(dir);
  const shown = progress(io, 'reading recordings', files.length);
  const scanned: Scanned[] = [];
  for (const file of files) {
    scanned.push(await scanFile(file, scope));
    shown.tick();
  }
  shown.done();
  return scanned;
}

export async function scanFile(file: string, scope: Scope): Promise<Scanned> {
  const stats = await stat(file).catch(() => undefined);
  const base = { file, size: stats?.size ?? 0, mtimeMs: stats?.mtimeMs ?? 0 };
  const result = await readRecording(file).catch((error: Error) => ({ ok: false as const, problem: error.message }));
  if (!result.ok) return { ...base, problem: result.problem };
  const request = keyedRequestOf(result.recording, scope);
  // The same words as the store's index uses for it.
  if (!request) return { ...base, problem: `request.endpoint: "${result.recording.request.endpoint}" is not a URL path` };
  return { ...base, recording: result.recording, key: isListRecording(result.recording, request) ? undefined : requestKey(request) };
}

/**
 * Whether the last whole run used a file: `new` when the file changed after that run ended
 * (recorded by a later, filtered run, or pulled), as that run cannot have known of it.
 */
export type Usage = 'used' | 'unused' | 'new' | 'unknown';

export interface UsageOf {
  lastRun: LastRunLookup;
  of(scanned: Scanned): Usage;
}

export async function usageOf(dir: string): Promise<UsageOf> {
  const lastRun = await readLastRun(dir);
  if (lastRun.kind !== 'found') return { lastRun, of: () => 'unknown' };
  const used = new Set(lastRun.run.used.map((file) => path.resolve(dir, file)));
  return {
    lastRun,
    // Whole milliseconds, as finishedAt is: a file written in the run's last millisecond is not newer than the run.
    of: ({ file, mtimeMs }) => (used.has(file) ? 'used' : Math.floor(mtimeMs) > lastRun.run.finishedAt ? 'new' : 'unused'),
  };
}

/** Why usage is not known, for a note on stderr; undefined when it is. */
export function noUsageReason(lastRun: LastRunLookup, dir: string, io: Io): string | undefined {
  if (lastRun.kind === 'found') return undefined;
  const where = shownPath(lastRun.file, io.cwd);
  if (lastRun.kind === 'unreadable') return `the record of the last whole run (${where}) cannot be read: ${lastRun.problem}. Run the whole suite again to rewrite it`;
  return `no whole run of the suite is recorded for ${shownPath(dir, io.cwd)} (it would be in ${where}): run every test once (no file filter, no -t) with the ai-vcr vitest or jest integration`;
}

/** The endpoint without its `/v1/`, as lists show it. */
export function shortEndpoint(endpoint: string): string {
  return endpoint.replace(/^\/v1\//, '');
}

/** The model a recording answered for: the recorded `model`, else the one its body names. */
export function modelOfRecording(recording: Recording): string | undefined {
  return recording.request.model || modelOfCall(recording.request.endpoint, recording.request.body);
}
