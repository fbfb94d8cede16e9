import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { APICallError, generateText, streamText } from 'ai';
import { describe, expect, it, vi } from 'vitest';
import { recognise } from '../src/apis/index.js';
import { formatReading, read } from '../src/cli/conversation.js';
import { MSW_MAJOR } from '../src/msw.js';
import { tempDir } from './support/fixtures.js';
import { blockedConnections } from './support/no-network.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { sampleEvents, startWireUpstream, type StreamEvent, type WireAnswer, type WireRequest } from './support/wire-upstream.js';

/**
 * Amazon Bedrock Runtime through @aws-sdk/client-bedrock-runtime (over HTTP/1.1, see
 * docs/apis/bedrock.md) and the AI SDK's @ai-sdk/amazon-bedrock: recorded against a loopback
 * upstream speaking eventstream with real Bedrock event sequences, replayed at Bedrock's real host.
 */
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const REAL = 'https://bedrock-runtime.us-east-1.amazonaws.com';
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN0123456789' };
const MESSAGES = [{ role: 'user' as const, content: [{ text: 'How many r in strawberry?' }] }];

const client = (endpoint: string) => new BedrockRuntimeClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
const provider = (baseURL: string) => createAmazonBedrock({ baseURL, region: 'us-east-1', ...CREDENTIALS });

