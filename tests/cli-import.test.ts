import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestKey } from '../src/key.js';
import { RecordingSchema } from '../src/recording.js';
import { createStore, keyedRequestOf } from '../src/store.js';
import { cli, json } from './support/cli.js';
import { FIXTURES, fixtureFiles, tempDir } from './support/fixtures.js';

const MODELS = 'models-3a641f25d65695766fb77e424273f716b852f371e1e87f6e14fd5672b1ab6005-4a65eed3.json';

/** The key the store looks a recording up by, in a scope. */
function keyOf(recording: unknown, scope: 'request' | 'test' = 'request'): string {
  return requestKey(keyedRequestOf(RecordingSchema.parse(recording), scope)!);
}

async function llamaStackDir(): Promise<string> {
  const dir = await tempDir();
  await cp(FIXTURES, dir, { recursive: true });
  return dir;
}

describe('ai-vcr import', () => {
  it('renames llama-stack recordings to the key replay opens first; model lists keep their names', async () => {
    const dir = await llamaStackDir();
    const fixtures = await fixtureFiles();
    const ran = await cli(['import', '.'], { cwd: dir });
    expect(ran.code).toBe(0);
    expect(ran.stdout.trimEnd().split('\n').at(-1)).toBe('ai-vcr import: moved 12, 0 already named by their key');
    const keys = fixtures.filter(({ name }) => !name.endsWith(MODELS)).map(({ recording }) => `${keyOf(recording)}.json`);
    expect((await readdir(dir, { recursive: true })).filter((name) => name.endsWith('.json')).sort()).toEqual([...keys, `samples/${MODELS}`].sort());
    // Each lookup now opens the file named by its key, the same bytes as before.
    const store = createStore(dir, 'request');
    for (const { file, recording } of fixtures.filter(({ name }) => !name.endsWith(MODELS))) {
      const lookup = await store.lookup(keyOf(recording));
      expect(lookup).toMatchObject({ kind: 'hit', file: path.join(dir, `${keyOf(recording)}.json`) });
      expect(await readFile(path.join(dir, `${keyOf(recording)}.json`))).toEqual(await readFile(file));
    }
    expect(await store.models('/v1/models')).toMatchObject({ kind: 'hit', files: [path.join(dir, 'samples', MODELS)] });

    const again = await cli(['import', dir], { cwd: '/' });
    expect(again.stdout).toBe('ai-vcr import: moved 0, 12 already named by their key\n');
  });

  it('--copy --to leaves the originals (a directory shared with a Python suite); --copy alone is refused', async () => {
    const from = await llamaStackDir();
    const root = await tempDir();
    const refused = await cli(['import', from, '--copy'], { cwd: root });
    expect(refused).toEqual({ code: 2, stdout: '', stderr: 'ai-vcr: --copy needs --to <another directory>: copies beside the originals would be two files answering each request\n' });
    const ran = await cli(['import', from, '--copy', '--to', 'recordings'], { cwd: root });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain(`copied ${path.join(from, 'seeds/003_79777c1311e9b0e4.json')} -> recordings/`);
    expect(ran.stdout.trimEnd().split('\n').at(-1)).toBe('ai-vcr import: copied 13, 0 already named by their key');
    expect((await readdir(from, { recursive: true })).filter((name) => name.endsWith('.json'))).toHaveLength(13);
    expect(await readdir(path.join(root, 'recordings'))).toContain(MODELS);
    expect((await cli(['verify', 'recordings'], { cwd: root })).stdout).toBe('ai-vcr verify: 13 recordings in recordings, no problems\n');
  });

  it('--dry-run changes nothing; --scope test keys by test id too', async () => {
    const dir = await llamaStackDir();
    const dry = await cli(['import', '.', '--dry-run'], { cwd: dir });
    expect(dry.stdout).toMatch(/^would be moved seeds\/000_0203f93d910cfc75\.json -> [0-9a-f]{64}\.json$/m);
    expect(dry.stdout.trimEnd().split('\n').at(-1)).toBe('ai-vcr import: would move 12, 0 already named by their key');
    expect((await readdir(dir)).sort()).toEqual(['samples', 'seeds']);

    const saturn = await json(path.join(dir, 'seeds/003_79777c1311e9b0e4.json'));
    expect((await cli(['--scope', 'test', 'import', '.'], { cwd: dir })).code).toBe(0);
    expect(await readdir(dir)).toContain(`${keyOf(saturn, 'test')}.json`);
    expect(await readdir(dir)).not.toContain(`${keyOf(saturn)}.json`);
  });

  it('leaves broken files and conflicting ones where they are, says why, and exits 1', async () => {
    const dir = await tempDir();
    const saturn = await json(path.join(FIXTURES, 'seeds/003_79777c1311e9b0e4.json'));
    await mkdir(path.join(dir, 'a'));
    await writeFile(path.join(dir, 'a', 'first.json'), JSON.stringify(saturn));
    // The same request, another answer: which one is right is for a person to decide.
    await writeFile(path.join(dir, 'a', 'second.json'), JSON.stringify({ ...saturn, id_normalization_mapping: { other: 1 } }));
    await writeFile(path.join(dir, 'a', 'broken.json'), '{');
    const ran = await cli(['import', '.'], { cwd: dir });
    expect(ran.code).toBe(1);
    const key = keyOf(saturn);
    expect(ran.stdout.trimEnd().split('\n')).toEqual([
      // JSON.parse's own words, which differ between Node versions.
      expect.stringMatching(/^broken a\/broken\.json: not valid JSON \(.+\) \(left as it is\)$/),
      `moved a/first.json -> ${key}.json`,
      `conflict a/second.json: ${key}.json already answers the same request with another recording (left as it is; keep one of them)`,
      'ai-vcr import: moved 1, 0 already named by their key, 1 broken, 1 in conflict (left as they are)',
    ]);
    expect((await readdir(path.join(dir, 'a'))).sort()).toEqual(['broken.json', 'second.json']);
  });
});
