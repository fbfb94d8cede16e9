import { statSync } from 'node:fs';
import { mkdir, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { listOf, recognise } from './apis/index.js';
import { fromHttpLevel } from './http-level.js';
import { requestKey, type KeyedRequest } from './key.js';
import { isCurrent, readIndexCache, SETTLED_MS, writeIndexCache, type CacheEntry, type StoredRequest } from './index-cache.js';
import { NOT_A_DIRECTORY } from './miss.js';
import { unnormalized } from './normalize.js';
import type { Scope } from './options.js';
import { describeIssue, HttpRecordingSchema, isHttpLevel, RecordingSchema, type Recording } from './recording.js';

export type Lookup =
  | { kind: 'hit'; file: string; recording: Recording }
  | { kind: 'invalid'; file: string; problem: string }
  | { kind: 'miss' };

export type ModelsLookup =
  | { kind: 'hit'; files: string[]; data: Record<string, unknown>[] }
  | { kind: 'invalid'; file: string; problem: string }
  | { kind: 'miss' };

/** A recording the directory holds, as seen by the index (for matching and for explaining misses). */
export interface IndexedRecording {
  file: string;
  /** The stored request as it is keyed: with the normalize rules applied. */
  request: KeyedRequest;
}

export interface DirectoryIndex {
  byKey: Map<string, IndexedRecording>;
  models: IndexedRecording[];
  invalid: { file: string; problem: string }[];
}

type Indexed = { request: KeyedRequest; key: string; list: boolean } | { problem: string };

/** How many recording files the index reads at once (new or changed ones: unchanged ones are only stat-ed). */
const READ_CONCURRENCY = 32;

export type Loaded = { ok: true; recording: Recording } | { ok: false; problem: string };

/**
 * Every recording file under a directory, sub-directories included, sorted; none if it does not
 * exist. A symlinked directory is followed, but each real directory is read once: a link back up
 * the tree would otherwise be walked until the OS gives up, listing the same files hundreds of times.
 */
export async function recordingFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  async function walk(relative: string): Promise<void> {
    const at = path.join(dir, relative);
    const real = await realpath(at);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      // A link named *.json is a recording whatever it points at: if it is broken, reading it says so.
      if (entry.name.endsWith('.json') && (entry.isFile() || entry.isSymbolicLink())) found.push(name);
      else if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(path.join(dir, name))))) await walk(name);
    }
  }
  await walk('').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return found.sort().map((name) => path.join(dir, name));
}

