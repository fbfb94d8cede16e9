import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { markdownReport, stackRunSchema, type StackRun } from './report.ts';

// bench/all.sh calls this once every stack has written its results, so BENCHMARKS.md is never half a report.
const { values, positionals } = parseArgs({ options: { seconds: { type: 'string' } }, allowPositionals: true });
const totalSeconds = Number(values.seconds);
if (positionals.length === 0 || !Number.isFinite(totalSeconds)) {
  throw new Error('Usage: render.ts --seconds <whole run> <results.json>... (npm run bench runs it)');
}

function readRun(file: string): StackRun {
  const parsed = stackRunSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not what bench/run.ts writes: ${parsed.error.message}. Rerun npm run bench.`);
  return parsed.data;
}

const runs = positionals.map(readRun);
// BENCHMARKS.md describes one plan for every stack.
if (!runs.every(({ info }) => isDeepStrictEqual(info.plan, runs[0]!.info.plan))) throw new Error('The stacks ran different plans: rerun npm run bench.');

const file = new URL('../BENCHMARKS.md', import.meta.url);
writeFileSync(file, markdownReport(runs, totalSeconds));
console.log(`Wrote ${file.pathname}`);
