import { readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CACHE_VERSION, indexCacheFile } from '../src/index-cache.js';
import { requestKey } from '../src/key.js';
import { createNormalizer, type NormalizeRule } from '../src/normalize.js';
import { createStore } from '../src/store.js';
import { tempDir } from './support/fixtures.js';

// Count the files the library opens.
const opened = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = (file: string, ...rest: unknown[]) => {
    opened.push(String(file));
    return (fs.readFile as (...args: unknown[]) => unknown)(file, ...rest);
  };
  return { ...fs, default: { ...fs, readFile }, readFile };
});

/** A recording directory, removed with its cache after the test. */
const recordings = () => tempDir();

const bodyOf = (question: string) => ({ model: 'gpt-test', messages: [{ role: 'user', content: question }] });
const keyOf = (question: string) => requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: bodyOf(question) });

/** A recording named as llama-stack names its files (not by our key), so only the index finds it. */
async function writeForeign(dir: string, name: string, question: string, options: { age?: boolean } = {}): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  const recording = {
    test_id: null,
    request: { method: 'POST', url: 'http://127.0.0.1/v1/chat/completions', headers: {}, body: bodyOf(question), endpoint: '/v1/chat/completions', model: 'gpt-test' },
    response: {
      body: { __type__: 'openai.types.chat.chat_completion.ChatCompletion', __data__: { id: name, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: `answer to ${question}` }, finish_reason: 'stop' }] } },
      is_streaming: false,
    },
  };
  await writeFile(file, JSON.stringify(recording, null, 2));
  // Files younger than a file system's timestamp tick are not trusted to the cache; these are an hour old.
  if (options.age !== false) await utimes(file, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
  return file;
}

async function manyForeign(dir: string, count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => writeForeign(dir, `llama-${String(i).padStart(4, '0')}`, `question ${i}`)));
}

const readsIn = (dir: string) => opened.filter((file) => file.startsWith(`${dir}${path.sep}`));
const indexedKeys = async (store: ReturnType<typeof createStore>) => [...(await store.index()).byKey.keys()].sort();

async function cacheJson(dir: string) {
  return JSON.parse(await readFile(await indexCacheFile(dir), 'utf8'));
}

