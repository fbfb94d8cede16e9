import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod/v4';
import type { RecorderEvent } from './events.js';

/**
 * Which recordings the last whole run used, kept after the run so that `ai-vcr list --unused`,
 * `verify` and `prune` can tell unused recordings from used ones without running the suite.
 * It lives outside the recordings directory, in the project's `node_modules/.cache/ai-vcr/`
 * (never committed; the first ancestor of the directory with a package.json is the project),
 * one file per recordings directory, named by a hash of its absolute path.
 */
const LastRunSchema = z.object({
  /** The recordings directory, absolute. */
  dir: z.string(),
  /** When the run ended (ms since the epoch): a recording changed after it was not known to the run. */
  finishedAt: z.number(),
  /** The recordings the run used, relative to dir. */
  used: z.array(z.string()),
});

export type LastRun = z.infer<typeof LastRunSchema>;

export type LastRunLookup = { kind: 'found'; file: string; run: LastRun } | { kind: 'none'; file: string } | { kind: 'unreadable'; file: string; problem: string };

/** Where the last whole run's usage of this recordings directory is kept. */
export function lastRunFile(dir: string): Promise<string> {
  return cacheFileFor(dir, 'last-run');
}

/**
 * A file of ai-vcr's own about a recordings directory, kept outside it so it is never committed: in the
 * project's `node_modules/.cache/ai-vcr/`, named `<what>-<hash of the directory's absolute path>.json`.
 */
export async function cacheFileFor(dir: string, what: string): Promise<string> {
  const absolute = path.resolve(dir);
  const name = `${what}-${createHash('sha256').update(absolute).digest('hex').slice(0, 16)}.json`;
  const project = await projectOf(absolute);
  // A directory outside any package (a temporary one) still gets a place that is not committed.
  const cache = project ? path.join(project, 'node_modules', '.cache', 'ai-vcr') : path.join(tmpdir(), 'ai-vcr-cache');
  return path.join(cache, name);
}

async function projectOf(dir: string): Promise<string | undefined> {
  for (let at = dir; ; at = path.dirname(at)) {
    if (await stat(path.join(at, 'package.json')).then(() => true, () => false)) return at;
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * Remember the recordings a whole run used: every file served, written or found broken. Only
 * the summary depends on it, so a failure to write warns and does not fail the run.
 */
export async function saveWholeRun(dir: string, events: readonly RecorderEvent[]): Promise<void> {
  const used = new Set(events.flatMap((event) => event.files ?? (event.file ? [event.file] : [])));
  const run: LastRun = { dir: path.resolve(dir), finishedAt: Date.now(), used: [...used].map((file) => path.relative(dir, file)).sort() };
  const file = await lastRunFile(dir);
  try {
    await writeFileAtomically(file, `${JSON.stringify(run, null, 2)}\n`);
  } catch (error) {
    console.warn(`ai-vcr: cannot remember which recordings this run used (ai-vcr prune and verify need it): ${(error as Error).message}`);
  }
}

/** Writes through a temporary file renamed into place, so a reader (another worker) never sees half a file. */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, text);
    await rename(temporary, file);
  } finally {
    // Where the directory could not be made, there is no temporary file either, and rm says ENOTDIR.
    await rm(temporary, { force: true }).catch(() => {});
  }
}

export async function readLastRun(dir: string): Promise<LastRunLookup> {
  const file = await lastRunFile(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none', file };
    return { kind: 'unreadable', file, problem: (error as Error).message };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: 'unreadable', file, problem: `not valid JSON (${(error as Error).message})` };
  }
  const parsed = LastRunSchema.safeParse(json);
  if (!parsed.success) return { kind: 'unreadable', file, problem: z.prettifyError(parsed.error) };
  return { kind: 'found', file, run: parsed.data };
}
