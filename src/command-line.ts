/**
 * Whether a test runner's command line may have run fewer tests than the whole suite.
 *
 * A recording is only "unused" after a run of every test. The runners do not tell a filter
 * given on the command line from the config it overrides (`--exclude`, `--dir`, `--testMatch`
 * and `--project` end up in the resolved config), so every flag not known to leave the set of
 * tests alone counts as a filter: a recording wrongly called unused is one a user may delete
 * although a test needs it. Positional filters are the runner's to report.
 */
export function mayFilter(argv: readonly string[], harmless: ReadonlySet<string>): boolean {
  return argv.some((arg) => arg.startsWith('-') && !harmless.has(flagName(arg)));
}

/** `--max-workers=2` and `--maxWorkers 2` as `maxWorkers`, `--no-color` as `color`, `--coverage.enabled` as `coverage`. */
function flagName(arg: string): string {
  const name = arg.replace(/^--?/, '').split(/[=.]/, 1)[0]!;
  const positive = name.startsWith('no-') ? name.slice(3) : name;
  return positive.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