const CONVERSE = {
  output: { message: { role: 'assistant', content: [{ text: 'There are 3.' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 22, outputTokens: 5, totalTokens: 27 },
};

/** Answers as Bedrock does: each answer's latency (and stream padding) different, as they are. */
function bedrockUpstream(stream: (request: WireRequest) => StreamEvent[] | WireAnswer) {
  return startWireUpstream((request) => {
    if (request.url.endsWith('/converse')) return { json: { ...CONVERSE, metrics: { latencyMs: Math.round(Math.random() * 1000) } }, headers: { 'x-amzn-requestid': crypto.randomUUID() } };
    const answer = stream(request);
    return Array.isArray(answer) ? { framing: 'eventstream', events: answer } : answer;
  });
}

/** A real ConverseStream, with a fresh latency in its metadata and Bedrock's random padding on every event. */
async function textEvents(): Promise<StreamEvent[]> {
  return (await sampleEvents('amazon-bedrock-text')).map(({ event, data }) => {
    const payload = JSON.parse(data);
    if (event === 'metadata') payload.metrics.latencyMs = Math.round(Math.random() * 1000);
    return { event, data: JSON.stringify({ ...payload, p: 'abcdefghijkl'.slice(0, 1 + Math.floor(Math.random() * 11)) }) };
  });
}

async function files(dir: string) {
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8') })));
}

async function converseStream(bedrock: BedrockRuntimeClient) {
  const { stream } = await bedrock.send(new ConverseStreamCommand({ modelId: MODEL, messages: MESSAGES }));
  const events: unknown[] = [];
  for await (const event of stream!) events.push(event);
  return events;
}

const withoutMetadata = <T extends { $metadata?: unknown }>({ $metadata: _metadata, ...rest }: T) => rest;

describe('Amazon Bedrock Runtime through @aws-sdk/client-bedrock-runtime', () => {
  it('recognises the four operations at any prefix, the model id decoded however the path spells it', () => {
    expect(recognise('/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse')?.endpoint).toBe(`/model/${MODEL}/converse`);
    expect(recognise(`/gateway/model/${MODEL}/converse-stream`)?.endpoint).toBe(`/model/${MODEL}/converse-stream`);
    expect(recognise('/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.m/invoke')?.endpoint).toBe('/model/arn:aws:bedrock:us-east-1:1:inference-profile/us.m/invoke');
    expect(recognise('/model/arn:aws:bedrock:us-east-1:1:inference-profile/us.m/invoke-with-response-stream')?.api.name).toBe('bedrock');
  });

  it('records Converse and ConverseStream and replays them offline at the real host, the same answer and events in order', async () => {
    const upstream = await bedrockUpstream(() => [] as StreamEvent[]);
    const events = await textEvents();
    const streaming = await startWireUpstream({ framing: 'eventstream', events });
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const live = await client(upstream.origin).send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES }));
    const liveEvents = await converseStream(client(streaming.origin));
    await closeRecorders();
    const recorded = await files(dir);
    expect(recorded).toHaveLength(2);
    const stream = JSON.parse(recorded.find(({ text }) => text.includes('converse-stream'))!.text);
    expect(stream.request.endpoint).toBe(`/model/${MODEL}/converse-stream`);
    expect(stream.response.stream).toEqual({ framing: 'eventstream' });
    expect(stream.response.body.map((object: { __event__: string }) => object.__event__)).toEqual(events.map(({ event }) => event));
    expect(stream.response.body.at(-1)).toMatchObject({ __type__: 'bedrock_runtime.ConverseStreamOutput', __data__: { metrics: { latencyMs: 0 }, p: '' } });

    recorder({ mode: 'replay', dir });
    const replayed = await client(REAL).send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES }));
    const replayedEvents = await converseStream(client(REAL));
    await closeRecorders();
    expect(withoutMetadata(replayed)).toEqual({ ...withoutMetadata(live), metrics: { latencyMs: 0 } });
    const latency = (list: unknown[]) => list.map((event) => JSON.stringify(event).replace(/"latencyMs":\d+/, '"latencyMs":0'));
    expect(latency(replayedEvents)).toEqual(latency(liveEvents));
    expect(liveEvents).toHaveLength(events.length);
    expect(upstream.requests).toHaveLength(1);
    expect(streaming.requests).toHaveLength(1);
    expect(blockedConnections()).toEqual([]);
  });

  it('re-records an unchanged answer as the same bytes, and no SigV4 credential reaches the file', async () => {
    const events = [await textEvents(), await textEvents()];
    const upstream = await bedrockUpstream(() => events.shift()!);
    const texts: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const dir = await tempDir();
      recorder({ mode: 'record', dir });
      await client(upstream.origin).send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES }));
      await converseStream(client(upstream.origin));
      await closeRecorders();
      texts.push((await files(dir)).map(({ text }) => text.replace(/"chunk_times_ms": \[[^\]]*\]/, '')));
    }
    expect(texts[1]).toEqual(texts[0]);
    const sent = upstream.requests[0]!.headers;
    const signature = /Signature=([0-9a-f]+)/.exec(String(sent.authorization))![1]!;
    for (const text of texts[0]!) {
      for (const secret of [CREDENTIALS.accessKeyId, CREDENTIALS.sessionToken, signature, String(sent['x-amz-date']), String(sent['x-amz-content-sha256']), 'AWS4-HMAC-SHA256']) {
        expect(text).not.toContain(secret);
      }
      // SigV4's SignedHeaders list names headers; those names are not secrets and stay readable.
      expect(text).toContain('"content-type": "application/json"');
    }
  });

  it('keeps the access key id out of the file when the upstream echoes it on its own', async () => {
    const upstream = await startWireUpstream((request) => ({
      json: { ...CONVERSE, output: { message: { role: 'assistant', content: [{ text: `you are ${/Credential=([^/]+)/.exec(String(request.headers.authorization))![1]}` }] } }, metrics: { latencyMs: 1 } },
    }));
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const live = await client(upstream.origin).send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES }));
    await closeRecorders();
    expect(live.output?.message?.content?.[0]?.text).toBe(`you are ${CREDENTIALS.accessKeyId}`);
    const [file] = await files(dir);
    expect(file!.text).not.toContain(CREDENTIALS.accessKeyId);
    expect(file!.text).toContain('you are <redacted>');
  });

  it('records the tool-call stream, whose metadata comes before messageStop, and replays the tool use with its id', async () => {
    const streaming = await startWireUpstream({ framing: 'eventstream', events: await sampleEvents('amazon-bedrock-tool-call.1') });
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const live = await converseStream(client(streaming.origin));
    await closeRecorders();
    recorder({ mode: 'replay', dir });
    const replayed = await converseStream(client(REAL));
    expect(JSON.stringify(replayed)).toContain('"toolUseId":"tool-use-id"');
    expect(JSON.stringify(replayed)).toBe(JSON.stringify(live).replace('"latencyMs":234', '"latencyMs":0'));
  });

  it('does not record a stream cut short after messageStop, before its metadata, and says why', async () => {
    const events = await textEvents();
    const streaming = await startWireUpstream({ framing: 'eventstream', events, drop: events.length - 1 });
    const dir = await tempDir();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      recorder({ mode: 'record', dir });
      await expect(converseStream(client(streaming.origin))).rejects.toThrow();
      await expect(closeRecorders()).rejects.toThrow(/converse-stream: the upstream's stream broke off after 15 events/);
    } finally {
      errors.mockRestore();
    }
    expect(await files(dir)).toEqual([]);
  });

  it('passes an exception frame through as the SDK exception it is, and does not record the stream', async () => {
    const events = (await textEvents()).slice(0, 3);
    const throttled: StreamEvent = { kind: 'exception', event: 'throttlingException', data: JSON.stringify({ message: 'Too many tokens, please wait.' }) };
    const streaming = await startWireUpstream({ framing: 'eventstream', events: [...events, throttled] });
    const dir = await tempDir();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      recorder({ mode: 'record', dir });
      const error = await converseStream(client(streaming.origin)).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ThrottlingException);
      expect(error).toMatchObject({ message: 'Too many tokens, please wait.' });
      await expect(closeRecorders()).rejects.toThrow(/converse-stream: the upstream's stream ended after 3 events with an exception frame throttlingException \("\{\\"message\\":\\"Too many tokens, please wait\.\\"\}"\), a failure of the service, which is never recorded/);
    } finally {
      errors.mockRestore();
    }
    expect(await files(dir)).toEqual([]);
  });

  it("answers a miss with the SDK's own ResourceNotFoundException carrying ai-vcr's message, sent once and never to the network", async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      recorder({ mode: 'replay', dir: await tempDir() });
      const bedrock = new BedrockRuntimeClient({ region: 'us-east-1', credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
      const error = await bedrock.send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES })).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error).toMatchObject({ message: expect.stringMatching(new RegExp(`^ai-vcr: no recording for POST /model/${MODEL.replace('.', '\\.')}/converse \\(model "${MODEL}"\\) in replay mode`)), $metadata: { attempts: 1 } });
      expect(String((error as Error).message)).toContain('AWS_ACCESS_KEY_ID');
    } finally {
      errors.mockRestore();
    }
    expect(blockedConnections()).toEqual([]);
  });

  it('replays a recorded 400 as the same ValidationException', async () => {
    const upstream = await startWireUpstream({
      status: 400,
      json: { message: 'The provided model identifier is invalid.' },
      headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
    });
    const dir = await tempDir();
    recorder({ mode: 'record', dir, recordErrors: true });
    const live = await client(upstream.origin).send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES })).catch((thrown: unknown) => thrown);
    await closeRecorders();
    expect(live).toBeInstanceOf(ValidationException);
    recorder({ mode: 'replay', dir });
    const replayed = await client(REAL).send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES })).catch((thrown: unknown) => thrown);
    expect(replayed).toBeInstanceOf(ValidationException);
    expect(replayed).toMatchObject({ message: 'The provided model identifier is invalid.', $metadata: { httpStatusCode: 400 } });
  });

  it('records InvokeModel, whose JSON body the SDK labels application/octet-stream, and replays it with its message id normalized', async () => {
    const message = { id: `msg_bdrk_${crypto.randomUUID()}`, type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hi!' }], stop_reason: 'end_turn', usage: { input_tokens: 8, output_tokens: 3 } };
    const upstream = await startWireUpstream({ json: message });
    const invoke = (bedrock: BedrockRuntimeClient) =>
      bedrock.send(new InvokeModelCommand({ modelId: MODEL, body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }) }));
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    await invoke(client(upstream.origin));
    await closeRecorders();
    expect(upstream.requests[0]!.headers['content-type']).toBe('application/octet-stream');
    recorder({ mode: 'replay', dir });
    const replayed = JSON.parse(new TextDecoder().decode((await invoke(client(REAL))).body));
    expect(replayed).toEqual({ ...message, id: expect.stringMatching(/^rec-[0-9a-f]{12}$/) });
  });

  it('shows a recorded ConverseStream as the answer it makes, for ai-vcr show', async () => {
    const streaming = await startWireUpstream({ framing: 'eventstream', events: await sampleEvents('amazon-bedrock-tool-call.1') });
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const bedrock = client(streaming.origin);
    const { stream } = await bedrock.send(
      new ConverseStreamCommand({ modelId: MODEL, messages: MESSAGES, toolConfig: { tools: [{ toolSpec: { name: 'test-tool', inputSchema: { json: { type: 'object' } } } }] } }),
    );
    for await (const _event of stream!);
    await closeRecorders();
    const [file] = await files(dir);
    const shown = formatReading(read(JSON.parse(file!.text), { fold: Infinity })).join('\n');
    expect(shown).toContain('How many r in strawberry?');
    expect(shown).toMatch(/test-tool/);
    expect(shown).toContain('{"value":"Sparkle Day"}');
    expect(shown).toContain('tool_use');
  });

  it('records InvokeModelWithResponseStream chunks as decoded JSON and replays their bytes exactly', async () => {
    const anthropicEvents = (await readFile(path.join(import.meta.dirname, '../../shared/samples/providers/event-streams/anthropic-text.chunks.txt'), 'utf8')).split('\n').filter(Boolean);
    const last = JSON.parse(anthropicEvents.at(-1)!);
    const lines = [...anthropicEvents.slice(0, -1), JSON.stringify({ ...last, 'amazon-bedrock-invocationMetrics': { inputTokenCount: 10, outputTokenCount: 5, invocationLatency: 512, firstByteLatency: 200 } })];
    const chunks = lines.map((line) => ({ event: 'chunk', data: JSON.stringify({ bytes: Buffer.from(line).toString('base64') }) }));
    const streaming = await startWireUpstream({ framing: 'eventstream', events: chunks });
    const invoke = async (bedrock: BedrockRuntimeClient) => {
      const { body } = await bedrock.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }) }));
      const decoded: string[] = [];
      for await (const part of body!) decoded.push(new TextDecoder().decode(part.chunk!.bytes));
      return decoded;
    };
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    expect(await invoke(client(streaming.origin))).toEqual(lines);
    await closeRecorders();
    const [file] = await files(dir);
    const recording = JSON.parse(file!.text);
    expect(recording.response.body[0]).toMatchObject({ __event__: 'chunk', __data__: { bytes: { type: 'message_start', message: { id: expect.stringMatching(/^rec-/) } } } });
    expect(recording.response.body.at(-1).__data__.bytes['amazon-bedrock-invocationMetrics']).toEqual({ inputTokenCount: 10, outputTokenCount: 5, invocationLatency: 0, firstByteLatency: 0 });

    recorder({ mode: 'replay', dir });
    const replayed = await invoke(client(REAL));
    expect(replayed.slice(1, -1)).toEqual(lines.slice(1, -1));
    expect(JSON.parse(replayed[0]!).message.id).toBe(recording.response.body[0].__data__.bytes.message.id);
  });
});

