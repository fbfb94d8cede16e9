import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastRunFile } from '../src/last-run.js';
import { cli, projectWithFixtures, wholeRunUsed } from './support/cli.js';

const SATURN = 'seeds/003_79777c1311e9b0e4.json';
const EARTH = 'seeds/004_93e64aa372a341f8.json';

describe('ai-vcr list', () => {
  it('prints one line per recording: usage, endpoint, model, streamed or not, size, file, test id', async () => {
    const { root } = await projectWithFixtures();
    const ran = await cli(['list'], { cwd: root });
    expect(ran.code).toBe(0);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(14);
    expect(lines[0]).toMatch(/^USED +ENDPOINT +MODEL +BODY +SIZE +FILE +TEST$/);
    expect(lines).toContainEqual(expect.stringMatching(/^- +completions +llama3\.2:3b-instruct-fp16 +stream +26\.2 kB +recordings\/samples\/8567635651a5e7104394951bbbba040e5c7f3ba11084fb6e81328f4905100a65\.json +tests\/integration\/inference\/test_openai_completion\.py::test_openai_completion_streaming\[/));
    expect(lines).toContainEqual(expect.stringMatching(/^- +models +- +json +736 B +recordings\/samples\/models-3a641f25/));
    expect(lines).toContainEqual(expect.stringMatching(/^- +embeddings +text-embedding-3-small +json /));
    // No whole run yet: the usage column is "-", and stderr says why.
    expect(ran.stderr).toMatch(/^ai-vcr list: usage not known: no whole run of the suite is recorded for recordings \(it would be in node_modules\/\.cache\/ai-vcr\/last-run-[0-9a-f]{16}\.json\)/);
    expect(ran.stdout).not.toContain('\x1b[');
  });

  it('filters by model and test id, and prints JSON', async () => {
    const { root } = await projectWithFixtures();
    const ollama = await cli(['list', '--model', 'llama3.2:3b-instruct-fp16', '--json'], { cwd: root });
    const rows = JSON.parse(ollama.stdout) as { file: string; endpoint: string; streamed: boolean; used: boolean | null; size: number }[];
    expect(rows.map(({ endpoint, streamed }) => `${endpoint} ${streamed}`).sort()).toEqual([
      '/v1/chat/completions false',
      '/v1/chat/completions true',
      '/v1/completions false',
      '/v1/completions true',
    ]);
    expect(rows[0]).toMatchObject({ used: null, new: false, problem: null, model: 'llama3.2:3b-instruct-fp16' });
    const saturn = await cli(['list', '--test', 'incremental_content[client_with_models-txt=openai/gpt-4o-saturn]'], { cwd: root });
    expect(saturn.stdout.trimEnd().split('\n').slice(1)).toEqual([expect.stringContaining(`recordings/${SATURN}`)]);
  });

  it('tells used, unused and new recordings apart after a whole run, and --unused lists the unused only', async () => {
    const { root, dir } = await projectWithFixtures();
    await wholeRunUsed(dir, [SATURN]);
    // Recorded after the whole run (by a filtered run): that run cannot have used it.
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(dir, EARTH), later, later);
    const ran = await cli(['list', '--json'], { cwd: root });
    const usage = Object.fromEntries((JSON.parse(ran.stdout) as { file: string; used: boolean; new: boolean }[]).map((row) => [row.file, row.new ? 'new' : row.used ? 'used' : 'unused']));
    expect(usage[`recordings/${SATURN}`]).toBe('used');
    expect(usage[`recordings/${EARTH}`]).toBe('new');
    expect(Object.values(usage).filter((kind) => kind === 'unused')).toHaveLength(11);
    expect(ran.stderr).toBe('');

    const unused = await cli(['list', '--unused'], { cwd: root });
    const files = unused.stdout.trimEnd().split('\n').slice(1);
    expect(files).toHaveLength(11);
    expect(files.every((line) => line.startsWith('unused '))).toBe(true);
    expect(unused.stdout).not.toContain(SATURN);
    expect(unused.stdout).not.toContain(EARTH);
  });

  it('refuses --unused when no whole run is recorded, or its record cannot be read', async () => {
    const { root, dir } = await projectWithFixtures();
    const none = await cli(['list', '--unused'], { cwd: root });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^ai-vcr list --unused: no whole run of the suite is recorded for recordings/);
    await wholeRunUsed(dir, []);
    await writeFile(await lastRunFile(dir), '{"dir": 1}');
    const unreadable = await cli(['list', '--unused'], { cwd: root });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/the record of the last whole run \(node_modules\/\.cache\/ai-vcr\/last-run-[0-9a-f]+\.json\) cannot be read: .*dir.*Run the whole suite again/s);
  });

  it('colours the usage column only on a terminal, and never with NO_COLOR', async () => {
    const { root, dir } = await projectWithFixtures();
    await wholeRunUsed(dir, [SATURN]);
    const tty = await cli(['list'], { cwd: root, tty: true });
    expect(tty.stdout).toContain(`\x1b[32mused  \x1b[0m  chat/completions`);
    expect(tty.stdout).toContain('\x1b[33munused\x1b[0m');
    expect((await cli(['list'], { cwd: root, tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\x1b[');
  });

  it('reads the directory from AI_VCR_DIR, and says so when it does not exist', async () => {
    const { root } = await projectWithFixtures();
    const fromEnv = await cli(['list', '--json'], { cwd: root, env: { AI_VCR_DIR: 'recordings/seeds' } });
    expect(JSON.parse(fromEnv.stdout)).toHaveLength(5);
    const missing = await cli(['list', 'nowhere'], { cwd: root });
    expect(missing).toEqual({ code: 2, stdout: '', stderr: 'ai-vcr: nowhere does not exist: give the recordings directory (default: AI_VCR_DIR, else ./recordings)\n' });
  });
});
