import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Scope } from '../options.js';
import { formatMs, read, type Reading } from './conversation.js';
import { html, type Html } from './html.js';
import { CliError, progress, shownPath, type ExitCode, type Io } from './io.js';
import { noUsageReason, recordingsDir, scan, usageOf, type Scanned, type Usage } from './recordings.js';

export interface ReportOptions {
  html: string;
  scope: Scope;
}

/** Texts longer than this are folded into a <details> that opens to the whole text. */
const FOLD = 300;

export function reportCommand(program: Command, run: (action: () => Promise<ExitCode>) => Promise<void>, io: Io): void {
  program
    .command('report')
    .argument('[dir]', 'recordings directory (default: $AI_VCR_DIR, else ./recordings)')
    .description('write one static HTML page of every recording, grouped by test: the conversation as `show` reads it, a chart of when its chunks arrived, unused and broken ones marked')
    .requiredOption('--html <file>', 'the HTML file to write')
    .addHelpText(
      'after',
      '\nThe page loads nothing and runs no script: open it from disk, or keep it as a CI artifact.\n\nExamples:\n  npx ai-vcr report --html recordings.html\n  npx ai-vcr report fixtures/recordings --html /tmp/recordings.html',
    )
    .action((dir: string | undefined, options: { html: string }, command: Command) => run(() => report(dir, { ...options, scope: command.optsWithGlobals().scope as Scope }, io)));
}

export async function report(given: string | undefined, options: ReportOptions, io: Io): Promise<ExitCode> {
  const dir = recordingsDir(given, io);
  const scanned = await scan(dir, options.scope, io);
  const usage = await usageOf(dir);
  const reason = noUsageReason(usage.lastRun, dir, io);
  const entries = scanned.map((each): Entry => ({ scanned: each, usage: each.recording ? usage.of(each) : 'unknown', shown: shownPath(each.file, io.cwd) }));
  const shown = progress(io, 'writing report', entries.length);
  const page = renderPage({ dir: shownPath(dir, io.cwd), entries, reason, at: new Date() }, () => shown.tick());
  shown.done();
  const file = path.resolve(io.cwd, options.html);
  try {
    await writeFile(file, page.text);
  } catch (error) {
    throw new CliError(`cannot write the report to ${shownPath(file, io.cwd)}: ${(error as Error).message}`);
  }
  const counts = countsOf(entries, !reason);
  io.stdout.write(`ai-vcr report: wrote ${shownPath(file, io.cwd)}: ${counts.join(', ')}\n`);
  if (reason) io.stderr.write(`ai-vcr report: unused recordings not marked: ${reason}\n`);
  return 0;
}

interface Entry {
  scanned: Scanned;
  usage: Usage;
  shown: string;
}

interface Group {
  title: string;
  entries: Entry[];
}

interface Page {
  dir: string;
  entries: Entry[];
  reason?: string;
  at: Date;
}

/** Broken files first (their test id is unknown, and they are what needs fixing), then tests by id, then recordings without one. */
function groupsOf(entries: Entry[]): Group[] {
  const broken = entries.filter(({ scanned }) => !scanned.recording);
  const byTest = new Map<string, Entry[]>();
  const untested: Entry[] = [];
  for (const entry of entries) {
    if (!entry.scanned.recording) continue;
    const test = entry.scanned.recording.test_id;
    if (test) byTest.set(test, [...(byTest.get(test) ?? []), entry]);
    else untested.push(entry);
  }
  return [
    ...(broken.length > 0 ? [{ title: 'Broken files', entries: broken }] : []),
    ...[...byTest].sort(([a], [b]) => a.localeCompare(b)).map(([title, entries]) => ({ title, entries })),
    ...(untested.length > 0 ? [{ title: 'Recorded outside a test', entries: untested }] : []),
  ];
}

/** `known`: whether a whole run is recorded, so unused ones could be told apart. */
function countsOf(entries: Entry[], known: boolean): string[] {
  const tests = new Set(entries.map(({ scanned }) => scanned.recording?.test_id).filter(Boolean)).size;
  const count = (kind: Usage) => entries.filter((entry) => entry.scanned.recording && entry.usage === kind).length;
  const broken = entries.filter(({ scanned }) => !scanned.recording).length;
  // Without a recorded whole run, "0 unused" would be a claim the report cannot make.
  const usage = known ? [`${count('unused')} unused`, `${count('new')} new`] : ['usage not known'];
  return [`${entries.length} recording${entries.length === 1 ? '' : 's'} of ${tests} test${tests === 1 ? '' : 's'}`, ...usage, `${broken} broken`];
}

