import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from './support/fixtures.js';

const WRITER = path.join(import.meta.dirname, 'support', 'writer.ts');

function runWriter(dir: string, id: number, times: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(id), String(times)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (data) => (stderr += data));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${id} exited ${code}: ${stderr}`))));
  });
}

it('never leaves a torn file when parallel processes record the same key', async () => {
  const dir = await tempDir();
  const file = path.join(dir, `${'k'.repeat(64)}.json`);
  let done = false;
  const writers = Promise.all([1, 2, 3].map((id) => runWriter(dir, id, 40))).finally(() => (done = true));

  let reads = 0;
  while (!done) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) continue;
    expect(() => JSON.parse(text), `read ${reads} was torn`).not.toThrow();
    reads++;
  }
  await writers;

  const final = JSON.parse(await readFile(file, 'utf8'));
  expect(final.response.body).toHaveLength(400);
  expect(final.response.body[0].__data__.choices[0].delta.content).toMatch(/^writer [123] round 39$/);
  expect(reads).toBeGreaterThan(0);
  expect(await readdir(dir)).toEqual([path.basename(file)]);
}, 60_000);
