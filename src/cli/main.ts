import { Command, CommanderError, Option } from 'commander';
import { SCOPES } from '../options.js';
import { driftCommand } from './drift.js';
import { importCommand } from './import.js';
import { CliError, painter, type ExitCode, type Io } from './io.js';
import { listCommand } from './list.js';
import { pruneCommand } from './prune.js';
import { reportCommand } from './report.js';
import { showCommand } from './show.js';
import { verifyCommand } from './verify.js';

/**
 * The ai-vcr command line: parse argv (without node and the script), run one command, and
 * return its exit code: 0 done, 1 problems found (or refused), 2 bad usage or input.
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let code: ExitCode = 0;
  const paint = painter(io.stderr, io.env);
  const run = async (action: () => Promise<ExitCode>) => {
    try {
      code = await action();
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      io.stderr.write(`${paint('red', 'ai-vcr:')} ${error.message}\n`);
      code = 2;
    }
  };
  const program = new Command('ai-vcr')
    .description('Look after the recordings ai-vcr replays: list, read, check, prune and import them, check them against the live API, and report on them as a web page.')
    .addOption(new Option('--scope <scope>', 'the scope the recorder uses (see its `scope` option): test ids are part of keys with `test`').choices(SCOPES).default('request'))
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError()
    .addHelpText('after', '\nExamples:\n  npx ai-vcr list --unused\n  npx ai-vcr show recordings/004_93e64aa372a341f8.json\n  npx ai-vcr verify && npx ai-vcr prune --dry-run\n\n"The last whole run" is the last run of every test through the ai-vcr vitest or jest\nintegration; it is remembered in node_modules/.cache/ai-vcr/ of the project.');
  listCommand(program, run, io);
  showCommand(program, run, io);
  verifyCommand(program, run, io);
  pruneCommand(program, run, io);
  importCommand(program, run, io);
  driftCommand(program, run, io);
  reportCommand(program, run, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and version asked for are a success; anything else commander rejects is bad usage.
    return error.exitCode === 0 ? 0 : 2;
  }
  return code;
}
