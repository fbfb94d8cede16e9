import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { RecorderEvent } from '../../src/events.js';
import { saveWholeRun } from '../../src/last-run.js';
import { FIXTURES, tempDir } from './fixtures.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The ai-vcr command line's main function, run in a directory as a user would run it, its
 * output captured. `tty` says whether stdout and stderr are terminals (they are not by default).
 */
export async function cli(args: string[], { cwd, env = {}, tty = false }: { cwd: string; env?: NodeJS.ProcessEnv; tty?: boolean }): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    stdout: { write: (text: string) => out.push(text), isTTY: tty },
    stderr: { write: (text: string) => err.push(text), isTTY: tty },
    env,
    cwd,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/**
 * A project directory (with a package.json, so the last run is kept in its node_modules/.cache)
 * whose `recordings/` holds llama-stack's recordings (fixtures/seeds and fixtures/samples).
 */
export async function projectWithFixtures(): Promise<{ root: string; dir: string }> {
  const root = await tempDir();
  await writeFile(path.join(root, 'package.json'), '{"name":"cli-test","private":true}\n');
  const dir = path.join(root, 'recordings');
  await mkdir(dir);
  await cp(FIXTURES, dir, { recursive: true });
  return { root, dir };
}

/** Remember a whole run that used these recordings (paths relative to dir), as the runner integrations do. */
export async function wholeRunUsed(dir: string, used: string[]): Promise<void> {
  const events: RecorderEvent[] = used.map((file) => ({ type: 'replayed', method: 'POST', endpoint: '/v1/chat/completions', key: 'k', file: path.join(dir, file) }));
  await saveWholeRun(dir, events);
}

export async function json(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8'));
}
