/** @type {import('jest').Config} */
module.exports = { preset: 'llm-vcr' };