function renderPage(page: Page, rendered: () => void): Html {
  const groups = groupsOf(page.entries);
  const ids = new Map(groups.map((group, i) => [group, `group-${i + 1}`]));
  const body = groups.map((group) => html`
<section class="group" id="${ids.get(group)}">
<h2>${group.title}</h2>
${group.entries.map((entry) => {
    const article = renderEntry(entry);
    rendered();
    return article;
  })}
</section>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ai-vcr report: ${page.dir}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="page">
<h1>Recordings in <code>${page.dir}</code></h1>
<p class="counts">${countsOf(page.entries, !page.reason).join(' · ')}; written ${page.at.toISOString().slice(0, 16).replace('T', ' ')} UTC</p>
${page.reason ? html`<p class="note">Unused recordings are not marked: ${page.reason}.</p>` : ''}
<nav><ol>${groups.map((group) => html`<li><a href="#${ids.get(group)}">${group.title}</a> ${marks(group.entries)}</li>`)}</ol></nav>
</header>
<main>${body}</main>
</body>
</html>
`;
}

/** A group's entries counted by mark, for the contents. */
function marks(entries: Entry[]): Html {
  const kinds = entries.map(markOf);
  const counted = (['broken', 'unused', 'new', 'used'] as const).map((kind) => [kind, kinds.filter((each) => each === kind).length] as const).filter(([, n]) => n > 0);
  return html`<span class="total">${entries.length} recording${entries.length === 1 ? '' : 's'}</span>${counted.map(([kind, n]) => html` <span class="mark ${kind}">${n} ${kind}</span>`)}`;
}

function markOf({ scanned, usage }: Entry): 'broken' | Usage {
  return scanned.recording ? usage : 'broken';
}

const MARK_TITLES: Record<'broken' | Usage, string> = {
  broken: 'replay refuses this file',
  unused: 'the last whole run did not use it: ai-vcr prune deletes it',
  new: 'changed after the last whole run ended',
  used: 'used by the last whole run',
  unknown: '',
};

function renderEntry(entry: Entry): Html {
  const mark = markOf(entry);
  const badge = mark === 'unknown' ? '' : html`<span class="mark ${mark}" title="${MARK_TITLES[mark]}">${mark}</span>`;
  const { recording, problem } = entry.scanned;
  const head = html`<header><code class="file">${entry.shown}</code> ${badge}</header>`;
  if (!recording) return html`<article class="recording ${mark}">${head}<p class="problem">${problem ?? 'unreadable'}</p></article>`;
  const reading = read(recording, { fold: Infinity });
  const times = recording.response.chunk_times_ms;
  return html`
<article class="recording ${mark}">
${head}
<p class="heading">${reading.heading}</p>
<h3>request</h3>
${lines(reading.request)}
<h3>answer</h3>
${lines(reading.answer.length > 0 ? reading.answer : ['(empty)'])}
${facts(reading)}
${times && times.length > 0 ? timingChart(times) : ''}
</article>`;
}

function lines(texts: string[]): Html {
  return html`<ul class="lines">${texts.map((text) => html`<li>${foldedText(text)}</li>`)}</ul>`;
}

/** A long text as its start, opening to the whole of it; no script needed. */
function foldedText(text: string): Html | string {
  if (text.length <= FOLD) return text;
  return html`<details><summary>${text.slice(0, FOLD).replace(/\s+/g, ' ')}… <span class="more">(${text.length - FOLD} more characters)</span></summary>${text}</details>`;
}

function facts(reading: Reading): Html | string {
  return reading.facts.length > 0 ? html`<p class="facts">${reading.facts.map((fact) => html`<span>${fact}</span>`)}</p>` : '';
}

const CHART = { width: 640, height: 96, left: 8, right: 8, top: 8, bottom: 22 };

/**
 * When chunks arrived: one point per chunk, at its time since the request started (across) and
 * how many chunks had come by then (up), so a stall is a flat stretch and a burst a steep one.
 */
function timingChart(times: readonly number[]): Html {
  const last = Math.max(...times, 1);
  const first = Math.min(...times);
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const x = (time: number) => round(CHART.left + (time / last) * plotWidth);
  const y = (count: number) => round(CHART.top + plotHeight - (count / times.length) * plotHeight);
  const sorted = [...times].sort((a, b) => a - b);
  const steps = [`${x(0)},${y(0)}`, ...sorted.flatMap((time, i) => [`${x(time)},${y(i)}`, `${x(time)},${y(i + 1)}`])].join(' ');
  const base = CHART.top + plotHeight;
  const caption = `${times.length} chunks: first ${formatMs(first)} after the request, last ${formatMs(Math.max(...times))}`;
  return html`
<figure class="timing">
<svg viewBox="0 0 ${CHART.width} ${CHART.height}" width="${CHART.width}" height="${CHART.height}" role="img" aria-label="${caption}" data-chunks="${times.length}">
<line class="axis" x1="${CHART.left}" y1="${base}" x2="${CHART.width - CHART.right}" y2="${base}"></line>
<line class="first" x1="${x(first)}" y1="${CHART.top}" x2="${x(first)}" y2="${base}"></line>
<polyline class="steps" points="${steps}"></polyline>
${sorted.map((time, i) => html`<circle cx="${x(time)}" cy="${y(i + 1)}" r="2.5"><title>chunk ${i + 1} at ${formatMs(time)}</title></circle>`)}
<text x="${CHART.left}" y="${CHART.height - 6}">0</text>
<text x="${CHART.width - CHART.right}" y="${CHART.height - 6}" text-anchor="end">${formatMs(Math.max(...times))}</text>
</svg>
<figcaption>${caption}</figcaption>
</figure>`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

const STYLE = `
:root { --used: #1a7f37; --unused: #9a6700; --broken: #cf222e; --new: #57606a; --line: #d0d7de; --muted: #57606a; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; color: #1f2328; background: #f6f8fa; }
h1 { font-size: 1.5rem; margin: .5rem 0; }
h2 { font-size: 1.05rem; font-family: ui-monospace, monospace; word-break: break-all; margin: 2rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: .75rem 0 .25rem; }
code, .lines, .heading, .problem { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
.counts, .note { color: var(--muted); margin: .25rem 0; }
.note { color: var(--unused); }
nav ol { padding-left: 1.5rem; font-size: .85rem; }
nav li { margin: .15rem 0; word-break: break-all; }
nav .total { color: var(--muted); }
.recording { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 6px; padding: .5rem 1rem .75rem; margin: .75rem 0; }
.recording.used { border-left-color: var(--used); }
.recording.unused { border-left-color: var(--unused); }
.recording.broken { border-left-color: var(--broken); }
.recording > header { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.file { word-break: break-all; }
.mark { font-size: .75rem; font-weight: 600; border-radius: 1em; padding: 0 .6em; color: #fff; background: var(--new); white-space: nowrap; }
.mark.used { background: var(--used); }
.mark.unused { background: var(--unused); }
.mark.broken { background: var(--broken); }
.heading { font-weight: 600; margin: .5rem 0 0; }
.lines { list-style: none; margin: 0; padding: 0 0 0 1rem; }
.lines li { white-space: pre-wrap; word-break: break-word; margin: .1rem 0; }
.lines summary { cursor: pointer; }
.more { color: var(--muted); }
.problem { color: var(--broken); white-space: pre-wrap; }
.facts { margin: .6rem 0 0; display: flex; gap: 1rem; flex-wrap: wrap; color: var(--muted); font-size: .85rem; }
.timing { margin: .5rem 0 0; }
.timing svg { max-width: 100%; height: auto; background: #f6f8fa; border-radius: 4px; }
.timing .axis { stroke: var(--muted); }
.timing .first { stroke: var(--unused); stroke-dasharray: 3 3; }
.timing .steps { fill: none; stroke: #0969da; stroke-width: 1.5; }
.timing circle { fill: #0969da; }
.timing text { font-size: 11px; fill: var(--muted); }
figcaption { font-size: .8rem; color: var(--muted); }
`;
