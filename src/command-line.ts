/**
 * Whether a test runner's command line may have run fewer tests than the whole suite.
 *
 * A recording is only "unused" after a run of every test. The runners do not tell a filter
 * given on the command line from the config it overrides (`--exclude`, `--dir`, `--testMatch`
 * and `--project` end up in the resolved config), so every flag not known to leave the set of
 * tests alone counts as a filter: a recording wrongly called unused is one a user may delete
 * although a test needs it. `--config` counts too, as another config may run fewer tests.
 * Positional filters are the runner's to report.
 */
export function mayFilter(argv: readonly string[], runner: 'vitest' | 'jest'): boolean {
  const harmless = runner === 'vitest' ? VITEST : JEST;
  return argv.some((arg) => arg.startsWith('-') && !harmless.has(flagName(arg)));
}

/** `--max-workers=2` and `--maxWorkers 2` as `maxWorkers`, `--no-color` as `color`, `--coverage.enabled` as `coverage`. */
function flagName(arg: string): string {
  const name = arg.replace(/^--?/, '').split(/[=.]/, 1)[0]!;
  const positive = name.startsWith('no-') ? name.slice(3) : name;
  return positive.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** vitest's flags that never change which tests run (a bail is the summary's to notice). */
const VITEST = new Set([
  'run', 'watch', 'w', 'reporter', 'outputFile', 'coverage', 'silent', 'pool', 'poolOptions',
  'maxWorkers', 'minWorkers', 'isolate', 'fileParallelism', 'sequence', 'retry', 'bail',
  'testTimeout', 'hookTimeout', 'teardownTimeout', 'logHeapUsage', 'color', 'clearScreen',
  'passWithNoTests', 'allowOnly', 'globals', 'environment', 'update', 'u', 'hideSkippedTests',
  'printConsoleTrace', 'expandSnapshotDiff', 'includeTaskLocation', 'maxConcurrency', 'inspect',
  'inspectBrk', 'inspectTimeout', 'dangerouslyIgnoreUnhandledErrors', 'disableConsoleIntercept',
  'slowTestThreshold', 'cache', 'api', 'ui', 'open',
]);

/** jest's flags that never change which tests run (a bail is the summary's to notice). */
const JEST = new Set([
  'ci', 'runInBand', 'i', 'maxWorkers', 'w', 'maxConcurrency', 'coverage', 'collectCoverage',
  'collectCoverageFrom', 'coverageProvider', 'coverageDirectory', 'coverageReporters',
  'coveragePathIgnorePatterns', 'coverageThreshold', 'silent', 'verbose', 'colors', 'color', 'json',
  'outputFile', 'useStderr', 'testResultsProcessor', 'noStackTrace', 'detectOpenHandles',
  'forceExit', 'cache', 'cacheDirectory', 'logHeapUsage', 'passWithNoTests', 'reporters',
  'testTimeout', 'workerIdleMemoryLimit', 'watchman', 'watchAll', 'errorOnDeprecated', 'randomize',
  'seed', 'showSeed', 'testLocationInResults', 'openHandlesTimeout', 'expand', 'e', 'notify',
  'injectGlobals', 'detectLeaks', 'updateSnapshot', 'u', 'bail', 'b', 'workerThreads',
  'waitForUnhandledRejections', 'clearMocks', 'resetMocks', 'restoreMocks', 'env',
  'testEnvironment',
]);
