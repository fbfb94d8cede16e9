import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { setupRecorder } from '../src/index.ts';
import { aiVcr, mswBypassFloor, mswFloor, nockBackReplay, pollyReplay, recordWithNock, recordWithPolly, type Contender } from './contenders.ts';
import { indexCacheFile, SETTLED_MS } from '../src/index-cache.ts';
import { lastRunFile } from '../src/last-run.ts';
import { CHUNKS, chatBody, completionAnswer, recordingKey, sseEvents, streamedAnswer, writeRecording, type Naming } from './fixtures.ts';
import { terminalReport, type Results, type RunInfo, type StackRun } from './report.ts';
import { stats } from './stats.ts';
import { timeSuite, writeSuite, type SuiteContender } from './suite.ts';
import { startUpstream } from './upstream.ts';

const PLAN = { warmup: 100, rounds: 10, perRound: 100, memoryReplays: 1000, coldRounds: 20, coldCacheRounds: 3, recordSamples: 40, suiteFiles: 40, suiteRounds: 2 };
const FIRST_REPLAY = { files: [5, 2000, 20_000], namings: ['ours', 'llama-stack'] as Naming[] };

// bench/all.sh runs this once per stack and renders BENCHMARKS.md from every run's file.
const { values: args } = parseArgs({ options: { stack: { type: 'string' }, out: { type: 'string' } } });
if (!args.stack || !args.out) throw new Error('Usage: run.ts --stack "<which versions, for the heading>" --out <results.json> (npm run bench runs it)');
const { stack, out } = args;

if (!globalThis.gc) throw new Error('Run with node --expose-gc (npm run bench does): the memory figures need a forced gc.');
const gc = globalThis.gc;

// The library lets these override the options in code; every contender here sets its own mode and dir.
delete process.env.AI_VCR_MODE;
delete process.env.AI_VCR_DIR;

const began = performance.now();
const [loadAtStart = 0] = os.loadavg();
// Read first, so that a mismatch fails before a minute of measuring.
const packageVersions = versions();
const upstream = await startUpstream();
const work = mkdtempSync(join(os.tmpdir(), 'ai-vcr-bench-'));

const streamedBody = chatBody('Benchmark question, streamed', true);
const jsonBody = chatBody('Benchmark question, not streamed', false);
const expectedChunks = streamedAnswer(0);
const expectedCompletion = completionAnswer(0) as OpenAI.ChatCompletion;
const expectedText = expectedCompletion.choices[0]!.message.content;

/** A new client per block: openai v6 captures globalThis.fetch when constructed, so it must follow start(). */
function client(): OpenAI {
  return new OpenAI({ apiKey: 'sk-bench', baseURL: upstream.baseURL, maxRetries: 0 });
}

async function readStream(openai: OpenAI): Promise<{ chunks: ChatCompletionChunk[]; firstAt: number }> {
  const stream = await openai.chat.completions.create({ ...streamedBody, stream: true });
  const chunks: ChatCompletionChunk[] = [];
  let firstAt = 0;
  for await (const chunk of stream) {
    if (chunks.push(chunk) === 1) firstAt = performance.now();
  }
  const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
  if (chunks.length !== CHUNKS || text !== expectedText) throw new Error(`Wrong stream: ${chunks.length} chunks, "${text.slice(0, 60)}"`);
  return { chunks, firstAt };
}

async function timedStream(openai: OpenAI): Promise<number> {
  const start = performance.now();
  await readStream(openai);
  return performance.now() - start;
}

// The SDK's overloads pick the non-streaming result type only for a body typed as such.
const createCompletion = (openai: OpenAI) => openai.chat.completions.create(jsonBody as OpenAI.ChatCompletionCreateParamsNonStreaming);

async function timedJson(openai: OpenAI): Promise<number> {
  const start = performance.now();
  const completion = await createCompletion(openai);
  const elapsed = performance.now() - start;
  if (completion.choices[0]?.message.content !== expectedText) throw new Error('Wrong completion');
  return elapsed;
}

