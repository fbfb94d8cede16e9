/** @type {import('jest').Config} */
module.exports = { preset: 'ai-vcr' };
