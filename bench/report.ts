import { whyMissed } from './explanations.ts';
import { CHUNKS } from './fixtures.ts';
import type { Stats } from './stats.ts';

export type TargetId = 'replay-streamed' | 'replay-json' | 'cold-start' | 'record-first-chunk';

export interface Results {
  /** Per request; the floor comes first. */
  streamed: { name: string; stats: Stats; roundMedians: number[] }[];
  json: { name: string; stats: Stats; roundMedians: number[] }[];
  cold: { files: number; stats: Stats }[];
  /** ai-vcr, the MSW bypass floor, direct: in that order. */
  record: { name: string; first: Stats; last: Stats }[];
  memory: { name: string; heap: number; rss: number }[];
}

export interface RunInfo {
  date: string;
  seconds: number;
  node: string;
  os: string;
  cpu: string;
  memory: string;
  /** The 1-minute load average when the run began: other work on the machine widens the spread. */
  load: number;
  versions: Record<string, string>;
  plan: { warmup: number; rounds: number; perRound: number; memoryReplays: number; coldRounds: number; recordSamples: number };
}

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

function targets(results: Results): Target[] {
  const [small, large] = [results.cold[0]!, results.cold[1]!];
  const coldRatio = large.stats.median / small.stats.median;
  const [vcr, msw, direct] = [results.record[0]!, results.record[1]!, results.record[2]!];
  const lag = vcr.first.median - direct.first.median;
  const mswLag = msw.first.median - direct.first.median;
  return [
    replayTarget('replay-streamed', 'Replay, streamed', results.streamed),
    replayTarget('replay-json', 'Replay, non-streamed', results.json),
    {
      id: 'cold-start',
      label: 'Cold start',
      goal: `${large.files.toLocaleString('en')} files within 1.5× of ${small.files}`,
      measured: `${ratio(coldRatio)} (${ms(large.stats.median)} vs ${ms(small.stats.median)})`,
      met: coldRatio <= 1.5,
      gap:
        `With ${large.files.toLocaleString('en')} recordings, \`setupRecorder()\` plus the first replay takes ${ms(large.stats.median - small.stats.median)} longer than with ${small.files}, ` +
        'although the measured request is a hit by key. Something on that path grows with the directory: a listing, or reading or parsing files other than the one the key names.',
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
  const small = results.cold[0]!;
  const direct = results.record[2]!;
  return [
    [`Replay: streamed chat completion (${CHUNKS} chunks), per request`, replayTable(results.streamed)],
    ['Replay: non-streamed chat completion, per request', replayTable(results.json)],
    [
      'Cold start: `setupRecorder()` + client + first replay',
      table(
        ['recordings in the directory', 'median', 'p95', `median ÷ ${small.files} files`],
        results.cold.map(({ files, stats }) => [files.toLocaleString('en'), ms(stats.median), ms(stats.p95), ratio(stats.median / small.stats.median)]),
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

export function markdownReport(results: Results, info: RunInfo): string {
  const list = targets(results);
  const missed = list.filter(({ met }) => !met);
  const { plan } = info;
  return `# Benchmarks

Written by \`npm run bench\` on ${info.date} (${Math.round(info.seconds)} s run). Do not edit by hand: rerun it.
Explanations of missed targets live in \`bench/explanations.ts\`.

## Machine

- Node ${info.node} on ${info.os}
- CPU: ${info.cpu}; memory ${info.memory}; load average ${info.load.toFixed(2)} when the run began
- ${Object.entries(info.versions).map(([name, version]) => `${name} ${version}`).join(', ')}

## How to run

\`\`\`sh
npm ci          # the library's dependencies
npm run bench   # installs bench/'s own dependencies (Polly.JS, nock, ...), runs bench/run.ts, rewrites this file
\`\`\`

## Method

Everything runs in one Node process against the \`openai\` SDK, talking to a loopback OpenAI stand-in
(\`node:http\` on 127.0.0.1). Only one interceptor is active at a time. Each contender gets ${plan.warmup} warm-up
requests, then ${plan.rounds} rounds of ${plan.perRound}, the contenders' order rotated every round, with a
forced gc before each block; a block starts the contender, builds a new openai client (openai v6 captures
\`fetch\` when constructed) and stops the contender afterwards. A request is timed from \`create()\` to the last
chunk (or the parsed completion) in hand. Ratios compare figures taken in the same run. Every replay is
checked against the recorded answer, and the run fails if any replay reaches the upstream.

- **MSW handler (floor)**: a hand-written \`http.post\` handler returning SSE (or JSON) bytes encoded once
  up front. It never reads the request, so it is the least any MSW-based replay can cost.
- **ai-vcr**: \`setupRecorder({ mode: 'replay' })\` on a directory holding the interaction as a recording.
- **Polly.JS** (adapter-fetch, persister-fs) and **nock back**: each replays a recording it made itself of the
  same interaction earlier in the run (Polly in \`replay\` mode, matching without headers and order; nock back
  in \`lockdown\` with its scopes persisted so one recording answers every repeat). Neither runs on MSW (Polly
  replaces \`fetch\` outright, nock 14 uses its own copy of @mswjs/interceptors), so their ratios set MSW's own
  cost against theirs and can fall below 1.0×. Both hand the whole SSE body over at once.
- The targets table also gives the range of ai-vcr's ratio over the ${plan.rounds} rounds (each round's median
  over the floor's in the same round), to tell a miss from noise.
- **Cold start**: ${plan.coldRounds} alternating samples per directory of \`setupRecorder()\`, a new client and
  one streamed replay that is a hit by key; the other recordings are realistic ones with distinct requests.
  Module loading is excluded (the library is imported before timing).
- **Record mode**: ${plan.recordSamples} interleaved streamed requests each, against an upstream sending 30 chunks
  5 ms apart: ai-vcr in \`record\` mode, the same client with no interception (direct), and for reference a
  hand-written MSW handler returning \`fetch(bypass(request))\`, the least any MSW-based recorder can cost.
- **Memory**: heap used and RSS after a full gc, before and after ${plan.memoryReplays.toLocaleString('en')} streamed
  replays that follow as many warm-up replays. The floor is the baseline: V8 flushing unused bytecode moves both
  rows alike, and RSS swings by tens of MiB from one reading to the next as V8 grows and shrinks its young
  generation, so a leak shows as heap growth well above the floor's, not as one RSS figure.

## Targets

Reported, not asserted in tests.

${targetTable(list)}
${missed.length === 0 ? '' : `\n### Missed targets\n\n${missed.map(({ id, label, gap }) => `#### ${label}\n\n${gap}\n\n${whyMissed[id]}\n`).join('\n')}`}
${sections(results, info).map(([title, body]) => `## ${title}\n\n${body}\n`).join('\n')}`;
}
