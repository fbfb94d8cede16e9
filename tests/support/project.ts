import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Options } from 'tsup';
import { afterAll, afterEach } from 'vitest';
import tsupConfig from '../../tsup.config.js';

/**
 * Small test projects that a real vitest or jest runs in a child process, as a user's suite
 * would. They live in the repository (in git-ignored `.ai-vcr-tmp-*` folders) so that
 * openai, msw and the runners resolve from its node_modules, and they import ai-vcr by its
 * package name from a build of the current source, through the package's exports map.
 */
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const NO_NETWORK = path.join(ROOT, 'tests/support/no-network.ts');

/** A vitest.config.js with ai-vcr's setup file, global setup (unless left out) and the given `provide: { aiVcr }` options. */
export function config({ globalSetup = true, options = "{ dir: 'recordings' }" } = {}): string {
  return `
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.js'],
    globals: true,
    setupFiles: [${JSON.stringify(NO_NETWORK)}, 'ai-vcr/vitest'],
    ${globalSetup ? "globalSetup: ['ai-vcr/vitest/global-setup']," : ''}
    provide: { aiVcr: ${options} },
  },
});
`;
}

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

let built: Promise<string> | undefined;
afterAll(async () => {
  if (built) await rm(await built, { recursive: true, force: true });
});

/** The package built once per test file: package.json, the jest preset and dist/, without type declarations. */
function builtPackage(): Promise<string> {
  built ??= (async () => {
    const dir = path.join(ROOT, `.ai-vcr-tmp-build-${randomUUID().slice(0, 8)}`);
    await mkdir(dir);
    for (const file of ['package.json', 'jest-preset.cjs']) await copyFile(path.join(ROOT, file), path.join(dir, file));
    const options = tsupConfig as Options & { entry: Record<string, string> };
    await build({ ...options, config: false, dts: false, sourcemap: false, silent: true, outDir: path.join(dir, 'dist'), entry: absolute(options.entry) });
    return dir;
  })();
  return built;
}

function absolute(entry: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(entry).map(([name, file]) => [name, path.join(ROOT, file)]));
}

/** A fresh project with these files (paths relative to it), ai-vcr installed; removed after the test. */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = path.join(ROOT, `.ai-vcr-tmp-${randomUUID().slice(0, 8)}`);
  made.push(dir);
  // A package of its own: inside the repository's package, which is named ai-vcr, Node would
  // resolve `ai-vcr` to the repository itself (a package may import itself by name), that is
  // to whatever dist/ holds, or to nothing on a clean clone.
  const own = { 'package.json': JSON.stringify({ name: 'ai-vcr-test-project', private: true }) };
  for (const [name, text] of Object.entries({ ...own, ...files })) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  await mkdir(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  await symlink(await builtPackage(), path.join(dir, 'node_modules', 'ai-vcr'), 'dir');
  // npx looks for the runners here, the nearest node_modules (it must never download one).
  for (const bin of ['vitest', 'jest']) await symlink(path.join(ROOT, 'node_modules', '.bin', bin), path.join(dir, 'node_modules', '.bin', bin));
  return dir;
}

export interface Ran {
  code: number;
  /** stdout and stderr together, without colors. */
  output: string;
}

/**
 * Run a shell command in a project, with a clean environment plus `env` (no inherited
 * AI_VCR_*, VITEST* or JEST_*). The project's node_modules/.bin is on the PATH, so `vitest`
 * and `jest` start without npx's second or so (commands copied from a summary use npx).
 */
export function sh(dir: string, command: string, env: Record<string, string> = {}): Promise<Ran> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AI_VCR_|VITEST|JEST_)/.test(name) && name !== 'NODE_ENV'));
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { cwd: dir, env: { ...inherited, PATH: `${path.join(dir, 'node_modules', '.bin')}:${process.env.PATH}`, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

/** The lines of ai-vcr's end-of-run summary in a runner's output (jest prints its own summary right after). */
export function summaryOf(output: string): string[] {
  const start = output.search(/^ai-vcr: \d+ replayed/m);
  if (start === -1) return [];
  const lines = output.slice(start).split('\n');
  const end = lines.findIndex((line) => line === '' || line.startsWith('Test Suites:'));
  return lines.slice(0, end === -1 ? undefined : end);
}

/** The recordings a directory holds: test id (or null) and the streamed answer's text, by file name. */
export async function recordingsIn(dir: string): Promise<{ file: string; testId: string | null; text: string }[]> {
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (file) => {
      const recording = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
      const chunks: { __data__: { choices: { delta: { content?: string } }[] } }[] = recording.response.body;
      return { file, testId: recording.test_id ?? null, text: chunks.map((chunk) => chunk.__data__.choices[0]?.delta.content ?? '').join('') };
    }),
  );
}

/** A test file's helper for the projects: one streamed chat question to the openai SDK, answered as text. */
export const ASK = `
import OpenAI from 'openai';

// Built at load time, as suites do: openai v5+ captures fetch here.
const client = new OpenAI({ apiKey: 'sk-test', baseURL: process.env.UPSTREAM_URL ?? 'https://api.openai.com/v1', maxRetries: 0 });

export async function ask(content) {
  const stream = await client.chat.completions.create({ model: 'echo', stream: true, messages: [{ role: 'user', content }] });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}
`;

/**
 * Test files for the projects, the same for both runners: they use the runner's globals
 * (vitest's `globals: true`), so each runner's test shows what differs in its own setup only.
 */
export const SUITES = {
  'tests/chat.test.js': `
import { ask } from './ask.js';

describe('chat', () => {
  test('says hello', async () => {
    expect(await ask('hello')).toMatch(/: hello$/);
  });
  test('says bye', async () => {
    expect(await ask('bye')).toMatch(/: bye$/);
  });
});
`,
  // Brackets in the path (a Next.js route, say) and quotes and parens in the name, for the record command.
  'tests/[id]/quoted.test.js': `
import { ask } from '../ask.js';

test('asks about "quotes" (and parens)', async () => {
  expect(await ask('quotes')).toMatch(/: quotes$/);
});
`,
  'tests/pair.test.js': `
import { ask } from './ask.js';

describe('pair', () => {
  test.concurrent('first', async () => {
    expect(await ask('one')).toMatch(/one$/);
  });
  test.concurrent('second', async () => {
    expect(await ask('two')).toMatch(/two$/);
  });
});
`,
  'tests/hooks.test.js': `
import { ask } from './ask.js';

// Started by test a, in its async context, but asked only once every test has finished.
let release;
let late;

afterAll(async () => {
  await ask('teardown');
  release();
  await late;
});

describe('A', () => {
  beforeEach(async () => {
    await ask('before a');
  });
  afterEach(async () => {
    await ask('after a');
  });
  test('a', async () => {
    late = new Promise((resolve) => (release = resolve)).then(() => ask('late'));
    expect(await ask('a')).toMatch(/a$/);
  });
});

describe('B', () => {
  beforeAll(async () => {
    await ask('setup b');
  });
  test('b', async () => {
    expect(await ask('b')).toMatch(/b$/);
  });
});
`,
};

/** What the project's recordings answered, by the question asked (the upstream numbers its answers). */
export async function testIdsByQuestion(dir: string): Promise<Record<string, string | null>> {
  return Object.fromEntries((await recordingsIn(dir)).map(({ text, testId }) => [text.replace(/^echo \d+: /, ''), testId]));
}