async function timedRecord(openai: OpenAI): Promise<{ first: number; last: number }> {
  const start = performance.now();
  const { firstAt } = await readStream(openai);
  return { first: firstAt - start, last: performance.now() - start };
}

/** Runs `count` samples with the contender started, failing if upstream traffic is not what the mode implies. */
async function block<T>(contender: Contender, count: number, upstreamPerSample: 0 | 1, sample: (openai: OpenAI) => Promise<T>): Promise<T[]> {
  gc();
  const hitsBefore = upstream.hits();
  await contender.start();
  const samples: T[] = [];
  try {
    const openai = client();
    for (let i = 0; i < count; i++) samples.push(await sample(openai));
  } finally {
    await contender.stop();
  }
  const hits = upstream.hits() - hitsBefore;
  if (hits !== count * upstreamPerSample) throw new Error(`${contender.name}: ${hits} requests reached the upstream, expected ${count * upstreamPerSample}`);
  return samples;
}

function rotate<T>(items: T[], by: number): T[] {
  const at = by % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}

/** Warm-up, then rounds with the order rotated, so drift in the machine's speed hits every contender alike. */
async function interleaved<T>(
  contenders: Contender[],
  plan: { warmup: number; rounds: number; perRound: number },
  upstreamPerSample: 0 | 1,
  sample: (openai: OpenAI) => Promise<T>,
): Promise<{ name: string; samples: T[] }[]> {
  for (const contender of contenders) await block(contender, plan.warmup, upstreamPerSample, sample);
  const entries = contenders.map((contender) => ({ contender, name: contender.name, samples: [] as T[] }));
  for (let round = 0; round < plan.rounds; round++) {
    for (const entry of rotate(entries, round)) {
      entry.samples.push(...(await block(entry.contender, plan.perRound, upstreamPerSample, sample)));
    }
  }
  return entries;
}

/** Records with Polly and nock back against the upstream, then sets up every replay contender. */
async function replayContenders(name: string, contentType: string, parts: string[], call: (openai: OpenAI) => Promise<unknown>): Promise<Contender[]> {
  const dir = join(work, name);
  mkdirSync(dir);
  await recordWithPolly(dir, name, () => call(client()));
  await recordWithNock(dir, name, () => call(client()));
  return [
    mswFloor(contentType, parts),
    aiVcr('ai-vcr', 'replay', dir),
    pollyReplay(dir, name),
    nockBackReplay(dir, name),
  ];
}

/** Each contender must give back exactly the recorded objects before its speed means anything. */
async function verify(contenders: Contender[], check: (openai: OpenAI) => Promise<boolean>): Promise<void> {
  for (const contender of contenders) {
    const [ok] = await block(contender, 1, 0, check);
    if (!ok) throw new Error(`${contender.name} did not replay the recorded answer exactly`);
  }
}

async function replay(contenders: Contender[], sample: (openai: OpenAI) => Promise<number>): Promise<Results['streamed']> {
  const roundMedians = (all: number[]) =>
    Array.from({ length: PLAN.rounds }, (_, round) => stats(all.slice(round * PLAN.perRound, (round + 1) * PLAN.perRound)).median);
  return (await interleaved(contenders, PLAN, 0, sample)).map(({ name, samples }) => ({ name, stats: stats(samples), roundMedians: roundMedians(samples) }));
}

async function streamedReplay(): Promise<Results['streamed']> {
  const contenders = await replayContenders('streamed', 'text/event-stream', sseEvents(expectedChunks), readStream);
  writeRecording(join(work, 'streamed'), streamedBody, 0);
  await verify(contenders, async (openai) => isDeepStrictEqual((await readStream(openai)).chunks, expectedChunks));
  return replay(contenders, timedStream);
}

async function jsonReplay(): Promise<Results['json']> {
  const contenders = await replayContenders('json', 'application/json', [JSON.stringify(expectedCompletion)], createCompletion);
  writeRecording(join(work, 'json'), jsonBody, 0);
  await verify(contenders, async (openai) => isDeepStrictEqual(await createCompletion(openai), expectedCompletion));
  return replay(contenders, timedJson);
}

