import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Options } from 'tsup';
import { afterAll, expect, it } from 'vitest';
import tsupConfig from '../tsup.config.js';
import { ROOT } from './support/project.js';

// The published type declarations, as a user's TypeScript sees them: a vitest config that
// names ai-vcr/vitest gets its `provide: { aiVcr }` checked against the options' schema.
const dir = path.join(ROOT, `.ai-vcr-tmp-types-${process.pid}`);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** tsc's errors for each config file, type-checked against the built declarations in one run. */
async function typeErrors(configs: Record<string, string>): Promise<Record<string, string[]>> {
  const pkg = path.join(dir, 'node_modules', 'ai-vcr');
  await mkdir(pkg, { recursive: true });
  await copyFile(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  const options = tsupConfig as Options;
  await build({ ...options, config: false, entry: { 'vitest/index': path.join(ROOT, 'src/vitest/index.ts') }, dts: { only: true }, silent: true, outDir: path.join(pkg, 'dist') });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'ai-vcr-types-test', type: 'module' }));
  for (const [name, text] of Object.entries(configs)) await writeFile(path.join(dir, name), text);
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    // skipLibCheck as most projects have it: it also hides errors inside the declarations.
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: Object.keys(configs) }),
  );
  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir }, (_error, stdout) => resolve(stdout));
  });
  return Object.fromEntries(Object.keys(configs).map((name) => [name, output.split(/\n(?=\S)/).filter((error) => error.startsWith(name))]));
}

const config = (provide: string) => `/// <reference types="ai-vcr/vitest" />
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { provide: { aiVcr: ${provide} } } });
`;

it("checks a vitest config's provide.aiVcr against the options", async () => {
  const errors = await typeErrors({
    'good.config.ts': config("{ mode: 'record-if-missing', dir: 'recordings' }"),
    'mode.config.ts': config("{ mode: 42, dir: 'recordings' }"),
    'unknown.config.ts': config('{ bogus: true }'),
    'rules.config.ts': config("{ normalize: ['iso-timestamps', { ignore: 'messages[*].metadata' }, { replace: 'id-\\\\d+', with: '<id>' }, { round: 2 }], sequence: true }"),
    // Functions do not survive the trip to workers as JSON: code options only.
    'function.config.ts': config('{ normalize: [(body: unknown) => body] }'),
  });
  expect(errors['rules.config.ts']).toEqual([]);
  expect(errors['function.config.ts']!.join('\n')).toMatch(/is not assignable to type/);
  expect(errors['good.config.ts']).toEqual([]);
  expect(errors['mode.config.ts']!.join('\n')).toMatch(/Type 'number' is not assignable to type '"[a-z-"| ]+ \| undefined'/);
  expect(errors['unknown.config.ts']!.join('\n')).toMatch(/'bogus' does not exist/);
}, 60_000);
