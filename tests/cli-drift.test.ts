import { copyFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { loopbackServer } from './support/upstream.js';

/**
 * A loopback API whose answers change shape between the recording and the drift check, chosen
 * by the request's model: `stable` only changes its text, `tools` adds an argument to its tool
 * call, `gone` answers 404, `renamed` answers as another model that stops for length.
 */
async function changingApi() {
  let phase: 'recorded' | 'live' = 'recorded';
  const authorizations: (string | undefined)[] = [];
  const server = await loopbackServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text) as { model: string; stream?: boolean };
    const live = phase === 'live';
    if (live) authorizations.push(req.headers.authorization);
    if (live && body.model === 'gone') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'model gone', type: 'invalid_request_error' } }));
      return;
    }
    const model = live && body.model === 'renamed' ? 'renamed-2' : body.model;
    const finish = live && body.model === 'renamed' ? 'length' : body.model === 'tools' ? 'tool_calls' : 'stop';
    const chunk = (delta: object, finish_reason: string | null = null) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason }] });
    const chunks =
      body.model === 'tools'
        ? [chunk({ role: 'assistant' }), chunk({ tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'weather', arguments: live ? '{"city":"Paris","unit":"C"}' : '{"city":"Paris"}' } }] }), chunk({}, finish)]
        : [chunk({ role: 'assistant' }), chunk({ content: live ? 'Hi' : 'Hello' }), chunk({ content: live ? ' you' : ' there' }), chunk({}, finish)];
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: live ? 'Hi you' : 'Hello there' }, finish_reason: finish }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const each of chunks) res.write(`data: ${JSON.stringify(each)}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  return { baseURL: `${server.origin}/v1`, goLive: () => (phase = 'live'), authorizations };
}

describe('ai-vcr drift', () => {
  it('asks the live API every recorded request and reports, per recording, what changed shape; text alone is only counted', async () => {
    const api = await changingApi();
    const dir = await tempDir();
    recorder({ mode: 'record', dir });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: api.baseURL, maxRetries: 0 });
    const files: Record<string, string> = {};
    for (const model of ['stable', 'tools', 'gone', 'renamed']) {
      const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
      for await (const _ of stream) void _;
    }
    await client.chat.completions.create({ model: 'stable', messages: [{ role: 'user', content: 'not streamed' }] });
    await closeRecorders();
    const listed = JSON.parse((await cli(['list', '.', '--json'], { cwd: dir })).stdout) as { file: string; model: string; streamed: boolean }[];
    for (const { file, model, streamed } of listed) files[`${model}${streamed ? '' : ' json'}`] = file;

    api.goLive();
    const ran = await cli(['drift', '.', '--base-url', api.baseURL, '--api-key-env', 'MY_KEY'], { cwd: dir, env: { MY_KEY: 'sk-live' } });
    expect(api.authorizations).toEqual(Array.from({ length: 5 }, () => 'Bearer sk-live'));
    expect(ran.code).toBe(1);
    expect(ran.stdout.trimEnd().split('\n').sort()).toEqual(
      [
        `changed ${files.gone}: status 200 -> 404`,
        `changed ${files.renamed}: finish stop -> length; model renamed -> renamed-2`,
        `changed ${files.tools}: tools weather(city) -> weather(city,unit)`,
        `ai-vcr drift: 5 recordings asked of ${api.baseURL}: 2 same shape (2 with other text), 3 changed, 0 failed`,
      ].sort(),
    );
    // Nothing is written: the recordings are as they were.
    expect(JSON.parse((await cli(['list', '.', '--json'], { cwd: dir })).stdout)).toEqual(listed);
  });

  it('says which recordings it could not ask, and exits 1', async () => {
    const dir = await tempDir();
    await copyFile(path.join(FIXTURES, 'seeds/004_93e64aa372a341f8.json'), path.join(dir, 'earth.json'));
    // A loopback port nothing listens on any more.
    const closed = await loopbackServer(() => {});
    await closed.close();
    const ran = await cli(['drift', '.', '--base-url', `${closed.origin}/v1`], { cwd: dir, env: {} });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe(`failed earth.json: fetch failed (ECONNREFUSED)\nai-vcr drift: 1 recordings asked of ${closed.origin}/v1: 0 same shape (0 with other text), 0 changed, 1 failed\n`);
  });
});
