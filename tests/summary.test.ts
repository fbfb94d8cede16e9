import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RecorderEvent } from '../src/events.js';
import { resolveOptions } from '../src/options.js';
import { clearRun, createRun, parseRun, readRunLog, removeRun, runLogWriter, type Run } from '../src/run.js';
import { formatSummary } from '../src/summary.js';
import { shellQuote, testInfo } from '../src/test-info.js';
import { tempDir } from './support/fixtures.js';

const runs: Run[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map(removeRun));
});

async function run(dir: string, mode: 'replay' | 'live' = 'replay') {
  const created = createRun(resolveOptions({ dir, mode }, {}), dir);
  runs.push(created);
  return created;
}

function event(type: RecorderEvent['type'], extra: Partial<RecorderEvent> = {}): RecorderEvent {
  return { type, method: 'POST', endpoint: '/v1/chat/completions', model: 'gpt-4o', key: 'k1', ...extra };
}

describe('run log', () => {
  it('merges what several workers wrote, skipping a line cut short by a killed worker', async () => {
    const current = await run(await tempDir());
    const first = runLogWriter(current);
    const second = runLogWriter(current);
    first.event(event('replayed', { file: '/r/a.json' }));
    second.event(event('recorded', { file: '/r/b.json', test: { id: 't > b', command: 'npx vitest run t -t b' } }));
    second.fileDone('/project/tests/b.test.ts');
    await appendFile(path.join(current.log, 'killed.jsonl'), '{"type":"replayed","meth');

    const log = await readRunLog(current);
    expect(log.events.map(({ type, file }) => [type, file]).sort()).toEqual([
      ['recorded', '/r/b.json'],
      ['replayed', '/r/a.json'],
    ]);
    expect(log.events.find(({ type }) => type === 'recorded')?.test).toEqual({ id: 't > b', command: 'npx vitest run t -t b' });
    expect(log.filesDone).toEqual(new Set(['/project/tests/b.test.ts']));
    expect(log.unreadable).toBe(1);
  });

  it('warns once, and lets the call go on, when the log cannot be written', async () => {
    const current = await run(await tempDir());
    // A directory that cannot be made: a file stands where its parent would.
    const file = path.join(await tempDir(), 'a-file');
    await writeFile(file, '');
    const unwritable = { ...current, log: path.join(file, 'run') };
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const writer = runLogWriter(unwritable);
      writer.event(event('replayed'));
      writer.fileDone('/project/tests/a.test.ts');
      expect(warnings.mock.calls.map(([message]) => String(message))).toEqual([expect.stringMatching(/^ai-vcr: the run summary will be incomplete: cannot write .*ENOTDIR/)]);
    } finally {
      warnings.mockRestore();
    }
  });

  it('leaves nothing on disk for a run in which no worker wrote, and reads it as empty', async () => {
    const current = await run(await tempDir());
    expect(await readRunLog(current)).toEqual({ events: [], filesDone: new Set(), unreadable: 0 });
    await expect(stat(current.log)).rejects.toThrow(/ENOENT/);
    runLogWriter(current).event(event('replayed'));
    await clearRun(current);
    expect((await readRunLog(current)).events).toEqual([]);
  });

  it('rejects a run handed over in the wrong shape, saying where it came from', () => {
    expect(() => parseRun({ options: {} }, 'AI_VCR_RUN')).toThrow(/ai-vcr: AI_VCR_RUN does not describe a test run: .*options\.mode/s);
  });
});

describe('summary', () => {
  it('counts every outcome, lists each miss once with its command, and never calls a merged model list unused', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'recordings'));
    const file = (name: string) => path.join(dir, 'recordings', name);
    for (const name of ['used.json', 'models-a.json', 'models-b.json', 'broken.json', 'stale.json']) await writeFile(file(name), '{}');
    const current = await run(path.join(dir, 'recordings'));
    const log = runLogWriter(current);
    const test = { id: 'tests/a.test.ts > asks', command: "npx vitest run tests/a.test.ts -t '^asks$'" };
    log.event(event('replayed', { file: file('used.json') }));
    log.event(event('replayed', { endpoint: '/v1/models', model: undefined, file: file('models-a.json'), files: [file('models-a.json'), file('models-b.json')] }));
    log.event(event('missed', { key: 'k2', test }));
    log.event(event('missed', { key: 'k2', test }));
    log.event(event('missed', { key: 'k3', model: undefined }));
    log.event(event('invalid', { file: file('broken.json'), test }));

    const text = await formatSummary(await readRunLog(current), { options: current.options, wholeSuite: true, cwd: dir });
    expect(text.split('\n')).toEqual([
      'ai-vcr: 2 replayed, 0 recorded, 3 missed, 1 broken (mode replay, dir recordings)',
      '  missed POST /v1/chat/completions (model "gpt-4o") in tests/a.test.ts > asks',
      `    record it: AI_VCR_MODE=record-if-missing npx vitest run tests/a.test.ts -t '^asks$'`,
      '  missed POST /v1/chat/completions in no test (a hook or module scope)',
      '    record it: AI_VCR_MODE=record-if-missing npm test',
      '  broken recordings/broken.json in tests/a.test.ts > asks',
      '  unused recordings/stale.json',
    ]);
    const filtered = await formatSummary(await readRunLog(current), { options: current.options, wholeSuite: false, cwd: dir });
    expect(filtered).not.toContain('unused');
  });

  it('lists ten misses and ten broken recordings, then how many more and the command that records them all', async () => {
    const dir = await tempDir();
    const current = await run(dir);
    const log = runLogWriter(current);
    for (let i = 1; i <= 12; i++) {
      const test = { id: `t > ${i}`, command: `npx vitest run t -t '^${i}$'` };
      log.event(event('missed', { key: `k${i}`, test }));
      log.event(event('invalid', { key: `b${i}`, file: path.join(dir, `broken-${i}.json`), test }));
    }
    const lines = (await formatSummary(await readRunLog(current), { options: current.options, wholeSuite: false, cwd: dir })).split('\n');
    expect(lines.filter((line) => line.startsWith('  missed '))).toHaveLength(10);
    expect(lines.filter((line) => line.startsWith('  broken '))).toHaveLength(10);
    expect(lines).toContain('  ... and 2 more missed; record them all: AI_VCR_MODE=record-if-missing npm test');
    expect(lines).toContain('  ... and 2 more broken');
  });

  it('in live mode counts live calls and lists nothing as unused', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'old.json'), '{}');
    const current = await run(dir, 'live');
    runLogWriter(current).event(event('passed-through'));
    expect(await formatSummary(await readRunLog(current), { options: current.options, wholeSuite: true, cwd: dir })).toBe(
      'ai-vcr: 0 replayed, 0 recorded, 0 missed, 1 live (mode live, dir .)',
    );
  });
});

describe('test info', () => {
  it('names a test by file and names, and selects exactly it with an anchored, escaped, quoted -t', () => {
    expect(testInfo('tests/a.test.ts', ['suite', "it's (1+1) $HOME"], 'npx vitest run')).toEqual({
      id: "tests/a.test.ts > suite > it's (1+1) $HOME",
      command: `npx vitest run tests/a.test.ts -t '^suite it'\\''s \\(1\\+1\\) \\$HOME$'`,
    });
    expect(shellQuote('tests/plain-name.test.ts')).toBe('tests/plain-name.test.ts');
  });
});
