/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  setupFilesAfterEnv: ['llm-vcr/jest'],
  reporters: ['default', ['llm-vcr/jest/reporter', { dir: 'recordings' }]],
  // msw needs until-async, rettime and @open-draft/deferred-promise, which ship ESM only:
  // babel-jest (see babel.config.cjs) turns them, like the tests, into CommonJS.
  transform: { '^.+\\.[cm]?js$': 'babel-jest' },
  transformIgnorePatterns: ['/node_modules/(?!(until-async|rettime|@open-draft/deferred-promise)/)'],
};
