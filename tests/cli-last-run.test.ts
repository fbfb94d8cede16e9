import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { lastRunFile, readLastRun } from '../src/last-run.js';
import { resolveOptions } from '../src/options.js';
import { formatSummary } from '../src/summary.js';
import { tempDir } from './support/fixtures.js';

const log = (files: string[]) => ({
  events: files.map((file) => ({ type: 'replayed' as const, method: 'POST', endpoint: '/v1/chat/completions', key: 'k', file })),
  filesDone: new Set<string>(),
  unreadable: 0,
});

describe('the last whole run, kept for the command line', () => {
  it('is written by the summary of a whole run only, to the project\'s node_modules/.cache, with paths relative to the recordings', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, 'package.json'), '{}');
    const dir = path.join(root, 'test', 'recordings');
    await mkdir(dir, { recursive: true });
    const options = resolveOptions({ dir }, {});
    await formatSummary(log([path.join(dir, 'b.json')]), { options, wholeSuite: false, cwd: root });
    expect((await readLastRun(dir)).kind).toBe('none');
    await formatSummary(log([path.join(dir, 'b.json'), path.join(dir, 'a', 'c.json')]), { options, wholeSuite: true, cwd: root });
    const file = await lastRunFile(dir);
    expect(path.dirname(file)).toBe(path.join(root, 'node_modules', '.cache', 'ai-vcr'));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ dir, finishedAt: expect.any(Number), used: ['a/c.json', 'b.json'] });
    // A live run serves nothing from recordings: it says nothing of their use.
    await formatSummary(log([]), { options: resolveOptions({ dir, mode: 'live' }, {}), wholeSuite: true, cwd: root });
    const kept = await readLastRun(dir);
    expect(kept.kind === 'found' && kept.run.used).toEqual(['a/c.json', 'b.json']);
  });

  it('warns, and leaves the summary whole, when it cannot be written', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, 'package.json'), '{}');
    // A file where the cache directory would be made.
    await writeFile(path.join(root, 'node_modules'), '');
    const dir = path.join(root, 'recordings');
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const summary = await formatSummary(log([]), { options: resolveOptions({ dir }, {}), wholeSuite: true, cwd: root });
      expect(summary).toBe('ai-vcr: 0 replayed, 0 recorded, 0 missed (mode replay, dir recordings)');
      expect(warnings.mock.calls.map(([message]) => String(message))).toEqual([
        expect.stringMatching(/^ai-vcr: cannot remember which recordings this run used \(ai-vcr prune and verify need it\): .*ENOTDIR/),
      ]);
    } finally {
      warnings.mockRestore();
    }
  });
});
