import type { TestInfo } from './events.js';

/**
 * A test as ai-vcr names it: `<file> > <suite> > <test>`, the file relative to the project
 * root with forward slashes, so the id written into recordings is the same on every machine.
 * `run` is the runner's command for one file (e.g. `npx vitest run`); the command returned
 * runs only this test, selected by an anchored `-t` pattern (vitest and jest both match it
 * against the suite and test names joined by spaces).
 */
export function testInfo(file: string, names: readonly string[], run: string): TestInfo {
  const pattern = `^${escapeRegExp(names.join(' '))}$`;
  return {
    id: [file, ...names].join(' > '),
    command: `${run} ${shellQuote(file)} -t ${shellQuote(pattern)}`,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Quoted for a POSIX shell only when it needs to be, so common commands stay readable. */
export function shellQuote(word: string): string {
  return /^[\w./@%:,+=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that runs the whole suite, for a call made outside any test (a `beforeAll`,
 * module scope). A runner integration names its runner's own when it loads, as a project
 * need not have an npm `test` script (and one may run more than the tests); `npm test` is
 * left for a recorder set up by hand, whose runner ai-vcr does not know.
 */
let suite = 'npm test';

export function suiteCommand(): string {
  return suite;
}

export function useSuiteCommand(command: string): void {
  suite = command;
}
