import { appendFileSync, mkdirSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { z } from 'zod/v4';
import { RecorderEventSchema, type RecorderEvent } from './events.js';
import { ResolvedOptionsSchema, type JsonResolvedOptions } from './options.js';

/**
 * One test run as a runner's main process hands it to its workers: the options, resolved
 * there once, and a directory where every worker appends what happened to its LLM calls,
 * for the main process to merge into one summary when the run ends. Workers are other
 * processes or threads, so all of it crosses a boundary as JSON and is validated on arrival.
 */
export const RunSchema = z.object({
  options: ResolvedOptionsSchema,
  /** The run directory, where workers write their event logs. */
  log: z.string().min(1),
  /** Test files are named relative to this in test ids. */
  rootDir: z.string().min(1),
});

export type Run = z.infer<typeof RunSchema>;

/**
 * A new run. Its directory is made by the first worker that writes to it, so a run that ends
 * before any test (no test files found, a config error) leaves nothing behind.
 */
export function createRun(options: JsonResolvedOptions, rootDir: string): Run {
  return { options, log: path.join(tmpdir(), `ai-vcr-run-${randomUUID()}`), rootDir };
}

/** A run handed over by the main process; `from` names where it came from, for the error. */
export function parseRun(value: unknown, from: string): Run {
  const parsed = RunSchema.safeParse(value);
  if (!parsed.success) throw new TypeError(`ai-vcr: ${from} does not describe a test run: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Forget what the workers logged so far: a watch-mode rerun starts a new summary. */
export async function clearRun(run: Run): Promise<void> {
  for (const name of await logFiles(run)) await rm(path.join(run.log, name), { force: true });
}

export function removeRun(run: Run): Promise<void> {
  return rm(run.log, { recursive: true, force: true });
}

/** A test file whose tests all ran (whether they passed or not). */
const FileDone = z.object({ type: z.literal('file-done'), file: z.string() });

const Line = z.union([RecorderEventSchema, FileDone]);

export interface RunLog {
  events: RecorderEvent[];
  /** Test files reported done, relative to the run's rootDir. */
  filesDone: Set<string>;
  /** Lines that could not be read back (a worker killed mid-write). */
  unreadable: number;
}

export interface RunLogWriter {
  event(event: RecorderEvent): void;
  fileDone(file: string): void;
}

/**
 * A writer of its own file in the run directory, so that no two writers (worker processes,
 * threads, or test files re-evaluating the setup module) ever share a file. Appends are
 * synchronous: a worker may exit right after its last test, and a line must not be lost.
 */
export function runLogWriter(run: Run): RunLogWriter {
  const file = path.join(run.log, `${process.pid}-${threadId}-${randomUUID()}.jsonl`);
  let made = false;
  let failed = false;
  // Only the summary depends on the log: a failure to write it must not fail the LLM call.
  const append = (line: z.infer<typeof Line>) => {
    try {
      if (!made) {
        mkdirSync(run.log, { recursive: true, mode: 0o700 });
        made = true;
      }
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch (error) {
      if (!failed) console.warn(`ai-vcr: the run summary will be incomplete: cannot write ${file}: ${(error as Error).message}`);
      failed = true;
    }
  };
  return {
    event: append,
    fileDone: (testFile) => append({ type: 'file-done', file: testFile }),
  };
}

export async function readRunLog(run: Run): Promise<RunLog> {
  const log: RunLog = { events: [], filesDone: new Set(), unreadable: 0 };
  for (const name of await logFiles(run)) {
    for (const text of (await readFile(path.join(run.log, name), 'utf8')).split('\n')) {
      if (text === '') continue;
      const parsed = Line.safeParse(parseJson(text));
      if (!parsed.success) log.unreadable += 1;
      else if (parsed.data.type === 'file-done') log.filesDone.add(parsed.data.file);
      else log.events.push(parsed.data);
    }
  }
  return log;
}

/** The workers' log files, in a stable order; none before any worker wrote. */
async function logFiles(run: Run): Promise<string[]> {
  const names = await readdir(run.log).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return names.filter((name) => name.endsWith('.jsonl')).sort();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
