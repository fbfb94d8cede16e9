import path from 'node:path';
import { modelOfCall } from './apis/index.js';
import type { KeyedRequest } from './key.js';
import type { ResolvedOptions } from './options.js';
import type { TestInfo } from './events.js';
import type { DirectoryIndex } from './store.js';
import { suiteCommand } from './test-info.js';

export interface MissContext {
  request: KeyedRequest;
  key: string;
  options: ResolvedOptions;
  index: DirectoryIndex;
  test?: TestInfo | undefined;
  /** For the n-th call of a sequence (n from 2): how many of the calls before it were recorded. */
  recordedCalls?: number | undefined;
  /** What to set to record, as the request's API module says. */
  credentials: string;
}

/**
 * Why a request has no recording, the recording nearest to it, and the command that records it.
 * `request` is the request as keyed (normalize rules applied), so the differences shown are the
 * ones left after the rules: what a rule changed never shows as a difference.
 */
export function missMessage({ request, key, options, index, test, recordedCalls, credentials }: MissContext): string {
  const model = modelOfCall(request.endpoint, request.body);
  const call = request.call ? `the ${ordinal(request.call)} call of ` : '';
  const lines = [`ai-vcr: no recording for ${call}${request.method} ${request.endpoint}${model ? ` (model "${model}")` : ''} in ${options.mode} mode.`];
  // More calls than were recorded: the request itself matches, so that is what needs saying.
  if (request.call && recordedCalls !== undefined && recordedCalls > 0) {
    const where = test ? 'this test' : 'this recorder';
    lines[0] = `ai-vcr: ${where} sent ${request.method} ${request.endpoint}${model ? ` (model "${model}")` : ''} a ${ordinal(request.call)} time, but only ${recordedCalls} ${recordedCalls === 1 ? 'call was' : 'calls were'} recorded (sequence option, ${options.mode} mode).`;
  }
  lines.push(
    ...(test ? [`  test:     ${test.id}`] : []),
    ...(request.call ? [`  call:     ${ordinal(request.call)} identical request${test ? ' of this test' : ''} (sequence option)`] : []),
    ...(options.normalize.length > 0 ? [`  matched:  after the normalize option's ${options.normalize.length} ${options.normalize.length === 1 ? 'rule' : 'rules'}; differences below are what the rules left`] : []),
    `  key:      ${key}`,
    `  searched: ${options.dir} (${index.byKey.size + index.models.length} recordings)`,
  );
  const nearest = nearestRecording(request, index);
  if (nearest) {
    lines.push(`  nearest:  ${path.relative(options.dir, nearest.file)}, which differs at:`);
    for (const difference of nearest.differences) lines.push(`              ${difference}`);
  }
  for (const { file, problem } of index.invalid.slice(0, MAX_SKIPPED)) {
    lines.push(`  skipped:  ${path.relative(options.dir, file)} is not a valid recording: ${problem}`);
  }
  if (index.invalid.length > MAX_SKIPPED) {
    lines.push(`  skipped:  ... and ${index.invalid.length - MAX_SKIPPED} more files that are not valid recordings`);
  }
  lines.push(`To record it, run the tests once with the API's credentials set (${credentials}):`);
  lines.push(`  ${recordCommand(options, test?.command)}`);
  return lines.join('\n');
}

/**
 * The problem the store reports when the recordings directory, or one of its parents, is a
 * file: `file` is then that file, and the remedy is not to fix a recording but to move it.
 */
export const NOT_A_DIRECTORY = 'is a file, not a directory';

export function invalidMessage(file: string, problem: string): string {
  if (problem === NOT_A_DIRECTORY) {
    return [
      `ai-vcr: cannot read recordings: ${file} ${NOT_A_DIRECTORY}.`,
      `Point the dir option (or AI_VCR_DIR) at a directory of recordings, or move the file away.`,
    ].join('\n');
  }
  return [
    `ai-vcr: the recording ${file} cannot be replayed: ${problem}.`,
    `Fix the file by hand, or delete it and record it again with AI_VCR_MODE=record-if-missing.`,
  ].join('\n');
}

