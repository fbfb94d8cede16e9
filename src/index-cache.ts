import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod/v4';
import { cacheFileFor, writeFileAtomically } from './last-run.js';

/**
 * The index of a recordings directory, persisted so that each test file (each vitest worker, each
 * jest environment) reads one cache file instead of every recording. It lives outside the
 * recordings directory (see cacheFileFor), is never committed, and is safe to delete at any time.
 *
 * It keeps the request each file stores as it is stored: which endpoint and key that request has
 * depends on the scope and the normalize rules, which are applied when the cache is loaded, so a
 * changed rule can never be answered with a key computed under the old one.
 */
export const CACHE_VERSION = 2;

/** What the index needs of a recording, exactly as the file has it. */
const StoredRequestSchema = z.object({
  method: z.string(),
  endpoint: z.string(),
  body: z.unknown(),
  test_id: z.string().nullish(),
  call: z.number().int().positive().optional(),
  /** The answer is a list of objects (a model list), which is merged with its endpoint's others. */
  list: z.boolean().optional(),
});

/**
 * One recording file as last read: either its request or what is wrong with it (so a broken file
 * is not re-read by every test file either). size and mtimeMs tell whether it changed since.
 */
const EntrySchema = z.union([
  /**
   * `key` is the request's key with no normalize rules and scope 'request', the usual keying: hashing
   * every request again would cost each test file more than reading the cache. It is a function of
   * `request` alone, so it cannot go stale; a change to how keys are computed must bump CACHE_VERSION.
   */
  z.object({ size: z.number(), mtimeMs: z.number(), request: StoredRequestSchema, key: z.string().optional() }),
  z.object({ size: z.number(), mtimeMs: z.number(), problem: z.string() }),
]);

const CacheSchema = z.object({
  version: z.literal(CACHE_VERSION),
  /** The recordings directory, absolute: two directories whose hashes collide do not share entries. */
  dir: z.string(),
  /** By path relative to dir. */
  files: z.record(z.string(), EntrySchema),
});

export type StoredRequest = z.infer<typeof StoredRequestSchema>;
export type CacheEntry = z.infer<typeof EntrySchema>;

/**
 * How old (by mtime) a file must be for its entry to be kept. A file system stamps mtimes with a
 * coarse clock (a few ms on Linux, 1 s or 2 s on some), so a file rewritten at the same size within
 * one tick of being read keeps its mtime: only a file older than any tick can be trusted unchanged.
 * Younger files are read again by the next test file, which costs little.
 */
export const SETTLED_MS = 2000;

export function indexCacheFile(dir: string): Promise<string> {
  return cacheFileFor(dir, 'index');
}

/** The cached entries for dir; none when there is no cache or it is unreadable, corrupt or from another version. */
export async function readIndexCache(dir: string): Promise<Map<string, CacheEntry>> {
  const file = await indexCacheFile(dir);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // Missing, or torn by something other than ai-vcr (ai-vcr renames whole files into place): rebuilt.
    return new Map();
  }
  const parsed = CacheSchema.safeParse(json);
  if (!parsed.success || parsed.data.dir !== path.resolve(dir)) return new Map();
  return new Map(Object.entries(parsed.data.files));
}

const warned = new Set<string>();

/**
 * Replaces the cache whole. Several workers may write it at once: each writes everything it saw, and
 * the rename makes the last one win whole. A failure only costs speed, so it warns once per process.
 */
export async function writeIndexCache(dir: string, entries: Map<string, CacheEntry>): Promise<void> {
  const file = await indexCacheFile(dir);
  const cache: z.infer<typeof CacheSchema> = { version: CACHE_VERSION, dir: path.resolve(dir), files: Object.fromEntries(entries) };
  try {
    await writeFileAtomically(file, JSON.stringify(cache));
  } catch (error) {
    if (warned.has(file)) return;
    warned.add(file);
    console.warn(`ai-vcr: cannot save the index of ${dir} to ${file}, so each test file reads every recording again: ${(error as Error).message}`);
  }
}

/** Whether a cached entry still describes the file, by its size and mtime now. */
export function isCurrent(entry: CacheEntry | undefined, stats: { size: number; mtimeMs: number }): entry is CacheEntry {
  return entry !== undefined && entry.size === stats.size && entry.mtimeMs === stats.mtimeMs;
}
