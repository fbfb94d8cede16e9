/**
 * `llm-vcr/vitest/global-setup`, for vitest's `globalSetup`. It runs in vitest's main process,
 * which cannot intercept the workers' requests, so it does what only the main process can:
 * resolve the options once and provide them to every worker, and when the run ends, merge
 * what the workers logged into one summary.
 *
 * vitest sets it up once for every project (the root project included): projects with the
 * same options share one run, and the last teardown prints the summary once.
 */
import type { TestProject } from 'vitest/node';
import { mayFilter } from '../command-line.js';
import { resolveOptions } from '../options.js';
import { clearRun, createRun, readRunLog, removeRun, type Run } from '../run.js';
import { formatSummary } from '../summary.js';

/** A run and the projects that share it: those whose options are the same. */
interface ProjectsRun {
  run: Run;
  projects: TestProject[];
}

interface Shared {
  /** A run for each distinct set of options, by their JSON. */
  runs: Map<string, ProjectsRun>;
  /** Projects set up and not yet torn down. */
  open: number;
}

// Kept on globalThis: vitest may import this module once per project.
const SHARED = Symbol.for('llm-vcr.vitest.global-setup');
const globals = globalThis as typeof globalThis & { [SHARED]?: Shared };

/** vitest's flags that never change which tests run (see mayFilter); the rest may. */
const HARMLESS = new Set([
  'run', 'watch', 'w', 'root', 'r', 'config', 'c', 'reporter', 'outputFile', 'coverage', 'silent',
  'pool', 'poolOptions', 'maxWorkers', 'minWorkers', 'isolate', 'fileParallelism', 'sequence',
  'retry', 'bail', 'testTimeout', 'hookTimeout', 'teardownTimeout', 'logHeapUsage', 'color',
  'clearScreen', 'passWithNoTests', 'allowOnly', 'globals', 'environment', 'mode', 'update', 'u',
  'hideSkippedTests', 'printConsoleTrace', 'expandSnapshotDiff', 'includeTaskLocation',
  'maxConcurrency', 'inspect', 'inspectBrk', 'inspectTimeout', 'dangerouslyIgnoreUnhandledErrors',
  'disableConsoleIntercept', 'slowTestThreshold', 'cache', 'api', 'ui', 'open',
]);

export default function setup(project: TestProject): () => Promise<void> {
  const options = resolveOptions(project.getProvidedContext().llmVcr);
  const shared = (globals[SHARED] ??= { runs: new Map(), open: 0 });
  const id = JSON.stringify(options);
  let entry = shared.runs.get(id);
  if (!entry) shared.runs.set(id, (entry = { run: createRun(options, project.config.root), projects: [] }));
  entry.projects.push(project);
  shared.open += 1;
  const { run } = entry;
  project.provide('llmVcrRun', run);
  // In watch mode vitest tears down only when it exits: the summary is the last run's.
  project.onTestsRerun(() => clearRun(run));
  return async () => {
    shared.open -= 1;
    if (shared.open > 0) return;
    delete globals[SHARED];
    await printSummaries([...shared.runs.values()]);
  };
}

async function printSummaries(runs: ProjectsRun[]): Promise<void> {
  const filteredByCommand = mayFilter(process.argv.slice(2), HARMLESS);
  for (const { run, projects } of runs) {
    const log = await readRunLog(run);
    // A run of projects whose tests made no LLM call says nothing, unless there is no other.
    if (log.events.length === 0 && runs.length > 1) {
      await removeRun(run);
      continue;
    }
    const testFiles = (await Promise.all(projects.map(async (project) => (await project.globTestFiles()).testFiles))).flat();
    // Projects with other options that use the same directory use recordings this run does not know of.
    const sharedDir = runs.some((other) => other.run !== run && other.run.options.dir === run.options.dir);
    // A filter (files, -t, --project, --changed, --shard, a bail) leaves test files unrun or tests skipped.
    const wholeSuite =
      !filteredByCommand && !sharedDir && !projects[0]!.globalConfig.testNamePattern && testFiles.every((file) => log.filesDone.has(file));
    console.log(await formatSummary(log, { options: run.options, wholeSuite, cwd: process.cwd() }));
    await removeRun(run);
  }
}
