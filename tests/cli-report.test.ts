import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { renderedDom } from './support/chromium.js';
import { cli, json, projectWithFixtures, wholeRunUsed } from './support/cli.js';
import { fixtureFiles } from './support/fixtures.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { startUpstream } from './support/upstream.js';

// What a model or a test may well say; set as the page's title, it would prove the page ran it.
const INJECTED = `<script>document.title = 'pwned'</script><img src="x" onerror="document.title = 'pwned'">`;
const EARTH = 'seeds/004_93e64aa372a341f8.json';

/**
 * A project whose recordings are llama-stack's (seeds and samples), one of ours recorded from a
 * loopback upstream (streamed, so it has chunk times, with markup in its question and answer),
 * and a file that is no recording; its last whole run used all but EARTH.
 */
async function project(): Promise<{ root: string; dir: string; ours: string }> {
  const { root, dir } = await projectWithFixtures();
  const upstream = await startUpstream({ gapMs: 20 });
  recorder({ mode: 'record', dir });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: `hello ${INJECTED}` }] });
  for await (const _ of stream) void _;
  await closeRecorders();
  const ours = (await readdir(dir)).find((name) => name.endsWith('.json'))!;
  await writeFile(path.join(dir, 'broken.json'), '{"request": {"method": "POST"}}\n');
  const llamaStack = (await fixtureFiles()).map(({ name }) => name);
  await wholeRunUsed(dir, [ours, 'broken.json', ...llamaStack.filter((name) => name !== EARTH)]);
  return { root, dir, ours };
}

