import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Scope } from '../options.js';
import { CliError, painter, progress, shownPath, type ExitCode, type Io } from './io.js';
import { scan } from './recordings.js';

export interface ImportOptions {
  to?: string;
  copy?: boolean;
  dryRun?: boolean;
  scope: Scope;
}

export function importCommand(program: Command, run: (action: () => Promise<ExitCode>) => Promise<void>, io: Io): void {
  program
    .command('import')
    .argument('<dir>', 'a directory of recordings named otherwise (llama-stack names files by its own hash)')
    .description('rename recordings to <key>.json, the name replay opens first, so a hit reads one file instead of indexing the directory')
    .option('--to <dir>', 'put them in this recordings directory (default: where they are)')
    .option('--copy', 'leave the originals (for a directory shared with a Python suite); needs --to')
    .option('--dry-run', 'say what would be done, change nothing')
    .addHelpText(
      'after',
      '\nModel lists are merged from every model-list file, not looked up by key: they keep their names.\n\nExamples:\n  npx ai-vcr import recordings\n  npx ai-vcr import ../stack/tests/integration/recordings --to recordings --copy',
    )
    .action((dir: string, options: Omit<ImportOptions, 'scope'>, command: Command) => run(() => importRecordings(dir, { ...options, scope: command.optsWithGlobals().scope as Scope }, io)));
}

export async function importRecordings(given: string, options: ImportOptions, io: Io): Promise<ExitCode> {
  const from = path.resolve(io.cwd, given);
  const to = path.resolve(io.cwd, options.to ?? given);
  if (options.copy && to === from) throw new CliError('--copy needs --to <another directory>: copies beside the originals would be two files answering each request');
  const scanned = await scan(from, options.scope, io);
  const paint = painter(io.stdout, io.env);
  const counts = { moved: 0, already: 0, broken: 0, conflicts: 0 };
  const taken = new Map<string, string>();
  const shown = progress(io, 'importing recordings', scanned.length);
  for (const each of scanned) {
    shown.tick();
    if (!each.recording) {
      counts.broken += 1;
      io.stdout.write(`${paint('red', 'broken')} ${shownPath(each.file, io.cwd)}: ${each.problem ?? 'unreadable'} (left as it is)\n`);
      continue;
    }
    // A model list keeps its name: replay merges every model-list file it finds.
    if (!each.key && to === from) continue;
    const target = path.join(to, each.key ? `${each.key}.json` : path.basename(each.file));
    if (target === each.file) {
      counts.already += 1;
      continue;
    }
    const claimed = taken.get(target);
    const existing = claimed ? undefined : await readFile(target).catch(() => undefined);
    if (claimed || (existing && !existing.equals(await readFile(each.file)))) {
      counts.conflicts += 1;
      io.stdout.write(`${paint('red', 'conflict')} ${shownPath(each.file, io.cwd)}: ${shownPath(target, io.cwd)} already answers the same request with another recording (left as it is; keep one of them)\n`);
      continue;
    }
    taken.set(target, each.file);
    const verb = options.copy ? 'copied' : 'moved';
    if (!options.dryRun) await adopt(each.file, target, { copy: Boolean(options.copy), exists: Boolean(existing) });
    counts.moved += 1;
    io.stdout.write(`${options.dryRun ? `would be ${verb}` : verb} ${shownPath(each.file, io.cwd)} -> ${shownPath(target, io.cwd)}${existing ? ' (the same file was there already)' : ''}\n`);
  }
  shown.done();
  const did = options.dryRun ? `would ${options.copy ? 'copy' : 'move'}` : options.copy ? 'copied' : 'moved';
  const trouble = [counts.broken > 0 ? `${counts.broken} broken` : '', counts.conflicts > 0 ? `${counts.conflicts} in conflict` : ''].filter(Boolean).join(', ');
  io.stdout.write(`ai-vcr import: ${did} ${counts.moved}, ${counts.already} already named by their key${trouble ? `, ${trouble} (left as they are)` : ''}\n`);
  return trouble ? 1 : 0;
}

/**
 * Put one recording at its new name, never leaving a torn file there: a copy goes to a temporary
 * file renamed into place. A move is a rename, or a copy and a delete across file systems.
 */
async function adopt(file: string, target: string, { copy, exists }: { copy: boolean; exists: boolean }): Promise<void> {
  if (exists) {
    if (!copy) await rm(file);
    return;
  }
  await mkdir(path.dirname(target), { recursive: true });
  if (!copy) {
    const moved = await rename(file, target).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV') throw error;
        return false;
      },
    );
    if (moved) return;
  }
  const temporary = `${target}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await copyFile(file, temporary);
    await rename(temporary, target);
  } finally {
    await rm(temporary, { force: true });
  }
  if (!copy) await rm(file);
}
