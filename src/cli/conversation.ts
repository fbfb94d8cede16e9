import type { Description } from '../apis/api.js';
import { recognise } from '../apis/index.js';
import type { Recording, SdkObject } from '../recording.js';
import { modelOfRecording } from './recordings.js';

/**
 * A recording as a person reads it: what was asked, then what the model answered, assembled
 * from its chunks. Every shape the library replays has a reading; a field a shape lacks is
 * left out rather than guessed.
 */
export interface Reading {
  heading: string;
  request: string[];
  answer: string[];
  /** Finish reason, usage, chunk count. */
  facts: string[];
  timing?: string;
}

export interface ReadOptions {
  /** Fold text longer than this many characters; Infinity for none. */
  fold: number;
}

export type Json = Record<string, unknown>;

export function read(recording: Recording, options: ReadOptions): Reading {
  const { request, response } = recording;
  const model = modelOfRecording(recording);
  const kind = response.is_exception ? 'error' : response.is_streaming ? `streamed, ${[response.body ?? []].flat().length} chunks` : 'not streamed';
  // llama-stack writes POST for model lists; the method replay answers is the one shown.
  const heading = `${recognise(request.endpoint)?.method ?? request.method} ${request.endpoint}${model ? `  model ${model}` : ''}  (${kind})`;
  const fold = (text: string) => folded(text, options.fold);
  const body = (request.body ?? {}) as Json;
  const reading: Reading = { heading, request: requestLines(request.endpoint, body, fold), answer: [], facts: [] };
  if (response.is_exception && response.exception_data) {
    const { status_code, type, body: error, message } = response.exception_data;
    const said = (error as { message?: unknown } | null)?.message ?? message;
    reading.answer.push(`error ${status_code}${type ? ` ${type}` : ''}: ${fold(typeof said === 'string' ? said : JSON.stringify(error))}`);
    return reading;
  }
  const objects = [response.body ?? []].flat();
  const datas = objects.map((object) => object.__data__);
  const described = recognise(request.endpoint)?.api.describe?.(request.endpoint, request.body, datas, response.is_streaming);
  if (described) {
    describedReading(described, reading, fold);
  } else if (request.endpoint.endsWith('/models')) {
    reading.answer.push(`${datas.length} models: ${datas.map((model) => String(model.id)).join(', ')}`);
  } else if (request.endpoint.endsWith('/embeddings')) {
    embeddingAnswer(datas[0] ?? {}, reading);
  } else if (request.endpoint.endsWith('/responses')) {
    responsesAnswer(objects, response.is_streaming, reading, fold);
  } else {
    choicesAnswer(datas, response.is_streaming, reading, fold);
  }
  if (response.is_streaming) reading.facts.push(`${objects.length} chunks`);
  if (response.chunk_times_ms && response.chunk_times_ms.length > 0) reading.timing = timingChart(response.chunk_times_ms);
  return reading;
}

/** A call an API module describes (all but OpenAI's, which this file reads itself). */
function describedReading(described: Description, reading: Reading, fold: (text: string) => string): void {
  reading.request = described.messages.map(({ role, text }) => `${role}: ${fold(text)}`);
  if (described.tools.length > 0) reading.request.push(`tools: ${described.tools.join(', ')}`);
  if (described.reasoning) reading.answer.push(`assistant reasons: ${fold(described.reasoning)}`);
  if (described.text || described.calls.length === 0) reading.answer.push(`assistant: ${fold(described.text)}`);
  for (const call of described.calls) reading.answer.push(`assistant calls ${fold(`${call.name}(${call.arguments})`)}`);
  if (described.finish) reading.facts.push(`finish ${described.finish}`);
  if (described.usage) reading.facts.push(usageText(described.usage));
}

/** The reading as lines of text, indented under headings. */
export function formatReading(reading: Reading): string[] {
  const lines = [reading.heading, 'request:', ...reading.request.map(indent), 'answer:', ...(reading.answer.length > 0 ? reading.answer : ['(empty)']).map(indent)];
  if (reading.facts.length > 0) lines.push(reading.facts.join('  '));
  if (reading.timing) lines.push(`timing: ${reading.timing}`);
  return lines;
}

function indent(line: string): string {
  return line
    .split('\n')
    .map((part) => `  ${part}`)
    .join('\n');
}

