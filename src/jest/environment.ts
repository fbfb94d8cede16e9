/**
 * `ai-vcr/jest/environment`, jest's node environment that hands jest-circus's events to
 * ai-vcr/jest. Needed on jest 29 only, and kept to this module: ai-vcr/jest learns which test
 * makes a request, and when a file's run ends, from jest-circus's events. jest 30 shares its
 * list of event handlers on the test file's global, so ai-vcr/jest adds itself there; jest 29
 * keeps that list private, and a test environment's `handleTestEvent` is the one way it
 * offers to see the events. ai-vcr/jest runs inside the test file's sandbox and this outside
 * it, so they meet on the sandbox's global. On jest 30 nothing is forwarded (ai-vcr/jest
 * listens to jest directly, and would otherwise see each event twice).
 */
import { createRequire } from 'node:module';
import type * as JestEnvironmentNode from 'jest-environment-node';
import { FORWARDED_EVENTS, type ForwardedHandler } from './forwarded-events.js';

/**
 * jest's own node environment. A project may not have it where ai-vcr can reach it: it comes with
 * jest, not as the project's dependency, and npm nests it when another copy is in the way (two
 * jest majors in one tree, pnpm's strict layout). So after ai-vcr's own resolution, it is taken
 * from where jest takes it for `testEnvironment: 'node'`: beside jest-config.
 */
function jestEnvironmentNode(): typeof JestEnvironmentNode {
  const ours = createRequire(import.meta.url);
  try {
    return ours('jest-environment-node') as typeof JestEnvironmentNode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    const jest = createRequire(ours.resolve('jest/package.json', { paths: [process.cwd()] }));
    const core = createRequire(jest.resolve('@jest/core'));
    const config = createRequire(core.resolve('jest-config'));
    return config('jest-environment-node') as typeof JestEnvironmentNode;
  }
}

const { TestEnvironment } = jestEnvironmentNode();

export default class AiVcrEnvironment extends TestEnvironment {
  readonly #handlers: ForwardedHandler[] = [];

  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    (this.global as Record<symbol, unknown>)[FORWARDED_EVENTS] = this.#handlers;
  }

  /**
   * jest-circus calls this for every event, and awaits it except for the events it
   * dispatches synchronously (adding a test): a handler that has nothing to wait for must not
   * make the call asynchronous.
   */
  handleTestEvent(event: unknown, state: unknown): Promise<void> | void {
    let pending: Promise<void> | undefined;
    for (const handler of this.#handlers) {
      pending = pending ? pending.then(() => handler(event, state)) : handler(event, state) || undefined;
    }
    return pending;
  }
}

export { AiVcrEnvironment as TestEnvironment };
