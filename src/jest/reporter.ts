/**
 * `ai-vcr/jest/reporter`, for jest's `reporters`, next to `default`. It lives in jest's main
 * process, which cannot intercept the workers' requests, so it does what only the main
 * process can: resolve the options (its reporter options, then AI_VCR_MODE / AI_VCR_DIR)
 * once and hand them to every worker, and when the run ends, merge what the workers logged
 * into one summary. A reporter rather than a globalSetup, because jest allows one
 * globalSetup per project and a suite may already have its own.
 */
import { mayFilter } from '../command-line.js';
import { resolveOptions, type JsonResolvedOptions } from '../options.js';
import { createRun, readRunLog, removeRun, type Run } from '../run.js';
import { failuresMessage } from '../events.js';
import { formatSummary } from '../summary.js';
import { RUN_ENV } from './run-env.js';

/** The parts of jest's global config that tell whether a run was filtered. */
export interface JestGlobalConfig {
  rootDir: string;
  testNamePattern?: string | undefined;
  nonFlagArgs?: string[];
  testPathPatterns?: { patterns?: string[] } | string[];
  onlyChanged?: boolean;
  onlyFailures?: boolean;
  findRelatedTests?: boolean;
  changedSince?: string | undefined;
  lastCommit?: boolean;
  shard?: unknown;
}

/** The parts of jest's aggregated results that tell whether every test ran and passed. */
export interface RunResults {
  wasInterrupted?: boolean;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numRuntimeErrorTestSuites: number;
}

export default class AiVcrReporter {
  readonly #config: JestGlobalConfig;
  readonly #options: JsonResolvedOptions;
  #run: Run | undefined;
  #error: Error | undefined;

  constructor(globalConfig: JestGlobalConfig, reporterOptions?: unknown) {
    this.#config = globalConfig;
    this.#options = resolveOptions(reporterOptions);
  }

  onRunStart(): void {
    this.#run = createRun(this.#options, this.#config.rootDir);
    process.env[RUN_ENV] = JSON.stringify(this.#run);
  }

  async onRunComplete(_contexts: unknown, results: RunResults): Promise<void> {
    const run = this.#run;
    if (!run) return;
    const log = await readRunLog(run);
    // Only a run in which every test ran and passed used every recording the suite needs: a
    // skipped test, one that failed (or was bailed out of) before its LLM call, or a test file
    // that failed to load did not.
    const everyTestPassed =
      !results.wasInterrupted && results.numFailedTests + results.numPendingTests + results.numTodoTests + results.numRuntimeErrorTestSuites === 0;
    const wholeSuite = !filtered(this.#config) && everyTestPassed;
    // On stderr, like the rest of jest's report; jest's own summary follows it.
    process.stderr.write(`\n${await formatSummary(log, { options: this.#options, wholeSuite, cwd: process.cwd(), suite: 'npx jest' })}\n`);
    // jest fails a run whose reporter has an error, and still reports every test's own result.
    const failed = failuresMessage(this.#options.mode, log.events);
    this.#error = failed === undefined ? undefined : new Error(failed);
    if (failed) process.stderr.write(`\n${failed}\n`);
    await removeRun(run);
    delete process.env[RUN_ENV];
    this.#run = undefined;
  }

  /** In record modes, the calls that should have been recorded and were not: jest then exits non-zero. */
  getLastError(): Error | undefined {
    return this.#error;
  }
}

function filtered(config: JestGlobalConfig): boolean {
  const pathPatterns = Array.isArray(config.testPathPatterns) ? config.testPathPatterns : (config.testPathPatterns?.patterns ?? []);
  return Boolean(
    mayFilter(process.argv.slice(2), 'jest') ||
      config.testNamePattern ||
      config.nonFlagArgs?.length ||
      pathPatterns.length ||
      config.onlyChanged ||
      config.onlyFailures ||
      config.findRelatedTests ||
      config.changedSince ||
      config.lastCommit ||
      config.shard,
  );
}
