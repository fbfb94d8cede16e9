import type { Command } from 'commander';
import { recognise } from '../apis/index.js';
import type { Scope } from '../options.js';
import type { Recording } from '../recording.js';
import { isHarmlessHeader } from '../redact.js';
import { DONE, sse } from '../wire/sse.js';
import { asList, assembleChoices, finalResponse, type Json } from './conversation.js';
import { CliError, painter, progress, shownPath, type ExitCode, type Io } from './io.js';
import { recordingsDir, scan } from './recordings.js';

export interface DriftOptions {
  baseUrl?: string;
  apiKeyEnv: string;
  scope: Scope;
}

export function driftCommand(program: Command, run: (action: () => Promise<ExitCode>) => Promise<void>, io: Io): void {
  program
    .command('drift')
    .argument('[dir]', 'recordings directory (default: $AI_VCR_DIR, else ./recordings)')
    .description('send every recorded request to the live API and say, per recording, whether the answer still has the same shape; writes nothing')
    .option('--base-url <url>', 'the API to ask (default: $OPENAI_BASE_URL, else https://api.openai.com/v1)')
    .option('--api-key-env <name>', 'the environment variable holding the API key, sent as a bearer token', 'OPENAI_API_KEY')
    .addHelpText(
      'after',
      '\nThe shape is: status, the kinds of stream events in order, tool names and argument keys,\nfinish reason, model. Text differences are expected: they are only counted.\nEvery recorded request is sent once, and billed as usual.\n\nExamples:\n  OPENAI_API_KEY=sk-... npx ai-vcr drift\n  npx ai-vcr drift recordings --base-url http://localhost:11434/v1 --api-key-env OLLAMA_KEY',
    )
    .action((dir: string | undefined, options: Omit<DriftOptions, 'scope'>, command: Command) => run(() => drift(dir, { ...options, scope: command.optsWithGlobals().scope as Scope }, io)));
}

/** What of an answer must stay the same for the recordings to still stand for the live API. */
interface Shape {
  status: number;
  events: string[];
  tools: string[];
  finish: string[];
  model: string | undefined;
  text: string;
}

export async function drift(given: string | undefined, options: DriftOptions, io: Io): Promise<ExitCode> {
  const dir = recordingsDir(given, io);
  const base = (options.baseUrl ?? (io.env.OPENAI_BASE_URL || 'https://api.openai.com/v1')).replace(/\/+$/, '');
  if (!URL.canParse(base)) throw new CliError(`--base-url ${base} is not a URL`);
  const key = io.env[options.apiKeyEnv];
  const scanned = (await scan(dir, options.scope, io)).filter((each) => each.recording);
  const paint = painter(io.stdout, io.env);
  const counts = { same: 0, otherText: 0, changed: 0, failed: 0 };
  const shown = progress(io, 'asking the live API', scanned.length);
  for (const { file, recording } of scanned) {
    shown.tick();
    const where = shownPath(file, io.cwd);
    const recorded = recordedShape(recording!);
    let live: Shape;
    try {
      live = await liveShape(recording!, base, key);
    } catch (error) {
      counts.failed += 1;
      // fetch says only "fetch failed"; why is in its cause (ECONNREFUSED, a TLS error, ...).
      const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
      io.stdout.write(`${paint('red', 'failed')} ${where}: ${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}\n`);
      continue;
    }
    const changes = differences(recorded, live);
    if (changes.length > 0) {
      counts.changed += 1;
      io.stdout.write(`${paint('red', 'changed')} ${where}: ${changes.join('; ')}\n`);
    } else {
      counts.same += 1;
      if (recorded.text !== live.text) counts.otherText += 1;
    }
  }
  shown.done();
  io.stdout.write(
    `ai-vcr drift: ${scanned.length} recordings asked of ${base}: ${counts.same} same shape (${counts.otherText} with other text), ${counts.changed} changed, ${counts.failed} failed\n`,
  );
  return counts.changed + counts.failed === 0 ? 0 : 1;
}

function recordedShape(recording: Recording): Shape {
  const { response } = recording;
  if (response.is_exception && response.exception_data) return errorShape(response.exception_data.status_code);
  return answerShape(recording.request.endpoint, response.status ?? 200, [response.body ?? []].flat().map((object) => object.__data__), response.is_streaming);
}

