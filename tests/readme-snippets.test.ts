import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from './support/project.js';

/**
 * The README's runner sections quote the examples, which CI runs: a snippet marked
 * `<!-- snippet: examples/... -->` must be that file, character for character.
 */
const READMES = ['README.md', 'README.runners.md'];
const QUOTED = ['examples/vitest/vitest.config.ts', 'examples/jest/jest.config.cjs', 'examples/jest/babel.config.cjs'];

async function snippets(): Promise<{ readme: string; file: string; code: string }[]> {
  const found = [];
  for (const readme of READMES) {
    const text = await readFile(path.join(ROOT, readme), 'utf8').catch(() => '');
    for (const match of text.matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)) found.push({ readme, file: match[1]!, code: match[2]! });
  }
  return found;
}

it('quotes every example config, exactly as the example runs it', async () => {
  const found = await snippets();
  expect(found.map(({ file }) => file)).toEqual(expect.arrayContaining(QUOTED));
  for (const { readme, file, code } of found) {
    expect(code, `${readme}: ${file}`).toBe(await readFile(path.join(ROOT, file), 'utf8'));
  }
});
