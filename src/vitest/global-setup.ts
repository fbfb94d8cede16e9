/**
 * `ai-vcr/vitest/global-setup`, for vitest's `globalSetup`. It runs in vitest's main process,
 * which cannot intercept the workers' requests, so it does what only the main process can:
 * resolve the options once and provide them to every worker, and when the run ends, merge
 * what the workers logged into one summary.
 *
 * vitest sets it up once for every project (the root project included): projects with the
 * same options share one run, and the summary is printed once, when vitest closes.
 */
import type { TestProject, Vitest } from 'vitest/node';
import { mayFilter } from '../command-line.js';
import { resolveOptions } from '../options.js';
import { clearRun, createRun, readRunLog, removeRun, type Run } from '../run.js';
import { formatSummary } from '../summary.js';

/** A run and the projects whose workers log to it. */
interface ProjectsRun {
  run: Run;
  projects: Set<TestProject>;
}

/** The runs of one vitest instance, one for each distinct set of options, by their JSON. */
type Runs = Map<string, ProjectsRun>;

// Kept on globalThis: vitest may import this module once per project.
const RUNS = Symbol.for('ai-vcr.vitest.global-setup');
const globals = globalThis as typeof globalThis & { [RUNS]?: WeakMap<Vitest, Runs> };

export default function setup(project: TestProject): void {
  const options = resolveOptions(project.getProvidedContext().aiVcr);
  const { vitest } = project;
  const byVitest = (globals[RUNS] ??= new WeakMap());
  let runs = byVitest.get(vitest);
  if (!runs) {
    const created: Runs = new Map();
    byVitest.set(vitest, created);
    // Once, after every project's teardown: a teardown of our own would be skipped when another
    // global setup's teardown throws, and the summary and the run directory with it.
    vitest.onClose(async () => {
      byVitest.delete(vitest);
      await printSummaries(vitest, [...created.values()]);
    });
    runs = created;
  }
  const id = JSON.stringify(options);
  let entry = runs.get(id);
  if (!entry) runs.set(id, (entry = { run: createRun(options, project.config.root), projects: new Set() }));
  const { run } = entry;
  project.provide('aiVcrRun', run);
  // The projects that inherit what this one provides, or that were set up with these options.
  // Looked up now: vitest 5 clears what projects provide before it closes. Not only the
  // project set up here: the root project is set up even when it only holds the projects, and
  // vitest 5 sets up the root alone, for every project that extends it.
  const json = JSON.stringify(run);
  for (const each of vitest.projects) if (JSON.stringify(each.getProvidedContext().aiVcrRun) === json) entry.projects.add(each);
  // In watch mode vitest closes only when it exits: the summary is the last run's.
  project.onTestsRerun(() => clearRun(run));
}

async function printSummaries(vitest: Vitest, runs: ProjectsRun[]): Promise<void> {
  const filteredByCommand = mayFilter(process.argv.slice(2), 'vitest');
  for (const { run, projects } of runs) {
    const log = await readRunLog(run);
    // A run of projects whose tests made no LLM call says nothing, unless there is no other.
    if (log.events.length === 0 && runs.length > 1) {
      await removeRun(run);
      continue;
    }
    const testFiles = (await Promise.all([...projects].map(async (project) => (await project.globTestFiles()).testFiles))).flat();
    // Projects with other options that use the same directory use recordings this run does not know of.
    const sharedDir = runs.some((other) => other.run !== run && other.run.options.dir === run.options.dir);
    // A filter (files, -t, --project, --changed, --shard, a bail) leaves test files unrun or tests skipped.
    const wholeSuite =
      !filteredByCommand && !sharedDir && !vitest.config.testNamePattern && testFiles.every((file) => log.filesDone.has(file));
    console.log(await formatSummary(log, { options: run.options, wholeSuite, cwd: process.cwd(), suite: 'npx vitest run' }));
    await removeRun(run);
  }
}