describe('Amazon Bedrock through the AI SDK', () => {
  it('records generateText and streamText and replays them offline, the same text and usage', async () => {
    const events = await textEvents();
    const streaming = await startWireUpstream((request) => (request.url.endsWith('/converse') ? { json: { ...CONVERSE, metrics: { latencyMs: 3 } } } : { framing: 'eventstream', events }));
    const dir = await tempDir();
    const run = async (baseURL: string) => {
      const model = provider(baseURL)(MODEL);
      const whole = await generateText({ model, prompt: 'How many r in strawberry?', maxRetries: 0 });
      const streamed = streamText({ model, prompt: 'How many r in strawberry?', maxRetries: 0 });
      return { text: whole.text, usage: whole.usage.inputTokens, streamedText: await streamed.text, streamedUsage: (await streamed.usage).outputTokens, finish: await streamed.finishReason };
    };
    recorder({ mode: 'record', dir });
    const live = await run(streaming.origin);
    await closeRecorders();
    expect(live).toMatchObject({ text: 'There are 3.', streamedUsage: 55, finish: 'stop' });
    expect(live.streamedText).toContain('There are **3');
    recorder({ mode: 'replay', dir });
    expect(await run(REAL)).toEqual(live);
    expect(streaming.requests).toHaveLength(2);
    expect(blockedConnections()).toEqual([]);
  });
});

