import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One way of answering a whole vitest suite's LLM calls: the helper each test file imports, and what it needs. */
export interface SuiteContender {
  name: string;
  /** A file in bench/suite/ that sets the contender up and declares the test. */
  helper: 'msw.ts' | 'polly.ts' | 'nock.ts' | 'ai-vcr.ts';
  /** For ai-vcr: the recordings directory, through the vitest integration's provide. */
  aiVcrDir?: string;
  env?: Record<string, string>;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * A suite of `files` test files, each one replay, in a directory of its own under `root` (a temporary
 * directory, not the repository). Test files import their helper by absolute path, and the helpers
 * import msw, Polly and nock from bench/node_modules and vitest from the root's.
 */
export function writeSuite(root: string, contender: SuiteContender, files: number): string {
  const dir = join(root, `suite-${contender.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`);
  mkdirSync(dir);
  const helper = here(`./suite/${contender.helper}`);
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `replay-${String(i).padStart(2, '0')}.test.ts`), `import ${JSON.stringify(helper)};\n`);
  // ai-vcr as its docs set it up: the worker part in setupFiles, the summary in globalSetup. From the
  // build, which Node loads as it loads an installed package: vitest would run src/ through vite in every worker.
  const aiVcr = contender.aiVcrDir
    ? `
    setupFiles: [${JSON.stringify(here('../dist/vitest/index.js'))}],
    globalSetup: [${JSON.stringify(here('../dist/vitest/global-setup.js'))}],
    provide: { aiVcr: ${JSON.stringify({ mode: 'replay', dir: contender.aiVcrDir })} },
    server: { deps: { external: [/\\/node_modules\\//, ${JSON.stringify(here('../dist/'))}] } },`
    : '';
  // No import of vitest/config: it does not resolve from a temporary directory, and a plain object is a config.
  writeFileSync(join(dir, 'vitest.config.mjs'), `export default {\n  test: {\n    include: ['*.test.ts'],${aiVcr}\n  },\n};\n`);
  return dir;
}

/** Wall time of `vitest run` over the suite, from spawning it to its exit; fails if any test failed. */
export async function timeSuite(dir: string, env: Record<string, string>): Promise<number> {
  const vitest = here('../node_modules/vitest/vitest.mjs');
  const start = performance.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vitest, 'run', '--config', 'vitest.config.mjs'], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (part: Buffer) => output.push(part.toString()));
    child.stderr.on('data', (part: Buffer) => output.push(part.toString()));
    child.on('error', reject);
    child.on('close', resolve);
  });
  const elapsed = performance.now() - start;
  if (code !== 0) throw new Error(`vitest run in ${dir} exited with ${code}:\n${output.join('').slice(-4000)}`);
  return elapsed;
}
