import { describe, expect, it } from 'vitest';
import { ndjson } from '../src/wire/ndjson.js';
import { sampleEvents, startWireUpstream } from './support/wire-upstream.js';

describe('sampleEvents', () => {
  it('names each API’s events as its wire does', async () => {
    const anthropic = await sampleEvents('anthropic-text');
    expect(anthropic.map(({ event }) => event)).toEqual(anthropic.map(({ data }) => JSON.parse(data).type));
    expect(anthropic.at(-1)?.event).toBe('message_stop');
    expect((await sampleEvents('cohere-text')).at(-1)?.event).toBe('message-end');
    expect((await sampleEvents('google-interactions-basic'))[0]?.event).toBe('interaction.created');
    expect((await sampleEvents('google-reasoning')).every(({ event }) => event === undefined)).toBe(true);
    const bedrock = await sampleEvents('amazon-bedrock-tool-call.1');
    expect(bedrock[0]).toEqual({ event: 'contentBlockStart', data: '{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tool-use-id","name":"test-tool"}}}' });
    expect(bedrock.at(-1)?.event).toBe('messageStop');
  });

  it('says which sample it cannot name', async () => {
    await expect(sampleEvents('mistral-text')).rejects.toThrow(/mistral-text: no known API/);
  });
});

describe('startWireUpstream', () => {
  it('serves SSE as the APIs write it and records the request', async () => {
    const upstream = await startWireUpstream({ framing: 'sse', events: [{ event: 'message_start', data: '{"a":1}' }, { data: '{"b":2}' }] });
    const response = await fetch(`${upstream.origin}/v1/messages?beta=true`, { method: 'POST', headers: { 'x-api-key': 'k' }, body: '{"model":"m"}' });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe('event: message_start\ndata: {"a":1}\n\ndata: {"b":2}\n\n');
    expect(upstream.requests).toMatchObject([{ method: 'POST', url: '/v1/messages?beta=true', headers: { 'x-api-key': 'k' }, text: '{"model":"m"}', body: { model: 'm' } }]);
  });

  it('answers per request, an HTTP status with a JSON body among them', async () => {
    const upstream = await startWireUpstream(({ url }) =>
      url === '/api/ps' ? { json: { models: [] } } : { status: 429, json: { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } } },
    );
    expect(await (await fetch(`${upstream.origin}/api/ps`)).json()).toEqual({ models: [] });
    const refused = await fetch(`${upstream.origin}/v1beta/models/g:generateContent`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } });
  });

  const lines = [{ data: '{"n":1}' }, { data: '{"n":2}' }, { data: '{"n":3,"done":true}' }];

  it('drops the connection mid-stream', async () => {
    const upstream = await startWireUpstream({ framing: 'ndjson', events: lines, drop: 2, gapMs: 20 });
    const response = await fetch(`${upstream.origin}/api/chat`, { method: 'POST', body: '{}' });
    const { events, error } = await ndjson.read(response.body!, performance.now());
    expect(events.map(({ data }) => data)).toEqual(['{"n":1}', '{"n":2}']);
    expect(error).toBeInstanceOf(Error);
  });

  it('stalls mid-stream, holding the connection open', async () => {
    const upstream = await startWireUpstream({ framing: 'ndjson', events: lines, stall: 1 });
    const response = await fetch(`${upstream.origin}/api/chat`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(300) });
    const { events, error } = await ndjson.read(response.body!, performance.now());
    expect(events.map(({ data }) => data)).toEqual(['{"n":1}']);
    expect(error?.name).toBe('TimeoutError');
  });
});
