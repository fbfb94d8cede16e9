import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialIn } from '../src/redact.js';
import { createStore } from '../src/store.js';
import { cli, json, projectWithFixtures, wholeRunUsed } from './support/cli.js';
import { fixtureFiles } from './support/fixtures.js';

const SATURN = 'seeds/003_79777c1311e9b0e4.json';
const EARTH = 'seeds/004_93e64aa372a341f8.json';

describe('ai-vcr verify', () => {
  it('passes llama-stack recordings and the repository fixtures: no problem, exit 0', async () => {
    const { root } = await projectWithFixtures();
    const ran = await cli(['verify'], { cwd: root });
    expect(ran.stdout).toBe('ai-vcr verify: 13 recordings in recordings, no problems\n');
    expect(ran.code).toBe(0);
    expect(ran.stderr).toMatch(/^ai-vcr verify: unused recordings not checked: no whole run of the suite is recorded/);
  });

  it('reports each broken file with the words replay uses, one line each, and exits 1', async () => {
    const { root, dir } = await projectWithFixtures();
    const saturn = await json(path.join(dir, SATURN));
    await writeFile(path.join(dir, 'not-json.json'), '{"test_id": ');
    await writeFile(path.join(dir, 'no-method.json'), JSON.stringify({ ...saturn, request: { ...(saturn.request as object), method: undefined } }));
    await writeFile(path.join(dir, 'other-endpoint.json'), JSON.stringify({ ...saturn, request: { ...(saturn.request as object), endpoint: 'audio/speech' } }));
    await writeFile(path.join(dir, 'latin1.json'), Buffer.from('{"test_id": "caf\xe9"}', 'latin1'));
    const ran = await cli(['verify', 'recordings'], { cwd: root });
    expect(ran.code).toBe(1);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('ai-vcr verify: 17 recordings in recordings, 4 problems');
    // The index replay builds of the same directory finds the same problems, in the same words.
    const { invalid } = await createStore(dir, 'request').index();
    expect(lines.slice(0, -1).sort()).toEqual(invalid.map(({ file, problem }) => `${path.relative(root, file)}: ${problem}`).sort());
    expect(lines).toContain('recordings/other-endpoint.json: request.endpoint: "audio/speech" is not a URL path');
  });

  it('reports two files that answer the same request', async () => {
    const { root, dir } = await projectWithFixtures();
    await copyFile(path.join(dir, SATURN), path.join(dir, 'saturn-again.json'));
    const ran = await cli(['verify'], { cwd: root });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain(`recordings/seeds/003_79777c1311e9b0e4.json: answers the same request as recordings/saturn-again.json: replay serves only one of them; delete the other\n`);
    // With the test id in keys, recordings of the same request by two tests are two recordings.
    await writeFile(path.join(dir, 'saturn-again.json'), JSON.stringify({ ...(await json(path.join(dir, SATURN))), test_id: 'another test' }));
    expect((await cli(['--scope', 'test', 'verify'], { cwd: root })).code).toBe(0);
  });

  it('finds credential-looking values by the recorder\'s rules: headers and query values it would scrub, key-shaped strings anywhere', async () => {
    const { root, dir } = await projectWithFixtures();
    const earth = await json(path.join(dir, EARTH));
    const request = earth.request as Record<string, unknown>;
    const key = `sk-proj-${'a1B2'.repeat(10)}`;
    await writeFile(path.join(dir, 'header.json'), JSON.stringify({ ...earth, test_id: 'h', request: { ...request, headers: { 'content-type': 'application/json', 'x-api-key': 'abcdefgh12345', accept: 'application/json' } } }));
    await writeFile(path.join(dir, 'query.json'), JSON.stringify({ ...earth, test_id: 'q', request: { ...request, url: 'https://example.test/v1/chat/completions?api-version=2024-10-21&code=abc123456789&key=%3Credacted%3E' } }));
    const chunks = (earth.response as { body: { __data__: { choices: { delta: { content?: string } }[] } }[] }).body;
    chunks[1]!.__data__.choices[0]!.delta.content = `my key is ${key}`;
    chunks[2]!.__data__.choices[0]!.delta.content = `again ${key}`;
    await writeFile(path.join(dir, 'answer.json'), JSON.stringify({ ...earth, test_id: 'a' }));
    const ran = await cli(['--scope', 'test', 'verify'], { cwd: root });
    expect(ran.code).toBe(1);
    expect(ran.stdout.trimEnd().split('\n')).toEqual([
      'recordings/answer.json: response.body[1].__data__.choices[0].delta.content holds what looks like an sk- API key (and 1 more places): remove it, and revoke the key if it is real',
      'recordings/header.json: request.headers.x-api-key holds a value: the recorder keeps no such header; remove it',
      'recordings/query.json: request.url: query parameter code holds a value: the recorder writes <redacted> there; replace it',
      'ai-vcr verify: 16 recordings in recordings, 3 problems',
    ]);
    // The value itself is never printed: the output is pasted into CI logs.
    expect(ran.stdout).not.toContain('a1B2');
    expect(ran.stdout).not.toContain('abc123456789');
  });

  it('reports recordings the last whole run did not use', async () => {
    const { root, dir } = await projectWithFixtures();
    const all = (await fixtureFiles()).map(({ name }) => name);
    await wholeRunUsed(dir, all.filter((name) => name !== EARTH));
    const ran = await cli(['verify'], { cwd: root });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe(`recordings/${EARTH}: not used by the last whole run: delete it (ai-vcr prune), or run the test that needs it\nai-vcr verify: 13 recordings in recordings, 1 problem\n`);
    expect(ran.stderr).toBe('');
  });

  it('shows progress on stderr for long work, on a terminal only, and keeps stdout for results', async () => {
    const { root, dir } = await projectWithFixtures();
    const text = await readFile(path.join(dir, SATURN), 'utf8');
    await mkdir(path.join(dir, 'many'));
    for (let i = 0; i < 600; i++) await writeFile(path.join(dir, 'many', `${i}.json`), text.replace('"stream": true', `"stream": true, "n": ${i + 2}`));
    const tty = await cli(['verify'], { cwd: root, tty: true });
    expect(tty.stderr).toMatch(/\rreading recordings \d+\/613/);
    expect(tty.stderr).toContain('\rreading recordings 613/613');
    expect(tty.stderr).toContain('\r\x1b[K');
    expect(tty.stdout).not.toContain('\r');
    expect(tty.stdout).toContain('ai-vcr verify: 613 recordings in recordings, no problems');
    const piped = await cli(['verify'], { cwd: root });
    expect(piped.stderr).not.toContain('reading recordings');
  });

  it('shows progress in a log (not a terminal) as a line per 5000 files', async () => {
    const { root, dir } = await projectWithFixtures();
    await mkdir(path.join(dir, 'many'));
    await Promise.all(Array.from({ length: 5000 }, (_, i) => writeFile(path.join(dir, 'many', `${i}.json`), '{}')));
    const ran = await cli(['verify'], { cwd: root });
    expect(ran.stderr.split('\n').filter((line) => line.includes('recordings 5000/'))).toEqual(['reading recordings 5000/5013', 'checking recordings 5000/5013']);
    expect(ran.stdout.trimEnd().split('\n').at(-1)).toBe('ai-vcr verify: 5013 recordings in recordings, 5000 problems');
  }, 30_000);

  it('knows credentials by their shape, and leaves words of answers alone', () => {
    expect(credentialIn(`key: sk-proj-${'Ab3'.repeat(8)}`)).toBe('an sk- API key');
    expect(credentialIn(`sk-ant-api03-${'x9'.repeat(20)}`)).toBe('an sk- API key');
    expect(credentialIn(`AIza${'B'.repeat(35)}`)).toBe('a Google API key');
    expect(credentialIn(`ghp_${'a1'.repeat(18)}`)).toBe('a GitHub token');
    expect(credentialIn('Authorization: Bearer abc123def456')).toBe('a bearer token');
    for (const prose of ['a risk-free-and-well-tested-approach', 'task-1234567890abcdefghijklmno', 'Bearer authentication schemes', 'Bearer <redacted>', 'sk-learn-is-a-python-library-for-ml']) {
      expect(credentialIn(prose), prose).toBeUndefined();
    }
  });
});
