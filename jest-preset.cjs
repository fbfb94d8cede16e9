// `preset: 'ai-vcr'` in a jest config. jest merges a preset with the config that names it:
// the config's own setupFilesAfterEnv come after these, its own transform patterns are tried
// first, and its own reporters or transformIgnorePatterns replace these.
module.exports = {
  testEnvironment: 'node',
  setupFilesAfterEnv: ['ai-vcr/jest'],
  reporters: ['default', 'ai-vcr/jest/reporter'],
  // msw needs until-async, rettime and @open-draft/deferred-promise, which ship ESM only:
  // babel-jest turns them, like the suite's .js files, into CommonJS.
  transform: { '^.+\\.[cm]?js$': ['babel-jest', { presets: [['@babel/preset-env', { targets: { node: 'current' } }]] }] },
  transformIgnorePatterns: ['/node_modules/(?!(until-async|rettime|@open-draft/deferred-promise)/)'],
};
