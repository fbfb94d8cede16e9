import { expect, it } from 'vitest';
import { mayFilter } from '../src/command-line.js';

const HARMLESS = new Set(['run', 'maxWorkers', 'color', 'coverage', 'c']);

it('counts a command line as filtered unless each flag is known to leave the tests alone', () => {
  expect(mayFilter(['run'], HARMLESS)).toBe(false);
  // Values and positional words are not flags: the runners report positional filters themselves.
  expect(mayFilter(['run', '--max-workers=2', '--maxWorkers', '2', '--no-color', '--coverage.enabled', '-c', 'vitest.ci.ts'], HARMLESS)).toBe(false);
  for (const filter of ['--exclude=tests/slow/**', '--project', '-t', '--testMatch', '--selectProjects', '--shard=1/2', '-ic']) {
    expect(mayFilter(['run', filter], HARMLESS), filter).toBe(true);
  }
});
