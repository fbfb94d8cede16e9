/**
 * `ai-vcr/jest`, for jest's `setupFilesAfterEnv` (in `setupFiles` jest's hooks do not exist
 * yet). Loading it starts interception, before the test file is loaded and builds its clients
 * (openai v5+ captures fetch at construction); it stops after the file. Each test's LLM calls
 * carry that test's id and re-run command.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { afterAll, expect } from '@jest/globals';
import type { TestInfo } from '../events.js';
import { resolveOptions } from '../options.js';
import { parseRun, runLogWriter } from '../run.js';
import { startRecorder } from '../server.js';
import { testInfo, useSuiteCommand } from '../test-info.js';
import { FORWARDED_EVENTS } from './forwarded-events.js';
import { RUN_ENV } from './run-env.js';

const run = process.env[RUN_ENV] ? parseRun(JSON.parse(process.env[RUN_ENV]), `${RUN_ENV}, set by ai-vcr/jest/reporter,`) : undefined;
const file = path.relative(run?.rootDir ?? process.cwd(), expect.getState().testPath ?? '').replaceAll('\\', '/');

// A request learns its test from its async context: the test's function and its each-hooks
// run inside one that holds the test. The context outlives the test (a stream left open, a
// promise nobody awaited), so it names the test only while jest runs it.
const tests = new AsyncLocalStorage<CircusTest>();
const running = new WeakMap<CircusTest, TestInfo>();
/** The test jest runs on its own, not concurrently: the one its each-hooks run for. */
let sequential: CircusTest | undefined;

// A call outside any test is recorded by a run of the whole suite, with jest itself.
useSuiteCommand('npx jest');
const recorder = startRecorder(run?.options ?? resolveOptions(), {
  currentTest: () => {
    const test = tests.getStore();
    return test && running.get(test);
  },
  onEvent: run && runLogWriter(run).event,
});

// jest 30 shares jest-circus's list of event handlers on the global; jest 29 keeps it private,
// and ai-vcr/jest/environment forwards the events instead.
const sandbox = globalThis as Record<symbol, unknown>;
const handlers = sandbox[Symbol.for('EVENT_HANDLERS')] ?? sandbox[FORWARDED_EVENTS];
if (Array.isArray(handlers)) handlers.push(circusHandler());
else afterAll(() => recorder.close());

/** The parts of jest-circus's tests, hooks, state and events used here. */
interface CircusBlock {
  name: string;
  parent?: CircusBlock;
}
type CircusFn = (...args: unknown[]) => unknown;
interface CircusTest extends CircusBlock {
  type: 'test';
  concurrent?: boolean;
  fn?: CircusFn;
  /** How many times jest has started the test: a retry (jest.retryTimes) starts it again. */
  invocations?: number;
}
interface CircusHook {
  type: string;
  fn: CircusFn;
}
interface CircusState {
  currentDescribeBlock: { children: (CircusTest | { type: string })[] };
}
type CircusEvent = { name: string; test?: CircusTest; testName?: unknown; hook?: CircusHook };
type CircusHandler = (event: CircusEvent, state: CircusState) => Promise<void> | void;

/**
 * jest-circus awaits each of its event handlers (jest 30's global list, or on jest 29 the
 * environment's `handleTestEvent`, which forwards to ours). Ours does three things there:
 * - it runs every test's function, and every `beforeEach` and `afterEach` hook, inside the
 *   async context that names the test. A test's function is wrapped as the test is added,
 *   before jest runs it in any mode, with that test: `test.concurrent` tests run together,
 *   without each-hooks, and share one `expect.getState().currentTestName`. An each-hook is
 *   shared by the tests below it, so it names the test jest runs on its own when the hook is
 *   called (jest 30.0 and 30.1 start concurrent tests early, so circus's own
 *   `currentlyRunningTest` may name one of those);
 * - it knows which tests are running, from their start to their end;
 * - it stops interception when the file's run has finished: an `afterAll` of ours would run
 *   before the test file's own `afterAll` hooks (jest runs them in the order declared), and
 *   their LLM calls would reach the network.
 * Without either list (jest 29 in an environment other than ai-vcr/jest/environment, or a
 * runner other than jest-circus) tests get no id, and interception stops in an `afterAll`.
 */
function circusHandler(): CircusHandler {
  const wrapped = new WeakSet<CircusFn>();
  return (event, state) => {
    const { test, hook } = event;
    switch (event.name) {
      case 'add_test': {
        const added = state.currentDescribeBlock.children.at(-1);
        // Running from when its function is called, too: jest 29 calls the functions of
        // concurrent tests when their describe block starts, before their test_start.
        if (isTest(added) && added.name === event.testName && added.fn) added.fn = inContext(added.fn, () => starting(added));
        return;
      }
      // Wrapped when first called rather than when added, so that hooks added before ours are too.
      case 'hook_start':
        if (hook && (hook.type === 'beforeEach' || hook.type === 'afterEach') && !wrapped.has(hook.fn)) {
          hook.fn = inContext(hook.fn, () => sequential);
          wrapped.add(hook.fn);
        }
        return;
      case 'test_start':
        if (!test) return;
        starting(test);
        if (!test.concurrent) sequential = test;
        return;
      case 'test_done':
      case 'test_skip':
      case 'test_todo':
        if (test) running.delete(test);
        if (test === sequential) sequential = undefined;
        return;
      case 'run_finish':
        // With the reporter, calls not recorded fail the run from there, after jest has reported
        // each test; a rejection here would turn the file into one that "failed to run".
        return run ? recorder.close().catch(() => {}) : recorder.close();
    }
  };
}

/** Marks a test as running (until its test_done), once for each time jest runs it. */
function starting(test: CircusTest): CircusTest {
  if (!running.has(test)) running.set(test, { ...testInfo(file, namesOf(test), 'npx jest --runTestsByPath'), attempt: test.invocations });
  return test;
}

/** `fn`, run in the context of the test `testOf` names when it is called; jest tells a function that takes a `done` callback by its arity. */
function inContext(fn: CircusFn, testOf: () => CircusTest | undefined): CircusFn {
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const test = testOf();
    return test ? tests.run(test, () => fn.apply(this, args)) : fn.apply(this, args);
  };
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  return wrapped;
}

function isTest(child: { type: string } | undefined): child is CircusTest {
  return child?.type === 'test';
}

/** Describe block names and the test name; the root block has no parent and no real name. */
function namesOf(test: CircusTest): string[] {
  const names: string[] = [];
  for (let block: CircusBlock | undefined = test; block?.parent; block = block.parent) names.unshift(block.name);
  return names;
}
