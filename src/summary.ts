import path from 'node:path';
import { saveWholeRun } from './last-run.js';
import { ordinal, recordCommand } from './miss.js';
import { recordingFiles } from './store.js';
import type { ResolvedOptions } from './options.js';
import type { RecorderEvent } from './events.js';
import type { RunLog } from './run.js';

export interface SummaryContext {
  options: ResolvedOptions;
  /**
   * Whether every test of the suite ran. Only then is a recording that no request used
   * really unused: a filtered run (a file filter, -t) leaves most recordings alone.
   */
  wholeSuite: boolean;
  /** Paths in the summary are shown relative to this (the directory the runner was started in). */
  cwd: string;
  /** The command that runs the whole suite (the runner's), for misses outside any test; `npm test` if not given. */
  suite?: string;
}

/**
 * The end-of-run summary, merged from every worker's events: one line of counts, then what
 * needs attention: each miss with its test and the command that records it, broken
 * recordings, and (for a whole-suite run) recordings that no test used.
 */
export async function formatSummary(log: RunLog, { options, wholeSuite, cwd, suite }: SummaryContext): Promise<string> {
  const count = (type: RecorderEvent['type']) => log.events.filter((event) => event.type === type).length;
  const counts = [`${count('replayed')} replayed`, `${count('recorded')} recorded`, `${count('missed')} missed`];
  if (count('invalid') > 0) counts.push(`${count('invalid')} broken`);
  if (count('refused') > 0) counts.push(`${count('refused')} refused`);
  if (count('passed-through') > 0) counts.push(`${count('passed-through')} live`);
  if (count('not-recorded') > 0) counts.push(`${count('not-recorded')} not recorded`);
  const lines = [`ai-vcr: ${counts.join(', ')} (mode ${options.mode}, dir ${shown(options.dir, cwd)})`];

  const missed = unique(log.events.filter((event) => event.type === 'missed'));
  for (const event of missed.slice(0, LISTED)) {
    lines.push(`  missed ${describe(event)} in ${event.test?.id ?? 'no test (a hook or module scope)'}`);
    lines.push(`    record it: ${recordCommand(options, event.test?.command ?? suite)}`);
  }
  if (missed.length > LISTED) lines.push(`  ... and ${missed.length - LISTED} more missed; record them all: ${recordCommand(options, suite)}`);
  const broken = unique(log.events.filter((event) => event.type === 'invalid'));
  for (const event of broken.slice(0, LISTED)) {
    lines.push(`  broken ${shown(event.file ?? '?', cwd)}${event.test ? ` in ${event.test.id}` : ''}`);
  }
  if (broken.length > LISTED) lines.push(`  ... and ${broken.length - LISTED} more broken`);
  listed(lines, 'refused', log.events.filter((event) => event.type === 'refused'), (event) => `${event.method} ${event.endpoint}`);
  // Failures first: they fail the run; policy skips (a 429, a 5xx) are only reported.
  const notRecorded = log.events.filter((event) => event.type === 'not-recorded');
  const byFailure = [...notRecorded.filter((event) => event.why === 'failure'), ...notRecorded.filter((event) => event.why !== 'failure')];
  listed(lines, 'not recorded', byFailure, (event) => `${describe(event)}: ${event.message ?? 'no reason given'}`);
  if (wholeSuite && options.mode !== 'live') {
    await saveWholeRun(options.dir, log.events);
    for (const file of await unusedRecordings(log, options.dir)) lines.push(`  unused ${shown(file, cwd)}`);
  }
  if (log.unreadable > 0) lines.push(`  (${log.unreadable} event lines from workers could not be read)`);
  return lines.join('\n');
}

/**
 * Misses and broken recordings listed at most: each failed test's error says the same in full,
 * and a suite pointed at the wrong directory would otherwise bury the report. Unused
 * recordings are all listed: nothing else names them, and they are the ones to delete.
 */
const LISTED = 10;

/** One line per test and call of a kind, at most LISTED of them. */
function listed(lines: string[], kind: string, events: RecorderEvent[], what: (event: RecorderEvent) => string): void {
  const distinct = unique(events);
  for (const event of distinct.slice(0, LISTED)) lines.push(`  ${kind} ${what(event)}${event.test ? ` in ${event.test.id}` : ''}`);
  if (distinct.length > LISTED) lines.push(`  ... and ${distinct.length - LISTED} more ${kind}`);
}

function describe(event: RecorderEvent): string {
  return `${event.method} ${event.endpoint}${event.model ? ` (model "${event.model}")` : ''}${event.call ? ` (${ordinal(event.call)} call)` : ''}`;
}

/** One line per test and request: a test that retries or loops would otherwise repeat it. */
function unique(events: RecorderEvent[]): RecorderEvent[] {
  const seen = new Map<string, RecorderEvent>();
  for (const event of events) seen.set(`${event.test?.id ?? ''}\n${event.endpoint}\n${event.key}\n${event.file ?? ''}`, event);
  return [...seen.values()];
}

/** Recordings in the directory that no request of the run was served from, written to or stopped by. */
async function unusedRecordings(log: RunLog, dir: string): Promise<string[]> {
  const used = new Set(log.events.flatMap((event) => event.files ?? (event.file ? [event.file] : [])));
  // A directory that cannot be read (it is a file, say) has no recordings to call unused: the calls' own errors say why.
  const files = await recordingFiles(dir).catch(() => []);
  return files.filter((file) => !used.has(file));
}

function shown(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith('..') ? file : relative || '.';
}
