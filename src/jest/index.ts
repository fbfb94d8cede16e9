/**
 * `llm-vcr/jest`, for jest's `setupFilesAfterEnv` (in `setupFiles` jest's hooks do not exist
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
import { testInfo } from '../test-info.js';
import { RUN_ENV } from './run-env.js';

const run = process.env[RUN_ENV] ? parseRun(JSON.parse(process.env[RUN_ENV]), `${RUN_ENV}, set by llm-vcr/jest/reporter,`) : undefined;
const file = path.relative(run?.rootDir ?? process.cwd(), expect.getState().testPath ?? '').replaceAll('\\', '/');

const tests = new AsyncLocalStorage<TestInfo>();

const recorder = startRecorder(run?.options ?? resolveOptions(), {
  currentTest: () => tests.getStore(),
  onEvent: run && runLogWriter(run).event,
});

const handlers = (globalThis as Record<symbol, unknown>)[Symbol.for('EVENT_HANDLERS')];
if (Array.isArray(handlers)) handlers.push(circusHandler(tests, file, () => recorder.close()));
else afterAll(() => recorder.close());

/** The parts of jest-circus's test and state objects used here. */
interface CircusBlock {
  name: string;
  parent?: CircusBlock;
}
interface CircusTest extends CircusBlock {
  type: 'test';
  fn?: (...args: unknown[]) => unknown;
}
type CircusHandler = (
  event: { name: string; testName?: unknown },
  state: { currentDescribeBlock: { children: (CircusTest | { type: string })[] } },
) => Promise<void> | void;

/**
 * jest-circus keeps its event handlers in a global array (jest-circus's addEventHandler adds
 * to it), and awaits each. Ours does two things there:
 * - it runs every test's function inside its own async context, which is how a request tells
 *   which test made it, even for `test.concurrent` (jest runs concurrent tests together,
 *   without `beforeEach`, and with one shared `expect.getState().currentTestName`): it sees
 *   each test as it is added, before jest runs it in any mode, and wraps its function;
 * - it stops interception when the file's run has finished: an `afterAll` of ours would run
 *   before the test file's own `afterAll` hooks (jest runs them in the order declared), and
 *   their LLM calls would reach the network.
 * Without that array (jest 29 kept it private, or a runner other than jest-circus) tests get
 * no id, and interception stops in an `afterAll`.
 */
function circusHandler(storage: AsyncLocalStorage<TestInfo>, testFile: string, finish: () => Promise<void>): CircusHandler {
  return (event, state) => {
    if (event.name === 'run_finish') return finish();
    if (event.name !== 'add_test') return;
    const test = state.currentDescribeBlock.children.at(-1);
    if (!isTest(test) || test.name !== event.testName || !test.fn) return;
    const fn = test.fn;
    const info = testInfo(testFile, namesOf(test), 'npx jest --runTestsByPath');
    const wrapped = function (this: unknown, ...args: unknown[]) {
      return storage.run(info, () => fn.apply(this, args));
    };
    // jest tells a test that takes a `done` callback by its function's arity.
    Object.defineProperty(wrapped, 'length', { value: fn.length });
    test.fn = wrapped;
  };
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