function requestLines(endpoint: string, body: Json, fold: (text: string) => string): string[] {
  const lines: string[] = [];
  if (endpoint.endsWith('/chat/completions')) {
    for (const message of asList(body.messages) as Json[]) {
      const calls = (asList(message.tool_calls) as Json[]).map((call) => toolCall(call.function as Json | undefined));
      const text = contentText(message.content);
      const role = message.role === 'tool' ? `tool (${String(message.tool_call_id ?? '?')})` : String(message.role ?? '?');
      if (text || calls.length === 0) lines.push(`${role}: ${fold(text)}`);
      for (const call of calls) lines.push(`${role} calls ${fold(call)}`);
    }
  } else if (endpoint.endsWith('/completions')) {
    for (const prompt of asList(body.prompt)) lines.push(`prompt: ${fold(typeof prompt === 'string' ? prompt : JSON.stringify(prompt))}`);
  } else if (endpoint.endsWith('/embeddings')) {
    const inputs = asList(body.input);
    inputs.slice(0, 3).forEach((input) => lines.push(`input: ${fold(typeof input === 'string' ? input : JSON.stringify(input))}`));
    if (inputs.length > 3) lines.push(`... and ${inputs.length - 3} more inputs`);
  } else if (endpoint.endsWith('/responses')) {
    if (typeof body.instructions === 'string') lines.push(`instructions: ${fold(body.instructions)}`);
    for (const item of asList(body.input)) {
      if (typeof item === 'string') lines.push(`user: ${fold(item)}`);
      else if ((item as Json).type === 'function_call_output') lines.push(`tool (${String((item as Json).call_id ?? '?')}): ${fold(String((item as Json).output ?? ''))}`);
      else if ((item as Json).type === 'function_call') lines.push(`assistant calls ${fold(toolCall(item as Json))}`);
      else lines.push(`${String((item as Json).role ?? (item as Json).type ?? '?')}: ${fold(contentText((item as Json).content))}`);
    }
  }
  const tools = (asList(body.tools) as Json[]).map((tool) => String((tool.function as Json | undefined)?.name ?? tool.name ?? tool.type ?? '?'));
  if (tools.length > 0) lines.push(`tools: ${tools.join(', ')}`);
  if (lines.length === 0) lines.push(body && Object.keys(body).length > 0 ? fold(JSON.stringify(body)) : '(no body)');
  return lines;
}

/** The text of a message's content: a string, or the text parts of a list (other parts named). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  return (asList(content) as Json[])
    .map((part) => (typeof part.text === 'string' ? part.text : `[${String(part.type ?? 'part')}]`))
    .join(' ');
}

function toolCall(call: Json | undefined): string {
  return `${String(call?.name ?? '?')}(${typeof call?.arguments === 'string' ? call.arguments : JSON.stringify(call?.arguments ?? '')})`;
}

export interface Assembled {
  text: string;
  reasoning: string;
  calls: Map<number, { name: string; arguments: string }>;
  finish?: string;
}

/** Chat completions and completions: each choice's answer, put together from a stream's deltas; and the usage. */
export function assembleChoices(datas: Json[], streamed: boolean): { choices: Map<number, Assembled>; usage?: Json } {
  const choices = new Map<number, Assembled>();
  let usage: Json | undefined;
  for (const data of datas) {
    if (data.usage) usage = data.usage as Json;
    for (const choice of asList(data.choices) as Json[]) {
      const index = typeof choice.index === 'number' ? choice.index : 0;
      const assembled: Assembled = choices.get(index) ?? { text: '', reasoning: '', calls: new Map() };
      choices.set(index, assembled);
      const part = (streamed ? choice.delta : choice.message) as Json | undefined;
      if (typeof choice.text === 'string') assembled.text += choice.text;
      if (part) {
        if (typeof part.content === 'string') assembled.text += part.content;
        for (const field of ['reasoning_content', 'reasoning']) if (typeof part[field] === 'string') assembled.reasoning += part[field];
        (asList(part.tool_calls) as Json[]).forEach((call, position) => {
          const at = typeof call.index === 'number' ? call.index : position;
          const fn = (call.function ?? {}) as Json;
          const known = assembled.calls.get(at) ?? { name: '', arguments: '' };
          if (typeof fn.name === 'string') known.name += fn.name;
          if (typeof fn.arguments === 'string') known.arguments += fn.arguments;
          assembled.calls.set(at, known);
        });
      }
      if (typeof choice.finish_reason === 'string') assembled.finish = choice.finish_reason;
    }
  }
  return { choices, usage };
}