describe('the persisted index', () => {
  it('lets a second store over the same directory index it without reading any recording', async () => {
    const dir = await recordings();
    await manyForeign(dir, 20);
    const first = await indexedKeys(createStore(dir, 'request'));
    expect(first).toHaveLength(20);

    opened.length = 0;
    const second = createStore(dir, 'request');
    expect(await indexedKeys(second)).toEqual(first);
    expect(readsIn(dir)).toEqual([]);
    expect(opened).toEqual([await indexCacheFile(dir)]);

    // A hit through the index then reads its own file, once.
    const lookup = await second.lookup(keyOf('question 7'));
    expect(lookup).toMatchObject({ kind: 'hit', file: path.join(dir, 'llama-0007.json') });
    expect(readsIn(dir)).toEqual([path.join(dir, `${keyOf('question 7')}.json`), path.join(dir, 'llama-0007.json')]);
  });

  it('reads a file found by the index once when it builds the index for that lookup', async () => {
    const dir = await recordings();
    await manyForeign(dir, 5);
    const store = createStore(dir, 'request');
    const [hit] = await Promise.all([store.lookup(keyOf('question 3')), store.lookup(keyOf('question 4'))]);
    expect(hit).toMatchObject({ kind: 'hit', file: path.join(dir, 'llama-0003.json') });
    const reads = readsIn(dir);
    expect(reads.filter((file) => file.endsWith('llama-0003.json'))).toHaveLength(1);
    expect(reads.filter((file) => file.endsWith('llama-0004.json'))).toHaveLength(1);
  });

  it('still finds own <key>.json files by name, without reading the cache or building an index', async () => {
    const dir = await recordings();
    await manyForeign(dir, 3);
    await writeForeign(dir, keyOf('by name'), 'by name');
    await createStore(dir, 'request').index();

    opened.length = 0;
    expect(await createStore(dir, 'request').lookup(keyOf('by name'))).toMatchObject({ kind: 'hit' });
    expect(opened).toEqual([path.join(dir, `${keyOf('by name')}.json`)]);
  });

  it('re-reads a changed file, reads a new one and drops a deleted one, and reads no other', async () => {
    const dir = await recordings();
    await manyForeign(dir, 10);
    await createStore(dir, 'request').index();

    await writeForeign(dir, 'llama-0002', 'question two, changed', { age: false });
    await writeForeign(dir, 'llama-new', 'a new question', { age: false });
    await unlink(path.join(dir, 'llama-0005.json'));

    opened.length = 0;
    const keys = await indexedKeys(createStore(dir, 'request'));
    expect(readsIn(dir).sort()).toEqual([path.join(dir, 'llama-0002.json'), path.join(dir, 'llama-new.json')]);
    expect(keys).toContain(keyOf('question two, changed'));
    expect(keys).toContain(keyOf('a new question'));
    expect(keys).not.toContain(keyOf('question 2'));
    expect(keys).not.toContain(keyOf('question 5'));
    expect(keys).toHaveLength(10);
    expect(Object.keys((await cacheJson(dir)).files)).not.toContain('llama-0005.json');
  });

  it('does not trust a file written within a timestamp tick: rewritten at the same size and mtime, it is read again', async () => {
    const dir = await recordings();
    const file = await writeForeign(dir, 'llama-fresh', 'question A', { age: false });
    // A whole millisecond, so that setting it again gives the same mtimeMs.
    const mtime = new Date((await stat(file)).mtime.getTime());
    await utimes(file, mtime, mtime);
    expect(await indexedKeys(createStore(dir, 'request'))).toEqual([keyOf('question A')]);

    // What a rewrite within one tick of a coarse clock looks like: same size, same mtime, new content.
    await writeForeign(dir, 'llama-fresh', 'question B', { age: false });
    await utimes(file, mtime, mtime);
    expect(await indexedKeys(createStore(dir, 'request'))).toEqual([keyOf('question B')]);
  });

  it('applies a changed normalize rule to the cached requests, reading no recording', async () => {
    const dir = await recordings();
    await writeForeign(dir, 'llama-dated', 'What changed since 2026-11-30T10:00:00Z?');
    await createStore(dir, 'request').index();

    opened.length = 0;
    const rules: NormalizeRule[] = ['iso-timestamps'];
    const normalized = createStore(dir, 'request', createNormalizer(rules));
    const expected = requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: bodyOf('What changed since <timestamp>?') });
    expect(await indexedKeys(normalized)).toEqual([expected]);
    expect(readsIn(dir)).toEqual([]);

    // And back: without the rule the stored request keys as it was sent.
    expect(await indexedKeys(createStore(dir, 'request'))).toEqual([keyOf('What changed since 2026-11-30T10:00:00Z?')]);
    expect(readsIn(dir)).toEqual([]);
  });

  it('applies the scope to cached requests too', async () => {
    const dir = await recordings();
    await writeForeign(dir, 'llama-a', 'scoped');
    await createStore(dir, 'request').index();
    opened.length = 0;
    const [key] = await indexedKeys(createStore(dir, 'test'));
    expect(key).toBe(requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: bodyOf('scoped'), test: null }));
    expect(readsIn(dir)).toEqual([]);
  });

  it.each([
    ['not JSON', 'not json {'],
    ['torn (half a file)', '{"version":1,"dir":"'],
    ['from another version', JSON.stringify({ version: 0, entries: [] })],
    ['of the wrong shape', JSON.stringify({ version: CACHE_VERSION, dir: '/somewhere', files: { 'a.json': { size: 'big' } } })],
  ])('rebuilds a cache that is %s, and saves a valid one', async (_, text) => {
    const dir = await recordings();
    await manyForeign(dir, 4);
    const expected = await indexedKeys(createStore(dir, 'request'));
    await writeFile(await indexCacheFile(dir), text);

    opened.length = 0;
    expect(await indexedKeys(createStore(dir, 'request'))).toEqual(expected);
    expect(readsIn(dir)).toHaveLength(4);
    const saved = await cacheJson(dir);
    expect(saved).toMatchObject({ version: CACHE_VERSION, dir: path.resolve(dir) });
    expect(Object.keys(saved.files).sort()).toEqual(['llama-0000.json', 'llama-0001.json', 'llama-0002.json', 'llama-0003.json']);
  });

  it('ignores a cache written for another directory', async () => {
    const dir = await recordings();
    await manyForeign(dir, 2);
    await createStore(dir, 'request').index();
    const cache = await cacheJson(dir);
    await writeFile(await indexCacheFile(dir), JSON.stringify({ ...cache, dir: '/another/dir' }));
    opened.length = 0;
    await createStore(dir, 'request').index();
    expect(readsIn(dir)).toHaveLength(2);
  });

  it('keeps a broken file in the cache with its problem, so it is not read again until it changes', async () => {
    const dir = await recordings();
    const broken = path.join(dir, 'llama-broken.json');
    await writeFile(broken, '{"request": ');
    await utimes(broken, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const { invalid } = await createStore(dir, 'request').index();
    opened.length = 0;
    expect((await createStore(dir, 'request').index()).invalid).toEqual(invalid);
    expect(invalid).toEqual([{ file: broken, problem: expect.stringContaining('not valid JSON') }]);
    expect(readsIn(dir)).toEqual([]);
  });

  it('is left valid and whole by many stores saving it at once', async () => {
    const dir = await recordings();
    await manyForeign(dir, 200);
    const stores = Array.from({ length: 8 }, () => createStore(dir, 'request'));
    const all = await Promise.all(stores.map(indexedKeys));
    expect(new Set(all.map((keys) => keys.join()))).toHaveProperty('size', 1);
    const saved = await cacheJson(dir);
    expect(saved.version).toBe(CACHE_VERSION);
    expect(Object.keys(saved.files)).toHaveLength(200);
    opened.length = 0;
    expect(await indexedKeys(createStore(dir, 'request'))).toEqual(all[0]);
    expect(readsIn(dir)).toEqual([]);
    const cacheFile = await indexCacheFile(dir);
    const leftovers = (await import('node:fs')).readdirSync(path.dirname(cacheFile)).filter((name) => name.startsWith(path.basename(cacheFile)) && name.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });
});
