import type { Command } from 'commander';
import type { Scope } from '../options.js';
import type { Recording } from '../recording.js';
import { credentialIn, isHarmlessHeader, isHarmlessParam, MIN_SECRET_LENGTH, REDACTED } from '../redact.js';
import { painter, progress, shownPath, type ExitCode, type Io } from './io.js';
import { noUsageReason, recordingsDir, scan, usageOf } from './recordings.js';

export function verifyCommand(program: Command, run: (action: () => Promise<ExitCode>) => Promise<void>, io: Io): void {
  program
    .command('verify')
    .argument('[dir]', 'recordings directory (default: $AI_VCR_DIR, else ./recordings)')
    .description('check every recording: valid (the checks replay makes), no two answering one request, no credential-looking value, used by the last whole run. Exit code 1 on any problem')
    .addHelpText('after', '\nExamples:\n  npx ai-vcr verify\n  npx ai-vcr verify fixtures/recordings      (in CI, or a pre-commit hook)')
    .action((dir: string | undefined, _options: unknown, command: Command) => run(() => verify(dir, { scope: command.optsWithGlobals().scope as Scope }, io)));
}

export async function verify(given: string | undefined, options: { scope: Scope }, io: Io): Promise<ExitCode> {
  const dir = recordingsDir(given, io);
  const scanned = await scan(dir, options.scope, io);
  const usage = await usageOf(dir);
  const paint = painter(io.stdout, io.env);
  let problems = 0;
  const problem = (file: string, text: string) => {
    problems += 1;
    io.stdout.write(`${paint('red', shownPath(file, io.cwd))}: ${text}\n`);
  };
  const byKey = new Map<string, string>();
  const shown = progress(io, 'checking recordings', scanned.length);
  for (const each of scanned) {
    shown.tick();
    if (each.problem || !each.recording) {
      problem(each.file, each.problem ?? 'unreadable');
      continue;
    }
    for (const found of credentialsIn(each.recording)) problem(each.file, found);
    if (each.key) {
      const first = byKey.get(each.key);
      if (first) problem(each.file, `answers the same request as ${shownPath(first, io.cwd)}: replay serves only one of them; delete the other`);
      else byKey.set(each.key, each.file);
    }
    if (usage.of(each) === 'unused') problem(each.file, 'not used by the last whole run: delete it (ai-vcr prune), or run the test that needs it');
  }
  shown.done();
  const reason = noUsageReason(usage.lastRun, dir, io);
  if (reason) io.stderr.write(`ai-vcr verify: unused recordings not checked: ${reason}\n`);
  const summary = `ai-vcr verify: ${scanned.length} recordings in ${shownPath(dir, io.cwd)}, ${problems === 0 ? 'no problems' : `${problems} problem${problems === 1 ? '' : 's'}`}`;
  io.stdout.write(`${problems === 0 ? paint('green', summary) : summary}\n`);
  return problems === 0 ? 0 : 1;
}

/**
 * Credentials a recording holds, by the recorder's own rules: a recorded header or query value
 * whose name is not known to be harmless (the recorder would have scrubbed it), and anywhere in
 * the file, a string shaped like a provider's key. The value itself is never printed.
 */
export function credentialsIn(recording: Recording): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(recording.request.headers ?? {})) {
    if (!isHarmlessHeader(name) && isSecretValue(value)) found.push(`request.headers.${name} holds a value: the recorder keeps no such header; remove it`);
  }
  const url = URL.canParse(recording.request.url) ? new URL(recording.request.url) : undefined;
  for (const [name, value] of url?.searchParams ?? []) {
    if (!isHarmlessParam(name) && isSecretValue(value)) found.push(`request.url: query parameter ${name} holds a value: the recorder writes ${REDACTED} there; replace it`);
  }
  // One line per kind of credential: a key the model repeated is in many chunks.
  const places = new Map<string, string[]>();
  visit(recording, '', (where, text) => {
    const kind = credentialIn(text);
    if (kind) places.set(kind, [...(places.get(kind) ?? []), where || '(root)']);
  });
  for (const [kind, [first, ...more]] of places) {
    found.push(`${first} holds what looks like ${kind}${more.length > 0 ? ` (and ${more.length} more places)` : ''}: remove it, and revoke the key if it is real`);
  }
  return found;
}

function isSecretValue(value: unknown): boolean {
  return typeof value === 'string' && value.length >= MIN_SECRET_LENGTH && value !== REDACTED;
}

/** Every string of a JSON value, keys included, with its path. */
function visit(value: unknown, at: string, seen: (where: string, text: string) => void): void {
  if (typeof value === 'string') seen(at, value);
  else if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${at}[${i}]`, seen));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const where = at ? `${at}.${key}` : key;
      seen(where, key);
      visit(item, where, seen);
    }
  }
}
