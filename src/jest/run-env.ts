/**
 * How ai-vcr/jest/reporter hands the run to jest's workers: jest starts them after the
 * reporter's onRunStart, as child processes that inherit the environment (and with
 * --runInBand the tests run in the reporter's own process, which has it too).
 */
export const RUN_ENV = 'AI_VCR_RUN';
