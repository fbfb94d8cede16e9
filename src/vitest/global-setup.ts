/**
 * `llm-vcr/vitest/global-setup`, for vitest's `globalSetup`. It runs in vitest's main process,
 * which cannot intercept the workers' requests, so it does what only the main process can:
 * resolve the options once and provide them to every worker, and when the run ends, merge
 * what the workers logged into one summary.
 */
import type { TestProject } from 'vitest/node';
import { resolveOptions } from '../options.js';
import { createRun, readRunLog, removeRun } from '../run.js';
import { formatSummary } from '../summary.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const options = resolveOptions(project.getProvidedContext().llmVcr);
  const run = await createRun(options, project.config.root);
  project.provide('llmVcrRun', run);
  return async () => {
    const log = await readRunLog(run);
    const { testFiles } = await project.globTestFiles();
    // A filter (files, -t, --changed, --shard, a bail) leaves test files unrun or tests skipped.
    const wholeSuite = !project.globalConfig.testNamePattern && testFiles.every((file) => log.filesDone.has(file));
    console.log(await formatSummary(log, { options, wholeSuite, cwd: process.cwd() }));
    await removeRun(run);
  };
}