/** The serialized DOM's articles (one per recording), each as its markup. */
function articles(dom: string): string[] {
  return [...dom.matchAll(/<article class="recording [^"]*">[\s\S]*?<\/article>/g)].map(([article]) => article);
}

function decoded(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

describe('ai-vcr report --html', () => {
  // The timeout leaves room for a browser starting on a busy CI machine, which takes seconds of its own.
  it('writes one page a real Chromium renders: every recording grouped by test, as show reads it, charts drawn, unused and broken ones marked, markup shown as text', async () => {
    const { root, dir, ours } = await project();
    const ran = await cli(['report', '--html', 'report.html'], { cwd: root });
    expect(ran).toEqual({ code: 0, stdout: 'ai-vcr report: wrote report.html: 15 recordings of 12 tests, 1 unused, 0 new, 1 broken\n', stderr: '' });

    const dom = await renderedDom(path.join(root, 'report.html'));
    // Nothing in a recording ran: the title is the report's, and no element came from a recording's text.
    expect(dom).toContain('<title>ai-vcr report: recordings</title>');
    const tags = dom.match(/<[a-z][^>]*>/gi)!;
    expect(tags.filter((tag) => /^<(script|img|iframe|object|embed|link)\b|\son[a-z]+=/i.test(tag))).toEqual([]);
    // Nothing to load from anywhere: no source, no link but to the page itself, no image in the style.
    expect(tags.filter((tag) => /\s(src|srcset|data|action)=|\shref="(?!#)/i.test(tag))).toEqual([]);
    expect(dom.match(/<style>[\s\S]*?<\/style>/)![0]).not.toContain('url(');

    const tests = [...new Set((await fixtureFiles()).map(({ recording }) => recording.test_id as string | null).filter((id) => id !== null))].sort((a, b) => a.localeCompare(b));
    const groups = [...dom.matchAll(/<h2>([\s\S]*?)<\/h2>/g)].map(([, title]) => decoded(title!));
    expect(groups).toEqual(['Broken files', ...tests, 'Recorded outside a test']);

    const all = articles(dom);
    expect(all).toHaveLength(15);
    const of = (name: string) => all.find((article) => article.includes(`<code class="file">recordings/${name}</code>`))!;
    expect(all.filter((article) => article.startsWith('<article class="recording unused">'))).toEqual([of(EARTH)]);
    expect(all.filter((article) => article.startsWith('<article class="recording used">'))).toHaveLength(13);
    expect(of(EARTH)).toContain('<span class="mark unused" title="the last whole run did not use it: ai-vcr prune deletes it">unused</span>');
    expect(of('broken.json')).toMatch(/^<article class="recording broken">.*<span class="mark broken"[^>]*>broken<\/span>.*<p class="problem">request\.url: Invalid input: expected string, received undefined/s);

    // As show reads it: the request's messages, the answer put together from its chunks, the facts.
    const chat = of('seeds/001_8d4fc20c1fc1741b.json');
    expect(decoded(chat)).toContain('<p class="heading">POST /v1/chat/completions  model gpt-4o  (streamed, 21 chunks)</p>');
    expect(decoded(chat)).toContain('<li>assistant calls get_boiling_point({"liquid_name":"myawesomeliquid","celsius":true})</li>');
    expect(decoded(chat)).toContain('<li>assistant: The boiling point of "myawesomeliquid" in Celsius is -100°C.</li>');
    expect(chat).toContain('<span>usage 195 in, 19 out, 214 total tokens</span><span>21 chunks</span>');
    // llama-stack records no chunk times: nothing to draw.
    expect(chat).not.toContain('<svg');

    // Ours: the markup it holds is text on the page, and its chart has a point per chunk.
    const mine = of(ours);
    expect(mine).toContain(`<li>user: hello ${INJECTED.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</li>`);
    const times = ((await json(path.join(dir, ours))).response as { chunk_times_ms: number[] }).chunk_times_ms;
    expect(times.length).toBeGreaterThan(3);
    const svg = mine.match(/<svg [^>]*data-chunks="(\d+)"[^>]*>([\s\S]*?)<\/svg>/)!;
    expect(Number(svg[1])).toBe(times.length);
    expect(svg[2]!.match(/<circle /g)).toHaveLength(times.length);
    expect(mine).toContain(`<figcaption>${times.length} chunks: first `);
  }, 30_000);

  it('says when usage is not known rather than marking nothing unused', async () => {
    const { root } = await projectWithFixtures();
    const ran = await cli(['report', 'recordings', '--html', 'out.html'], { cwd: root });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('ai-vcr report: wrote out.html: 13 recordings of 12 tests, usage not known, 0 broken\n');
    expect(ran.stderr).toMatch(/^ai-vcr report: unused recordings not marked: no whole run of the suite is recorded for recordings/);
    const page = await readFile(path.join(root, 'out.html'), 'utf8');
    expect(page).toContain('<p class="note">Unused recordings are not marked: no whole run of the suite is recorded for recordings');
    expect(page).not.toMatch(/class="mark (used|unused)"/);
  });

  it('shows progress on stderr for a large directory, on a terminal, and keeps stdout for the result', async () => {
    const { root, dir } = await projectWithFixtures();
    const text = await readFile(path.join(dir, EARTH), 'utf8');
    await mkdir(path.join(dir, 'many'));
    await Promise.all(Array.from({ length: 600 }, (_, i) => writeFile(path.join(dir, 'many', `${i}.json`), text.replace('"stream": true', `"stream": true, "n": ${i + 2}`))));
    const tty = await cli(['report', '--html', 'report.html'], { cwd: root, tty: true, env: { NO_COLOR: '1' } });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('\rreading recordings 613/613');
    // The line is rewritten in place, then cleared for what follows.
    expect(tty.stderr).toContain('\rwriting report 613/613\r\x1b[K');
    expect(tty.stdout).toBe('ai-vcr report: wrote report.html: 613 recordings of 12 tests, usage not known, 0 broken\n');
    expect((await readFile(path.join(root, 'report.html'), 'utf8')).match(/<article /g)).toHaveLength(613);
  });

  it('needs --html, and says so when the page cannot be written', async () => {
    const { root } = await projectWithFixtures();
    const none = await cli(['report'], { cwd: root });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("error: required option '--html <file>' not specified");
    const nowhere = await cli(['report', '--html', 'missing/report.html'], { cwd: root });
    expect(nowhere).toMatchObject({ code: 2, stdout: '' });
    expect(nowhere.stderr).toMatch(/^ai-vcr: cannot write the report to missing\/report\.html: ENOENT/);
    const help = await cli(['report', '--help'], { cwd: root });
    expect(help.stdout).toContain('npx ai-vcr report --html recordings.html');
  });
});