describe('Amazon Bedrock through the AI SDK, a miss', () => {
  it("throws an APICallError carrying ai-vcr's message, not retried", async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      recorder({ mode: 'replay', dir: await tempDir() });
      const error = await generateText({ model: createAmazonBedrock({ region: 'us-east-1', ...CREDENTIALS })(MODEL), prompt: 'Hi' }).catch((thrown: unknown) => thrown);
      expect(APICallError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ statusCode: 404, isRetryable: false, message: expect.stringMatching(/^ai-vcr: no recording for POST \/model\/anthropic/) });
    } finally {
      errors.mockRestore();
    }
  });
});

describe('the HTTP/2 default of @aws-sdk/client-bedrock-runtime', () => {
  // What a user who forgets NodeHttpHandler gets in replay mode; docs/apis/bedrock.md says the same.
  it('in replay mode, a client without NodeHttpHandler is never answered by ai-vcr: msw 2 lets it dial the real host, msw 3 leaves it hanging', async () => {
    recorder({ mode: 'replay', dir: await tempDir() });
    const before = blockedConnections().length;
    const http2 = new BedrockRuntimeClient({ region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    const error = await http2.send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES }), { abortSignal: AbortSignal.timeout(1500) }).catch((thrown: unknown) => thrown);
    http2.destroy();
    expect(error).not.toBeInstanceOf(ResourceNotFoundException);
    if (MSW_MAJOR < 3) {
      expect(String((error as Error).message)).toMatch(/test network guard: connection to bedrock-runtime\.us-east-1\.amazonaws\.com blocked/);
      expect(blockedConnections().slice(before)).toContain('bedrock-runtime.us-east-1.amazonaws.com');
    } else {
      // msw 3 takes the TLS socket, but no handler ever sees an HTTP/2 request on it: only our abort ends the call.
      expect(error).toMatchObject({ name: 'AbortError' });
      expect(blockedConnections().slice(before)).toEqual([]);
    }
  });
});
