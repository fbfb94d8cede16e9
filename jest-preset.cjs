// `preset: 'ai-vcr'` in a jest config. jest merges a preset with the config that names it:
// the config's own setupFilesAfterEnv come after these, its own transform patterns are tried
// first, and its own reporters, testEnvironment or transformIgnorePatterns replace these.
module.exports = {
  // jest's node environment; on jest 29 it also tells ai-vcr/jest which test makes a request.
  testEnvironment: 'ai-vcr/jest/environment',
  setupFilesAfterEnv: ['ai-vcr/jest'],
  reporters: ['default', 'ai-vcr/jest/reporter'],
  // Some of msw's code ships as ES modules only: all of msw 3 and its own packages (msw,
  // @msw/*, @mswjs/*, @open-draft/*, rettime, until-async, cookie 2), and in msw >= 2.11.3
  // until-async, rettime and @open-draft/deferred-promise. jest runs CommonJS, so babel-jest
  // turns them, like the suite's .js files, into CommonJS (the plugin gives them an
  // `import.meta`). `.pnpm` is listed so that pnpm's store folder is looked into, not skipped.
  transform: {
    '^.+\\.[cm]?js$': [
      'babel-jest',
      { presets: [['@babel/preset-env', { targets: { node: 'current' } }]], plugins: [require.resolve('ai-vcr/jest/babel-plugin')] },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm|msw|@msw|@mswjs|@open-draft|until-async|rettime|cookie)/)'],
};