/** A directory of `files` recordings, realistic and distinct, one of them the measured request. */
function recordingsDir(files: number, naming: Naming): string {
  const dir = join(work, `first-${naming}-${files}`);
  mkdirSync(dir);
  writeRecording(dir, streamedBody, 0, naming);
  for (let seed = 1; seed < files; seed++) {
    const stream = seed % 4 !== 0;
    writeRecording(dir, chatBody(`Recorded question #${seed}: what is ${seed} squared?`, stream), seed, naming);
  }
  return dir;
}

/** What a test file's first replay costs: a new recorder (a new store, as in a new test file), a new client, one streamed replay. */
async function firstReplaySample(dir: string): Promise<number> {
  gc();
  const hitsBefore = upstream.hits();
  const start = performance.now();
  const vcr = setupRecorder({ mode: 'replay', dir });
  let elapsed: number;
  try {
    await readStream(client());
    elapsed = performance.now() - start;
  } finally {
    await vcr.close();
  }
  if (upstream.hits() !== hitsBefore) throw new Error(`The first replay in ${dir} reached the upstream`);
  return elapsed;
}

/**
 * With the index cache warm (as every test file after the first finds it) and cold (deleted before
 * each sample, as the first test file after a change to every recording finds it).
 */
async function firstReplay(): Promise<Results['firstReplay']> {
  const dirs = FIRST_REPLAY.namings.flatMap((naming) =>
    FIRST_REPLAY.files.map((files) => ({ naming, files, dir: recordingsDir(files, naming), warm: [] as number[], cold: [] as number[] })),
  );
  // Files younger than this are not trusted to the cache (their mtime may not show a rewrite yet).
  await sleep(SETTLED_MS);
  for (const { dir } of dirs) await firstReplaySample(dir);
  for (let round = 0; round < PLAN.coldRounds; round++) {
    for (const entry of rotate(dirs, round)) entry.warm.push(await firstReplaySample(entry.dir));
  }
  for (let round = 0; round < PLAN.coldCacheRounds; round++) {
    for (const entry of rotate(dirs, round)) {
      rmSync(await indexCacheFile(entry.dir), { force: true });
      entry.cold.push(await firstReplaySample(entry.dir));
    }
  }
  for (const { dir } of dirs) rmSync(await indexCacheFile(dir), { force: true });
  return dirs.map(({ naming, files, warm, cold }) => ({ naming, files, warm: stats(warm), cold: stats(cold) }));
}

async function recordMode(): Promise<Results['record']> {
  const dir = join(work, 'record');
  mkdirSync(dir);
  const direct: Contender = { name: 'direct (no interception)', start() {}, stop() {} };
  const contenders = [aiVcr('ai-vcr (record)', 'record', dir), mswBypassFloor(), direct];
  const perRound = 5;
  const results = await interleaved(contenders, { warmup: 3, rounds: PLAN.recordSamples / perRound, perRound }, 1, timedRecord);
  if (!existsSync(join(dir, `${recordingKey(streamedBody)}.json`))) throw new Error('ai-vcr in record mode wrote no recording');
  return results.map(({ name, samples }) => ({
    name,
    first: stats(samples.map(({ first }) => first)),
    last: stats(samples.map(({ last }) => last)),
  }));
}

async function memoryGrowth(contender: Contender): Promise<Results['memory'][number]> {
  // V8 gives pages back to the OS on a timer after a full gc, so RSS is read after a pause.
  const settle = async () => {
    gc();
    await sleep(100);
    gc();
  };
  const [usage] = await block(contender, 1, 0, async (openai) => {
    // As many replays to warm up as to measure, so the heap has grown to its working size before `before`.
    for (let i = 0; i < PLAN.memoryReplays; i++) await readStream(openai);
    await settle();
    const before = process.memoryUsage();
    for (let i = 0; i < PLAN.memoryReplays; i++) await readStream(openai);
    await settle();
    const after = process.memoryUsage();
    return { heap: after.heapUsed - before.heapUsed, rss: after.rss - before.rss };
  });
  return { name: contender.name, ...usage! };
}

