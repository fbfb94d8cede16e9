import type { Command } from 'commander';
import type { Scope } from '../options.js';
import { formatSize, painter, shownPath, type ExitCode, type Io } from './io.js';
import { modelOfRecording, noUsageReason, recordingsDir, scan, shortEndpoint, usageOf, type Usage } from './recordings.js';

export interface ListOptions {
  model?: string;
  test?: string;
  unused?: boolean;
  json?: boolean;
  scope: Scope;
}

interface Row {
  file: string;
  endpoint: string | null;
  model: string | null;
  streamed: boolean | null;
  test: string | null;
  size: number;
  /** Whether the last whole run used it; null when no whole run is recorded. */
  used: boolean | null;
  /** Changed after the last whole run ended, so that run could not have used it. */
  new: boolean;
  problem: string | null;
}

export function listCommand(program: Command, run: (action: () => Promise<ExitCode>) => Promise<void>, io: Io): void {
  program
    .command('list')
    .argument('[dir]', 'recordings directory (default: $AI_VCR_DIR, else ./recordings)')
    .description('one line per recording: endpoint, model, streamed or not, size, whether the last whole run used it, test id')
    .option('--model <name>', 'only recordings for this model')
    .option('--test <text>', 'only recordings whose test id contains this text')
    .option('--unused', 'only recordings the last whole run did not use')
    .option('--json', 'print a JSON array instead of lines')
    .addHelpText('after', '\nExamples:\n  npx ai-vcr list\n  npx ai-vcr list recordings --model gpt-4o --unused\n  npx ai-vcr list --json | jq \'.[] | select(.streamed)\'')
    .action((dir: string | undefined, options: Omit<ListOptions, 'scope'>, command: Command) =>
      run(() => list(dir, { ...options, scope: command.optsWithGlobals().scope as Scope }, io)),
    );
}

export async function list(given: string | undefined, options: ListOptions, io: Io): Promise<ExitCode> {
  const dir = recordingsDir(given, io);
  const usage = await usageOf(dir);
  const reason = noUsageReason(usage.lastRun, dir, io);
  if (options.unused && reason) {
    io.stderr.write(`ai-vcr list --unused: ${reason}\n`);
    return 1;
  }
  const rows = (await scan(dir, options.scope, io))
    .map((scanned): Row => {
      const { recording } = scanned;
      const used: Usage = usage.of(scanned);
      return {
        file: shownPath(scanned.file, io.cwd),
        endpoint: recording?.request.endpoint ?? null,
        model: (recording && modelOfRecording(recording)) ?? null,
        streamed: recording?.response.is_streaming ?? null,
        test: recording?.test_id ?? null,
        size: scanned.size,
        used: used === 'unknown' ? null : used === 'used',
        new: used === 'new',
        problem: scanned.problem ?? null,
      };
    })
    .filter((row) => (options.model === undefined || row.model === options.model) && (options.test === undefined || (row.test ?? '').includes(options.test)))
    .filter((row) => !options.unused || (row.used === false && !row.new));
  if (options.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const paint = painter(io.stdout, io.env);
  const header = ['USED', 'ENDPOINT', 'MODEL', 'BODY', 'SIZE', 'FILE', 'TEST'];
  const table = rows.map((row) => [
    row.problem ? 'broken' : row.used === null ? '-' : row.new ? 'new' : row.used ? 'used' : 'unused',
    row.endpoint ? shortEndpoint(row.endpoint) : '-',
    row.model ?? '-',
    row.streamed === null ? '-' : row.streamed ? 'stream' : 'json',
    formatSize(row.size),
    row.file,
    row.problem ?? row.test ?? '',
  ]);
  const widths = [header, ...table].reduce((max, cells) => cells.map((cell, i) => Math.max(max[i] ?? 0, cell.length)), [] as number[]);
  const colours = { used: 'green', unused: 'yellow', broken: 'red', new: 'dim' } as const;
  if (rows.length > 0) io.stdout.write(`${paint('dim', header.map((cell, i) => (i === header.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))}\n`);
  for (const cells of table) {
    const colour = colours[cells[0] as keyof typeof colours];
    const padded = cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)));
    if (colour) padded[0] = paint(colour, padded[0]!);
    io.stdout.write(`${padded.join('  ').trimEnd()}\n`);
  }
  if (rows.length === 0) io.stderr.write('ai-vcr list: no recordings match\n');
  // In the usage column, "-" means not known; say why once, on stderr, where it does not break a pipe.
  if (reason) io.stderr.write(`ai-vcr list: usage not known: ${reason}\n`);
  return 0;
}
