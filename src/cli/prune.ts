import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatSize, painter, shownPath, type ExitCode, type Io } from './io.js';
import { noUsageReason, recordingsDir, scan, usageOf } from './recordings.js';
import type { Scope } from '../options.js';

export function pruneCommand(program: Command, run: (action: () => Promise<ExitCode>) => Promise<void>, io: Io): void {
  program
    .command('prune')
    .argument('[dir]', 'recordings directory (default: $AI_VCR_DIR, else ./recordings)')
    .description('delete the recordings the last whole run did not use; refuses when no whole run is recorded')
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .addHelpText(
      'after',
      '\nRecordings changed after the last whole run ended (recorded by a later filtered run, or pulled)\nare kept: that run could not have used them.\n\nExamples:\n  npx vitest run && npx ai-vcr prune --dry-run\n  npx ai-vcr prune recordings',
    )
    .action((dir: string | undefined, options: { dryRun?: boolean }, command: Command) => run(() => prune(dir, { ...options, scope: command.optsWithGlobals().scope as Scope }, io)));
}

export async function prune(given: string | undefined, options: { dryRun?: boolean; scope: Scope }, io: Io): Promise<ExitCode> {
  const dir = recordingsDir(given, io);
  const usage = await usageOf(dir);
  const reason = noUsageReason(usage.lastRun, dir, io);
  if (reason) {
    io.stderr.write(`ai-vcr prune: refused, nothing deleted: ${reason}\n`);
    return 1;
  }
  const scanned = await scan(dir, options.scope, io);
  const unused = scanned.filter((each) => usage.of(each) === 'unused');
  const kept = scanned.filter((each) => usage.of(each) === 'new').length;
  const paint = painter(io.stdout, io.env);
  for (const { file, size } of unused) {
    if (!options.dryRun) await rm(file);
    io.stdout.write(`${paint('yellow', options.dryRun ? 'would delete' : 'deleted')} ${shownPath(file, io.cwd)} (${formatSize(size)})\n`);
  }
  const total = formatSize(unused.reduce((sum, { size }) => sum + size, 0));
  const newer = kept > 0 ? `; kept ${kept} changed since the last whole run` : '';
  io.stdout.write(`ai-vcr prune: ${options.dryRun ? 'would delete' : 'deleted'} ${unused.length} of ${scanned.length} recordings (${total})${newer}\n`);
  return 0;
}
