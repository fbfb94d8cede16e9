import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from './support/project.js';

/**
 * The README and the test runners page quote the examples (which CI runs) and the jest preset: a
 * snippet marked `<!-- snippet: file -->` must be that file, character for character.
 */
const QUOTED = [
  'examples/vitest/vitest.config.ts',
  'examples/vitest/tests/chat.test.ts',
  'examples/jest/jest.config.cjs',
  'jest-preset.cjs',
  'examples/jest/tests/chat.test.js',
];

it('quotes every example config and test, exactly as the example runs it', async () => {
  const pages = await Promise.all(['README.md', 'docs/test-runners.md'].map((page) => readFile(path.join(ROOT, page), 'utf8')));
  const snippets = [...pages.join('\n').matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)].map(([, file, code]) => ({ file: file!, code: code! }));
  expect([...new Set(snippets.map(({ file }) => file))].sort()).toEqual([...QUOTED].sort());
  for (const { file, code } of snippets) expect(code, file).toBe(await readFile(path.join(ROOT, file), 'utf8'));
});