async function liveShape(recording: Recording, base: string, key: string | undefined): Promise<Shape> {
  const { endpoint } = recording.request;
  const method = recognise(endpoint)?.method ?? recording.request.method;
  // The headers a recording keeps are harmless ones (openai-beta, say) that can change the answer.
  const headers: Record<string, string> = { accept: recording.response.is_streaming ? 'text/event-stream' : 'application/json' };
  for (const [name, value] of Object.entries(recording.request.headers ?? {})) if (isHarmlessHeader(name) && typeof value === 'string') headers[name] = value;
  if (key) headers.authorization = `Bearer ${key}`;
  if (method === 'POST') headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${endpoint.slice('/v1'.length)}`, {
    method,
    headers,
    body: method === 'POST' ? JSON.stringify(recording.request.body) : undefined,
    signal: AbortSignal.timeout(120_000),
  });
  if (!response.ok) {
    await response.body?.cancel();
    return errorShape(response.status);
  }
  const streamed = (response.headers.get('content-type') ?? '').includes('text/event-stream');
  if (!streamed) {
    const body = (await response.json()) as Json;
    // A model list: the live API sends the list, a recording holds its items.
    return answerShape(recording.request.endpoint, response.status, endpoint === '/v1/models' ? (asList(body.data) as Json[]) : [body], false);
  }
  const { events, error } = await sse.read(response.body!, performance.now());
  if (error) throw new Error(`the live stream broke: ${error.message}`);
  const datas = events.filter(({ data }) => data !== DONE).map(({ data }) => JSON.parse(data) as Json);
  return answerShape(recording.request.endpoint, response.status, datas, true);
}

function errorShape(status: number): Shape {
  return { status, events: [], tools: [], finish: [], model: undefined, text: '' };
}

function answerShape(endpoint: string, status: number, datas: Json[], streamed: boolean): Shape {
  const model = typeof datas[0]?.model === 'string' ? datas[0].model : undefined;
  if (endpoint.endsWith('/responses')) {
    const final = finalResponse(datas, streamed);
    const items = asList(final?.output) as Json[];
    return {
      status,
      events: streamed ? runs(datas.map((data) => String(data.type))) : [],
      tools: items.filter((item) => item.type === 'function_call').map((item) => toolShape(item.name, item.arguments)),
      finish: typeof final?.status === 'string' ? [final.status] : [],
      model: typeof final?.model === 'string' ? final.model : model,
      text: items.flatMap((item) => (asList(item.content) as Json[]).map((part) => String(part.text ?? ''))).join(''),
    };
  }
  if (endpoint.endsWith('/models') || endpoint.endsWith('/embeddings')) return { status, events: [], tools: [], finish: [], model: endpoint.endsWith('/embeddings') ? model : undefined, text: '' };
  const { choices } = assembleChoices(datas, streamed);
  const answers = [...choices.values()];
  return {
    status,
    events: streamed ? runs(datas.map(chunkKind)) : [],
    tools: answers.flatMap((answer) => [...answer.calls.values()].map((call) => toolShape(call.name, call.arguments))),
    finish: answers.map((answer) => answer.finish ?? '?'),
    model,
    text: answers.map((answer) => answer.text).join('\n'),
  };
}

/** What a chat or completion chunk carries, for the order of a stream: not its text, which always differs. */
function chunkKind(data: Json): string {
  const choice = (asList(data.choices) as Json[])[0];
  const delta = (choice?.delta ?? {}) as Json;
  if (choice?.finish_reason) return 'finish';
  if (asList(delta.tool_calls).length > 0) return 'tool_calls';
  if (delta.reasoning_content || delta.reasoning) return 'reasoning';
  if (delta.content || typeof choice?.text === 'string') return 'content';
  if (!choice && data.usage) return 'usage';
  return delta.role ? 'role' : 'empty';
}

/** A list with each run of equal items as one: a stream has as many text chunks as it has pieces of text. */
function runs(kinds: string[]): string[] {
  return kinds.filter((kind, i) => kind !== kinds[i - 1]);
}

/** A tool call as its name and the sorted keys of its arguments: values differ from run to run. */
function toolShape(name: unknown, args: unknown): string {
  let keys = '?';
  try {
    const parsed: unknown = typeof args === 'string' ? JSON.parse(args) : args;
    if (parsed && typeof parsed === 'object') keys = Object.keys(parsed).sort().join(',');
  } catch {
    // Arguments that are not JSON have no keys to compare; the name still counts.
  }
  return `${String(name)}(${keys})`;
}

function differences(recorded: Shape, live: Shape): string[] {
  const changes: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  // Another status is another kind of answer: the rest of its shape says nothing more.
  if (recorded.status !== live.status) return [`status ${recorded.status} -> ${live.status}`];
  if (!same(recorded.events, live.events)) changes.push(`events ${recorded.events.join(',')} -> ${live.events.join(',')}`);
  if (!same(recorded.tools, live.tools)) changes.push(`tools ${recorded.tools.join(' ') || 'none'} -> ${live.tools.join(' ') || 'none'}`);
  if (!same(recorded.finish, live.finish)) changes.push(`finish ${recorded.finish.join(',') || 'none'} -> ${live.finish.join(',') || 'none'}`);
  if (recorded.model !== live.model) changes.push(`model ${recorded.model ?? 'none'} -> ${live.model ?? 'none'}`);
  return changes;
}
