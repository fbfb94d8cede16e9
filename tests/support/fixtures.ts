import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { indexCacheFile } from '../../src/index-cache.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');

export interface FixtureFile {
  name: string;
  file: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  recording: any;
}

/** Every bundled recording (fixtures/seeds and fixtures/samples), parsed. */
export async function fixtureFiles(): Promise<FixtureFile[]> {
  const names = (await readdir(FIXTURES, { recursive: true })).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(FIXTURES, name);
      return { name, file, recording: JSON.parse(await readFile(file, 'utf8')) };
    }),
  );
}

const made: string[] = [];
afterEach(async () => {
  // With its index cache, which lives outside it (in the OS temporary directory, for a directory outside any project).
  // A test may have put a file where the cache's directory would be: then there is no cache to remove.
  const removeCache = async (dir: string) => rm(await indexCacheFile(dir), { force: true }).catch(() => {});
  await Promise.all(made.splice(0).map(async (dir) => Promise.all([rm(dir, { recursive: true, force: true }), removeCache(dir)])));
});

/** A fresh directory, removed after the test; `fixtures: true` copies the bundled recordings in. */
export async function tempDir(options: { fixtures?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ai-vcr-test-'));
  made.push(dir);
  if (options.fixtures) await cp(FIXTURES, dir, { recursive: true });
  return dir;
}

/** The base URL a client would have used for a recorded URL (llama-stack doubles /v1). */
export function recordedBaseUrl(url: string, endpoint: string): string {
  const suffix = endpoint.replace(/^\/v1/, '');
  return url.slice(0, url.length - suffix.length).replace(/\/v1\/v1$/, '/v1');
}