function choicesAnswer(datas: Json[], streamed: boolean, reading: Reading, fold: (text: string) => string): void {
  const { choices, usage } = assembleChoices(datas, streamed);
  const many = choices.size > 1;
  for (const [index, assembled] of [...choices].sort(([a], [b]) => a - b)) {
    const who = many ? `choice ${index}` : 'assistant';
    if (assembled.reasoning) reading.answer.push(`${who} reasons: ${fold(assembled.reasoning)}`);
    if (assembled.text || assembled.calls.size === 0) reading.answer.push(`${who}: ${fold(assembled.text)}`);
    for (const call of assembled.calls.values()) reading.answer.push(`${who} calls ${fold(`${call.name}(${call.arguments})`)}`);
    if (assembled.finish) reading.facts.push(`finish ${many ? `${index}: ` : ''}${assembled.finish}`);
  }
  if (usage) reading.facts.push(usageText(usage));
}

/** The Responses API: the final response object when there is one, else the stream's text deltas. */
/** A Responses API answer as one response object: the stream's last one (completed, incomplete or failed), or the body. */
export function finalResponse(datas: Json[], streamed: boolean): Json | undefined {
  if (!streamed) return datas[0];
  return datas.findLast((data) => data.type === 'response.completed' || data.type === 'response.incomplete' || data.type === 'response.failed')?.response as Json | undefined;
}

function responsesAnswer(objects: SdkObject[], streamed: boolean, reading: Reading, fold: (text: string) => string): void {
  const final = finalResponse(objects.map((object) => object.__data__), streamed);
  if (!final) {
    const deltas = objects.map((object) => object.__data__).filter((data) => data.type === 'response.output_text.delta');
    reading.answer.push(`assistant: ${fold(deltas.map((data) => String(data.delta ?? '')).join(''))}`);
    return;
  }
  for (const item of asList(final.output) as Json[]) {
    if (item.type === 'message') reading.answer.push(`${String(item.role ?? 'assistant')}: ${fold((asList(item.content) as Json[]).map((part) => String(part.text ?? part.refusal ?? '')).join(''))}`);
    else if (item.type === 'function_call') reading.answer.push(`assistant calls ${fold(toolCall(item))}`);
    else if (item.type === 'reasoning') {
      const summary = (asList(item.summary) as Json[]).map((part) => String(part.text ?? '')).join(' ');
      reading.answer.push(`assistant reasons: ${fold(summary || '(hidden)')}`);
    } else reading.answer.push(`${String(item.type)}: ${fold(JSON.stringify(item))}`);
  }
  if (typeof final.status === 'string') reading.facts.push(`status ${final.status}`);
  if (final.usage) reading.facts.push(usageText(final.usage as Json));
}

function embeddingAnswer(data: Json, reading: Reading): void {
  const vectors = asList(data.data) as Json[];
  const dimensions = [...new Set(vectors.map(({ embedding }) => (Array.isArray(embedding) ? `${embedding.length} numbers` : typeof embedding === 'string' ? 'base64' : '?')))];
  reading.answer.push(`${vectors.length} embeddings of ${dimensions.join(', ') || 'nothing'}`);
  if (data.usage) reading.facts.push(usageText(data.usage as Json));
}

function usageText(usage: Json): string {
  const input = usage.prompt_tokens ?? usage.input_tokens;
  const output = usage.completion_tokens ?? usage.output_tokens;
  const parts = [input !== undefined ? `${String(input)} in` : undefined, output !== undefined ? `${String(output)} out` : undefined, usage.total_tokens !== undefined ? `${String(usage.total_tokens)} total` : undefined];
  return `usage ${parts.filter(Boolean).join(', ')} tokens`;
}

/**
 * When chunks arrived, on one line: the time from the request to the last chunk cut into
 * equal slots, each drawn as high as the number of chunks in it, then the first and last times.
 */
export function timingChart(times: readonly number[], width = 40): string {
  const last = Math.max(...times);
  const slots = new Array<number>(width).fill(0);
  for (const time of times) slots[last === 0 ? 0 : Math.min(width - 1, Math.floor((time / last) * width))]! += 1;
  const most = Math.max(...slots);
  const bars = slots.map((count) => (count === 0 ? '·' : BARS[Math.max(0, Math.ceil((count / most) * BARS.length) - 1)]!)).join('');
  return `|${bars}| first chunk ${formatMs(Math.min(...times))}, last ${formatMs(last)}`;
}

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A time since the request started, as a person reads it. */
export function formatMs(time: number): string {
  return time >= 1000 ? `${(time / 1000).toFixed(2)} s` : `${Math.round(time)} ms`;
}

/** Text longer than `limit` as its start, then how much was left out; newlines kept only when not folded. */
export function folded(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const keep = text.slice(0, limit).replace(/\s+/g, ' ');
  return `${keep}… (${text.length - limit} more characters; --full shows all)`;
}

export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