/**
 * A whole vitest suite of PLAN.suiteFiles test files, one streamed replay each, under each contender:
 * what a test file's setup and first replay cost when every file is a fresh module graph in a worker.
 */
async function suiteRuns(): Promise<Results['suite']> {
  const recordings = join(work, 'suite-recordings');
  mkdirSync(recordings);
  await recordWithPolly(recordings, 'suite', () => readStream(client()));
  await recordWithNock(recordings, 'suite', () => readStream(client()));
  const env = { BENCH_BASE_URL: upstream.baseURL, BENCH_DIR: recordings, BENCH_NAME: 'suite' };
  const contenders: SuiteContender[] = [
    { name: 'MSW handler (hand-written)', helper: 'msw.ts' },
    { name: 'ai-vcr, <key>.json among 5', helper: 'ai-vcr.ts', aiVcrDir: join(work, 'first-ours-5') },
    { name: 'ai-vcr, among 2,000 llama-stack-named', helper: 'ai-vcr.ts', aiVcrDir: join(work, 'first-llama-stack-2000') },
    { name: 'Polly.JS', helper: 'polly.ts' },
    { name: 'nock back', helper: 'nock.ts' },
  ];
  const suites = contenders.map((contender) => ({ name: contender.name, dir: writeSuite(work, contender, PLAN.suiteFiles), samples: [] as number[] }));
  const hitsBefore = upstream.hits();
  // As a suite's earlier run would have left it: the index cache of the 2,000-recording directory saved.
  await timeSuite(suites[2]!.dir, env);
  for (let round = 0; round < PLAN.suiteRounds; round++) {
    for (const suite of rotate(suites, round)) suite.samples.push(await timeSuite(suite.dir, env));
  }
  if (upstream.hits() !== hitsBefore) throw new Error(`The suites sent ${upstream.hits() - hitsBefore} requests to the upstream; replays must send none`);
  return suites.map(({ name, samples }) => ({ name, samples }));
}

function versions(): Record<string, string> {
  // Read from disk: some of these packages do not export their package.json.
  const version = (root: string, name: string) =>
    (JSON.parse(readFileSync(new URL(`${root}node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  const msw = version('./', 'msw');
  const libraryMsw = version('../', 'msw');
  // The floor is only a floor if it runs the same MSW as the library.
  if (msw !== libraryMsw) {
    throw new Error(`The floor runs msw ${msw} (bench/node_modules) but the library runs msw ${libraryMsw} (node_modules): align bench/package.json, or install the same msw in both.`);
  }
  return {
    openai: version('./', 'openai'),
    msw,
    '@pollyjs/core': version('./', '@pollyjs/core'),
    '@pollyjs/adapter-fetch': version('./', '@pollyjs/adapter-fetch'),
    nock: version('./', 'nock'),
  };
}

try {
  const streamed = await streamedReplay();
  const json = await jsonReplay();
  const firstReplays = await firstReplay();
  const suite = await suiteRuns();
  const record = await recordMode();
  const memory = [
    await memoryGrowth(aiVcr('ai-vcr', 'replay', join(work, 'streamed'))),
    await memoryGrowth(mswFloor('text/event-stream', sseEvents(expectedChunks))),
  ];
  const results: Results = { streamed, json, firstReplay: firstReplays, suite, record, memory };
  const cpus = os.cpus();
  const info: RunInfo = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    seconds: (performance.now() - began) / 1000,
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    cpu: `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    load: loadAtStart,
    versions: packageVersions,
    plan: PLAN,
  };
  console.log(terminalReport(results, info));
  const run: StackRun = { stack, results, info };
  writeFileSync(out, JSON.stringify(run, null, 2));
  console.log(`\nWrote ${out}`);
} finally {
  await upstream.close();
  // The caches ai-vcr keeps about a directory live outside it (in the OS temporary directory, for these).
  for (const name of readdirSync(work)) {
    rmSync(await indexCacheFile(join(work, name)), { force: true });
    rmSync(await lastRunFile(join(work, name)), { force: true });
  }
  rmSync(work, { recursive: true, force: true });
}
