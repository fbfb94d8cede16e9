/**
 * `ai-vcr/vitest`, for vitest's `setupFiles`. Loading it starts interception, before the
 * test file is imported and builds its clients (openai v5+ captures fetch at construction);
 * it stops after the file. Each test's LLM calls carry that test's id and re-run command.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeEach, inject, type ProvidedContext, type TestContext } from 'vitest';
import type { TestInfo } from '../events.js';
import { resolveOptions, type RunnerOptions } from '../options.js';
import { parseRun, runLogWriter } from '../run.js';
import { startRecorder } from '../server.js';
import { shellQuote, testInfo, useSuiteCommand } from '../test-info.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** ai-vcr's options, set with `test.provide` in the vitest config. */
    aiVcr?: RunnerOptions;
    /** Set by ai-vcr/vitest/global-setup: the run, with the options resolved once for every worker. */
    aiVcrRun?: unknown;
  }
}

/**
 * The part of a vitest config's `provide` that ai-vcr reads. Exported also because it makes the
 * emitted types import 'vitest': without that import the augmentation above finds no module to
 * augment, and `provide: { aiVcr: ... }` takes anything (skipLibCheck hides the error).
 */
export type AiVcrProvide = Pick<ProvidedContext, 'aiVcr'>;

const provided = inject('aiVcrRun');
const run = provided === undefined ? undefined : parseRun(provided, 'the aiVcrRun provided by ai-vcr/vitest/global-setup');
const log = run && runLogWriter(run);

// Concurrent tests of a file interleave their requests and share one expect state, so a
// request learns its test from its async context, entered before each test's hooks and body.
// The context outlives the test, into hooks that run later (a later describe's beforeAll, the
// file's afterAll), so a test names requests only from its beforeEach to its afterEach.
const tests = new AsyncLocalStorage<Task>();
const running = new WeakSet<Task>();
/** How many times each test has started: a retry or a repeat runs its beforeEach again. */
const attempts = new WeakMap<Task, number>();
let file: Task['file'] | undefined;
beforeEach(({ task, onTestFinished }) => {
  file = task.file;
  running.add(task);
  attempts.set(task, (attempts.get(task) ?? 0) + 1);
  onTestFinished(() => {
    running.delete(task);
  });
  tests.enterWith(task);
});

// A call outside any test is recorded by a run of the whole suite, with vitest itself.
useSuiteCommand('npx vitest run');
const recorder = startRecorder(run?.options ?? resolveOptions(inject('aiVcr')), {
  currentTest: () => {
    const task = tests.getStore();
    return task && running.has(task) ? infoOf(task) : undefined;
  },
  onEvent: log?.event,
});

afterAll(async () => {
  await recorder.close();
  // Only a file whose every test ran and passed used every recording it needs: a skipped test,
  // or one that failed (or was bailed out of) before its LLM call, did not.
  if (file && allPassed(file)) log?.fileDone(file.filepath);
});

function allPassed(suite: Suite): boolean {
  return suite.tasks.every((task) => (task.type === 'test' ? task.result?.state === 'pass' : allPassed(task)));
}

type Task = TestContext['task'];
type Suite = Task['file'] | NonNullable<Task['suite']>;

function infoOf(task: Task): TestInfo {
  const names: string[] = [];
  // The file is a suite too, and its own `file`; its name is the path, not a suite name.
  for (let current: Task | Task['suite'] = task; current && current !== current.file; current = current.suite) names.unshift(current.name);
  const project = task.file.projectName ? ` --project ${shellQuote(task.file.projectName)}` : '';
  return { ...testInfo(task.file.name.replaceAll('\\', '/'), names, `npx vitest run${project}`), attempt: attempts.get(task) };
}