/** For a call whose body ai-vcr cannot key or store: an audio upload, a file (`contentType` says which). */
export function unservedMessage(method: string, url: string, contentType: string): string {
  return [
    `ai-vcr: ${method} ${url} sends a ${contentType} body, which ai-vcr does not record, so in replay mode it was not sent.`,
    `Answer it in the test with your own MSW handler (see "Using your own MSW server" in ai-vcr's README), or send it with AI_VCR_MODE=live.`,
  ].join('\n');
}

/**
 * For a record-mode call whose upstream could not be reached. The caller only sees a network
 * error without its cause (MSW's Response.error() is a bare "Failed to fetch"), so the cause
 * (ECONNREFUSED 127.0.0.1:PORT, a DNS failure, a TLS error) is printed here. `url` is redacted.
 */
export function unreachableMessage(method: string, url: string, error: unknown): string {
  return `ai-vcr: ${method} ${url} could not reach the upstream, so nothing was recorded: ${causeOf(error)}`;
}

/** undici's fetch rejects with "fetch failed" and puts what happened in `cause`, sometimes nested. */
function causeOf(error: unknown): string {
  const messages: string[] = [];
  for (let at = error; at instanceof Error && messages.length < 4; at = at.cause) {
    // Node's happy-eyeballs connect gives an AggregateError with an empty message, one error per address.
    const errors = at instanceof AggregateError ? (at.errors as unknown[]).map(String) : [];
    messages.push(at.message || errors.join(', '));
  }
  return messages.join(': ') || String(error);
}

export function recordCommand(options: ResolvedOptions, test = suiteCommand()): string {
  const dir = options.fromEnv.dir ? ` AI_VCR_DIR=${options.dir}` : '';
  return `AI_VCR_MODE=record-if-missing${dir} ${test}`;
}

/** 1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, ... 21st. */
export function ordinal(n: number): string {
  const teen = Math.floor(n / 10) % 10 === 1;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

const MAX_DIFFERENCES = 5;
/** Past this many, invalid files are counted, not listed: the message must stay readable. */
const MAX_SKIPPED = 10;

interface Difference {
  path: string;
  recorded: unknown;
  actual: unknown;
}

/** The recording of the same endpoint whose body is closest to the request's, and how they differ. */
function nearestRecording(request: KeyedRequest, index: DirectoryIndex) {
  let best: { file: string; differences: Difference[]; distance: number } | undefined;
  for (const candidate of index.byKey.values()) {
    if (candidate.request.endpoint !== request.endpoint) continue;
    const differences: Difference[] = [];
    diff(candidate.request.body, request.body, 'body', differences);
    const distance = differences.reduce((sum, difference) => sum + distanceOf(difference), 0);
    if (!best || distance < best.distance) best = { file: candidate.file, differences, distance };
  }
  if (!best) return undefined;
  const shown = best.differences
    .slice(0, MAX_DIFFERENCES)
    .map(({ path, recorded, actual }) => `${path}: recorded ${show(recorded)}, request has ${show(actual)}`);
  if (best.differences.length > MAX_DIFFERENCES) shown.push(`... and ${best.differences.length - MAX_DIFFERENCES} more`);
  return { file: best.file, differences: shown };
}

/** Leaf paths at which two JSON values differ. */
function diff(recorded: unknown, actual: unknown, at: string, out: Difference[]): void {
  if (isObject(recorded) && isObject(actual)) {
    for (const key of new Set([...Object.keys(recorded), ...Object.keys(actual)])) {
      diff(recorded[key], actual[key], `${at}.${key}`, out);
    }
  } else if (Array.isArray(recorded) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(recorded.length, actual.length); i++) diff(recorded[i], actual[i], `${at}[${i}]`, out);
  } else if (JSON.stringify(recorded) !== JSON.stringify(actual)) {
    out.push({ path: at, recorded, actual });
  }
}

/** 0 to 1: how much of two differing strings is not shared prefix or suffix; 1 for anything else. */
function distanceOf({ recorded, actual }: Difference): number {
  if (typeof recorded !== 'string' || typeof actual !== 'string') return 1;
  const longest = Math.max(recorded.length, actual.length);
  let prefix = 0;
  while (prefix < longest && recorded[prefix] === actual[prefix]) prefix++;
  let suffix = 0;
  while (suffix < longest - prefix && recorded.at(-1 - suffix) === actual.at(-1 - suffix)) suffix++;
  return 1 - (prefix + suffix) / longest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
