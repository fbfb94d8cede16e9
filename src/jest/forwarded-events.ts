/**
 * Where ai-vcr/jest/environment puts, on the test file's global, the list of handlers it
 * forwards jest-circus's events to (jest 29, whose own list is private). A registered symbol:
 * the environment and the setup file are separate bundles.
 */
export const FORWARDED_EVENTS = Symbol.for('ai-vcr.jest.forwarded-events');

export type ForwardedHandler = (event: unknown, state: unknown) => Promise<void> | void;
