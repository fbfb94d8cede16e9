// A project-wide babel.config (not .babelrc), so that it also applies inside node_modules.
module.exports = { presets: [['@babel/preset-env', { targets: { node: 'current' } }]] };
