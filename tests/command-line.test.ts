import { describe, expect, it } from 'vitest';
import { mayFilter } from '../src/command-line.js';

/** A command line as the runner's main process sees it: the words after the runner's name. */
const argv = (command: string) => command.split(' ').slice(1);

describe('mayFilter', () => {
  it.each([
    ['vitest', 'vitest run'],
    ['vitest', 'vitest --run'],
    ['vitest', 'vitest run --reporter=junit --outputFile=report.xml'],
    ['vitest', 'vitest run --coverage --coverage.reporter=lcov --max-workers=2 --no-file-parallelism'],
    ['jest', 'jest --ci --coverage --maxWorkers=50%'],
    ['jest', 'jest --json --outputFile report.json'],
    ['jest', 'jest --watchAll=false --runInBand --silent'],
  ] as const)('%s: `%s` runs every test', (runner, command) => {
    expect(mayFilter(argv(command), runner)).toBe(false);
  });

  it.each([
    ['vitest', 'vitest run --project unit'],
    ['vitest', 'vitest run --exclude tests/slow/**'],
    ['vitest', 'vitest run --dir src'],
    ['vitest', 'vitest run --shard=1/2'],
    ['vitest', 'vitest run -c vitest.unit.config.ts'],
    ['jest', 'jest --selectProjects unit'],
    ['jest', 'jest --testPathIgnorePatterns slow'],
    ['jest', 'jest --config {"testMatch":["**/unit/**"]}'],
    ['jest', 'jest -o'],
    ['jest', 'jest -ic'],
  ] as const)('%s: `%s` may not', (runner, command) => {
    expect(mayFilter(argv(command), runner)).toBe(true);
  });
});
