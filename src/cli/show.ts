import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Scope } from '../options.js';
import { createStore } from '../store.js';
import { formatReading, read } from './conversation.js';
import { CliError, painter, shownPath, type ExitCode, type Io } from './io.js';
import { recordingsDir, scan, scanFile, type Scanned } from './recordings.js';

export interface ShowOptions {
  dir?: string;
  full?: boolean;
  scope: Scope;
}

const FOLD = 300;

export function showCommand(program: Command, run: (action: () => Promise<ExitCode>) => Promise<void>, io: Io): void {
  program
    .command('show')
    .argument('<target>', 'a recording file, a key (the file name without .json), or a test id (every recording of that test)')
    .description('the conversation a recording holds, as a person reads it: the request, the answer assembled from its chunks, finish reason, usage, timing')
    .option('--dir <dir>', 'recordings directory for a key or test id (default: $AI_VCR_DIR, else ./recordings)')
    .option('--full', `do not fold texts longer than ${FOLD} characters`)
    .addHelpText('after', '\nExamples:\n  npx ai-vcr show recordings/004_93e64aa372a341f8.json\n  npx ai-vcr show 361fdc21b3cfd4d53c1a1db0d6470b8ad10d7eb00dad2975dc63990d0829c7e0   (a key: found as replay finds it)\n  npx ai-vcr show "tests/chat.test.ts > answers in French"')
    .action((target: string, options: Omit<ShowOptions, 'scope'>, command: Command) => run(() => show(target, { ...options, scope: command.optsWithGlobals().scope as Scope }, io)));
}

export async function show(target: string, options: ShowOptions, io: Io): Promise<ExitCode> {
  const found = await resolve(target, options, io);
  const paint = painter(io.stdout, io.env);
  let code: ExitCode = 0;
  found.forEach((scanned, i) => {
    if (i > 0) io.stdout.write('\n');
    io.stdout.write(`${paint('bold', shownPath(scanned.file, io.cwd))}\n`);
    if (!scanned.recording) {
      io.stdout.write(`${paint('red', 'broken')}: ${scanned.problem ?? 'unreadable'}\n`);
      code = 1;
      return;
    }
    if (scanned.recording.test_id) io.stdout.write(`test: ${scanned.recording.test_id}\n`);
    io.stdout.write(`${formatReading(read(scanned.recording, { fold: options.full ? Infinity : FOLD })).join('\n')}\n`);
  });
  return code;
}

/** The recordings a target names: a file, else a key (looked up as replay does), else a test id. */
async function resolve(target: string, options: ShowOptions, io: Io): Promise<Scanned[]> {
  const asFile = path.resolve(io.cwd, target);
  if (await stat(asFile).then((stats) => stats.isFile(), () => false)) return [await scanFile(asFile, options.scope)];
  const dir = recordingsDir(options.dir, io);
  if (/^[0-9a-f]{64}$/.test(target)) {
    const lookup = await createStore(dir, options.scope).lookup(target);
    // A broken file is shown too: it is what replay would fail on.
    if (lookup.kind !== 'miss') return [await scanFile(lookup.file, options.scope)];
    throw new CliError(`no recording in ${shownPath(dir, io.cwd)} answers key ${target}${options.scope === 'request' ? ' (with --scope test, keys include test ids)' : ''}`);
  }
  const all = await scan(dir, options.scope, io);
  const exact = all.filter(({ recording }) => recording?.test_id === target);
  const matching = exact.length > 0 ? exact : all.filter(({ recording }) => recording?.test_id?.includes(target));
  if (matching.length === 0) throw new CliError(`${target} is not a file, a key, or the test id of any recording in ${shownPath(dir, io.cwd)}`);
  return matching;
}