async function isDirectory(file: string): Promise<boolean> {
  return stat(file).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

/** The file that stands where a directory (or one of its parents) should be, if one does. */
async function fileInTheWay(dir: string): Promise<string | undefined> {
  for (let at = dir; ; at = path.dirname(at)) {
    const stats = await stat(at).catch(() => undefined);
    if (stats) return stats.isDirectory() ? undefined : at;
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * One directory of recordings. A recording written by ai-vcr is named `<key>.json`, so a
 * hit opens exactly one file. Recordings named otherwise (llama-stack names files by its
 * own hash, which a JS request cannot reproduce) are found through an index of the
 * requests stored inside them, loaded once, on the first request the names cannot answer,
 * from a cache that other stores (other test files) over the same directory keep up to date.
 */
export function createStore(dir: string, scope: Scope, normalizeBody: (body: unknown) => unknown = unnormalized) {
  const loaded = new Map<string, Recording>();
  let index: Promise<DirectoryIndex> | undefined;
  /** Keys that lookups are waiting for the index to find. */
  const wanted = new Set<string>();

  async function load(file: string): Promise<Loaded> {
    const cached = loaded.get(file);
    if (cached) return { ok: true, recording: cached };
    const result = await readRecording(file);
    if (result.ok) loaded.set(file, result.recording);
    return result;
  }

  /**
   * The index, from the persisted cache where it still describes a file (by size and mtime), else
   * from the file. The cache keeps each request as stored, so the rules and scope are applied here.
   */
  async function buildIndex(): Promise<DirectoryIndex> {
    const built: DirectoryIndex = { byKey: new Map(), models: [], invalid: [] };
    const blocker = await fileInTheWay(dir);
    if (blocker) {
      built.invalid.push({ file: blocker, problem: NOT_A_DIRECTORY });
      return built;
    }
    const files = await recordingFiles(dir);
    const cached = await readIndexCache(dir);
    const entries = new Map<string, CacheEntry>();
    let changed = false;
    const scanned = await mapLimited(files, READ_CONCURRENCY, (file) => indexFile(file, cached.get(path.relative(dir, file))));
    for (const [i, file] of files.entries()) {
      const { entry, read, indexed } = scanned[i]!;
      if (entry) entries.set(path.relative(dir, file), entry);
      changed ||= read && entry !== undefined;
      if ('problem' in indexed) {
        built.invalid.push({ file, problem: indexed.problem });
        continue;
      }
      const { request, key, list } = indexed;
      if (list) built.models.push({ file, request });
      else if (!built.byKey.has(key)) built.byKey.set(key, { file, request });
    }
    changed ||= [...cached.keys()].some((relative) => !entries.has(relative));
    if (changed) await writeIndexCache(dir, entries);
    return built;
  }

  /**
   * One file for the index: its cached entry if the file is unchanged, else read now. A file read
   * now for a key a lookup is waiting for stays loaded, so its hit does not read it again; the others
   * are dropped, so the index keeps requests only.
   */
  async function indexFile(file: string, known: CacheEntry | undefined): Promise<{ entry?: CacheEntry; read: boolean; indexed: Indexed }> {
    const readAt = Date.now();
    // Synchronous: one stat is a few µs, far less than a round trip through libuv's thread pool, and
    // there is one per recording. A file stat cannot see (a broken link) is read anyway, so that the
    // error says what reading says.
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats && isCurrent(known, stats)) return { entry: known, read: false, indexed: indexedOf(known) };
    const result = await readRecording(file).catch((error: Error) => ({ ok: false as const, problem: error.message, unreadable: true }));
    const settled = stats !== undefined && readAt - stats.mtimeMs > SETTLED_MS && !('unreadable' in result);
    const size = stats?.size ?? 0;
    const mtimeMs = stats?.mtimeMs ?? 0;
    const entry: CacheEntry = result.ok ? requestEntry(size, mtimeMs, storedRequestOf(result.recording)) : { size, mtimeMs, problem: result.problem };
    const indexed = indexedOf(entry);
    if (result.ok && 'key' in indexed && wanted.has(indexed.key)) loaded.set(file, result.recording);
    return { entry: settled ? entry : undefined, read: true, indexed };
  }

  /** A cached entry as this store keys it: with its scope and normalize rules. */
  function indexedOf(entry: CacheEntry): Indexed {
    if ('problem' in entry) return { problem: entry.problem };
    const stored = keyedRequestFrom(entry.request, scope);
    if (!stored) return { problem: `request.endpoint: "${entry.request.endpoint}" is not a URL path` };
    const list = entry.request.list === true && listOf(stored.endpoint) !== undefined;
    if (entry.key && scope === 'request' && normalizeBody === unnormalized) return { request: stored, key: entry.key, list };
    // Keyed as a live request is, rules included: a file named by the key its request had
    // before a rule was added is found by the key the rule gives it now.
    try {
      const request = { ...stored, body: normalizeBody(stored.body) };
      return { request, key: requestKey(request), list };
    } catch (error) {
      return { problem: (error as Error).message };
    }
  }

  function getIndex(): Promise<DirectoryIndex> {
    index ??= buildIndex();
    return index;
  }

  async function lookupFile(file: string): Promise<Lookup | undefined> {
    try {
      const result = await load(file);
      return result.ok ? { kind: 'hit', file, recording: result.recording } : { kind: 'invalid', file, problem: result.problem };
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'ENOTDIR') {
        const blocker = await fileInTheWay(dir);
        if (blocker) return { kind: 'invalid', file: blocker, problem: NOT_A_DIRECTORY };
      }
      if (code === 'ENOENT') return undefined;
      return { kind: 'invalid', file, problem: (error as Error).message };
    }
  }

  return {
    dir,

    /** The recording for a key: its own file first, then the index of other files. */
    async lookup(key: string): Promise<Lookup> {
      const own = await lookupFile(path.join(dir, `${key}.json`));
      if (own) return own;
      wanted.add(key);
      const entry = (await getIndex()).byKey.get(key);
      return (entry && (await lookupFile(entry.file))) ?? { kind: 'miss' };
    },

    /**
     * Every recording of a list endpoint, merged like llama-stack merges model lists (first file
     * wins on a duplicate id). Per endpoint: two APIs' lists are never one answer.
     */
    async models(endpoint: string): Promise<ModelsLookup> {
      const built = await getIndex();
      const blocked = built.invalid.find(({ problem }) => problem === NOT_A_DIRECTORY);
      if (blocked) return { kind: 'invalid', ...blocked };
      const files = built.models.filter(({ request }) => request.endpoint === endpoint).map(({ file }) => file);
      if (files.length === 0) return { kind: 'miss' };
      const byId = new Map<unknown, Record<string, unknown>>();
      for (const file of files) {
        const result = await load(file);
        if (!result.ok) return { kind: 'invalid', file, problem: result.problem };
        for (const object of [result.recording.response.body ?? []].flat()) {
          if (!byId.has(object.__data__.id)) byId.set(object.__data__.id, object.__data__);
        }
      }
      return { kind: 'hit', files, data: [...byId.values()] };
    },

    index: getIndex,

    /**
     * Write a recording as `<key>.json`, atomically (a temporary file renamed into place), so
     * parallel writers never leave a torn file and the last of two writers of one key wins
     * whole. A re-recording that differs from the file only in timing leaves the file alone,
     * so re-recording an unchanged answer shows no diff in review. Returns the file path.
     */
    async write(key: string, stored: Recording): Promise<string> {
      const file = path.join(dir, `${key}.json`);
      const text = `${JSON.stringify(stored, null, 2)}\n`;
      const previous = await readRecording(file).catch(() => undefined);
      const unchanged = previous?.ok && sameExceptTiming(previous.recording, stored) ? previous.recording : undefined;
      if (!unchanged) {
        await mkdir(dir, { recursive: true }).catch(async (error: NodeJS.ErrnoException) => {
          const blocker = await fileInTheWay(dir);
          if (!blocker) throw error;
          throw new Error(`cannot write recordings to ${dir}: ${blocker} is a file, not a directory. Point dir (or AI_VCR_DIR) at a directory, or move the file away`);
        });
        const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
        try {
          await writeFile(temporary, text);
          await rename(temporary, file);
        } finally {
          await rm(temporary, { force: true });
        }
      }
      loaded.set(file, unchanged ?? stored);
      const sent = keyedRequestOf(stored, scope);
      const request = sent && { ...sent, body: normalizeBody(sent.body) };
      if (index && request) {
        const built = await index;
        if (isListRecording(stored, request)) {
          if (!built.models.some((entry) => entry.file === file)) built.models.push({ file, request });
        } else {
          built.byKey.set(key, { file, request });
        }
      }
      return file;
    },
  };
}

function sameExceptTiming(a: Recording, b: Recording): boolean {
  const withoutTiming = ({ response: { chunk_times_ms: _, ...response }, ...rest }: Recording) => JSON.stringify({ ...rest, response });
  return withoutTiming(a) === withoutTiming(b);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A recording file read and checked as replay reads it; a file that cannot be read at all throws. */
export async function readRecording(file: string): Promise<Loaded> {
  const bytes = await readFile(file);
  let text: string;
  try {
    // Strict: a lenient decode would replay a file saved in another encoding with U+FFFD in the answers.
    text = UTF8.decode(bytes);
  } catch {
    const at = firstInvalidByte(bytes);
    const line = bytes.subarray(0, at).filter((byte) => byte === 0x0a).length + 1;
    return { ok: false, problem: `not UTF-8 text: byte ${at} (line ${line}) is not valid UTF-8; was it saved in another encoding? Re-save it as UTF-8` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${(error as Error).message})` };
  }
  if (isHttpLevel(json)) {
    const http = HttpRecordingSchema.safeParse(json);
    return http.success ? fromHttpLevel(http.data) : { ok: false, problem: describeIssue(http.error) };
  }
  const parsed = RecordingSchema.safeParse(json);
  return parsed.success ? { ok: true, recording: parsed.data } : { ok: false, problem: describeIssue(parsed.error) };
}

/** The offset of the first byte that is not valid UTF-8, in bytes that are not valid UTF-8. */
function firstInvalidByte(bytes: Buffer): number {
  // A lenient decode puts U+FFFD where the bad bytes were; one spelled EF BF BD in the file is a real one.
  let offset = 0;
  for (const char of bytes.toString('utf8')) {
    if (char === '\uFFFD' && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) break;
    offset += Buffer.byteLength(char);
  }
  return offset;
}

/** The request a recording answers, normalized as a live request would be. */
export function keyedRequestOf(recording: Recording, scope: Scope): KeyedRequest | undefined {
  return keyedRequestFrom(storedRequestOf(recording), scope);
}

/** A cache entry for a valid recording, with its key under no rules and scope 'request' where it has one. */
function requestEntry(size: number, mtimeMs: number, request: StoredRequest): CacheEntry {
  const keyed = keyedRequestFrom(request, 'request');
  return keyed ? { size, mtimeMs, request, key: requestKey(keyed) } : { size, mtimeMs, request };
}

function storedRequestOf(recording: Recording): StoredRequest {
  const { method, endpoint, body } = recording.request;
  const stored: StoredRequest = { method, endpoint, body: body ?? null };
  // A list of objects (OpenAI's model list) is merged with the others of its endpoint, not keyed.
  if (Array.isArray(recording.response.body)) stored.list = true;
  if (recording.test_id !== undefined) stored.test_id = recording.test_id;
  if (recording.call !== undefined) stored.call = recording.call;
  return stored;
}

function keyedRequestFrom(stored: StoredRequest, scope: Scope): KeyedRequest | undefined {
  if (!stored.endpoint.startsWith('/')) return undefined;
  // An endpoint no API module knows is one of an API's other JSON endpoints, kept as it was called.
  const recognised = recognise(stored.endpoint);
  const method = stored.method.toUpperCase();
  const request: KeyedRequest = {
    // llama-stack writes POST for calls that are GETs (model lists, Ollama's /api/ps).
    method: recognised?.method === 'GET' && method === 'POST' ? 'GET' : method,
    endpoint: recognised?.endpoint ?? stored.endpoint,
    // A GET has no body, whatever a file says (llama-stack stores `{}` for Ollama's /api/ps).
    body: method === 'GET' || recognised?.method === 'GET' ? null : withoutExtraBody(stored.body ?? null),
  };
  if (scope === 'test') request.test = stored.test_id ?? null;
  if (stored.call && stored.call > 1) request.call = stored.call;
  return request;
}

/**
 * The body as it went over the wire. llama-stack stores the Python SDK's arguments, where
 * `extra_body` holds fields the SDK then sends at the top level, as every JS client does.
 */
function withoutExtraBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('extra_body' in body)) return body;
  const { extra_body: extra, ...rest } = body as Record<string, unknown>;
  return typeof extra === 'object' && extra !== null && !Array.isArray(extra) ? { ...rest, ...extra } : body;
}

/** Whether a stored request is one of a list endpoint's (OpenAI's model list), whose recordings are merged. */
export function isListRecording(recording: Recording, request: KeyedRequest): boolean {
  return listOf(request.endpoint) !== undefined && Array.isArray(recording.response.body);
}

/** fn over every item, at most `limit` at a time: 20,000 files opened at once would run out of file descriptors. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await fn(items[at]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
