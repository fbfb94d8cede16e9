import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { requestKey } from '../src/key.js';
import { RecordingSchema } from '../src/recording.js';
import { keyedRequestOf } from '../src/store.js';
import { cli, json, projectWithFixtures } from './support/cli.js';
import { tempDir } from './support/fixtures.js';
import { closeRecorders, recorder } from './support/recorder.js';
import { startUpstream } from './support/upstream.js';

/** Our own recordings: a streamed chat answer, and a Responses API answer streamed and not, recorded from a loopback upstream. */
async function ourRecordings(): Promise<{ dir: string; files: string[] }> {
  const upstream = await startUpstream({ gapMs: 30 });
  const dir = await tempDir();
  recorder({ mode: 'record', dir });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: upstream.baseURL, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'one two three' }] });
  for await (const _ of stream) void _;
  await client.responses.create({ model: 'gpt-test', input: 'Say hi' });
  const events = await client.responses.create({ model: 'gpt-test', input: 'Say hi', stream: true });
  for await (const _ of events) void _;
  await closeRecorders();
  return { dir, files: (await readdir(dir)).map((name) => path.join(dir, name)) };
}

describe('ai-vcr show', () => {
  it('reads our streamed chat recording: messages, the assembled answer, finish, chunk count and when chunks came', async () => {
    const { dir, files } = await ourRecordings();
    const outputs = await Promise.all(files.map((file) => cli(['show', file], { cwd: dir })));
    const chat = outputs.find(({ stdout }) => stdout.includes('/v1/chat/completions'))!;
    expect(chat.code).toBe(0);
    const lines = chat.stdout.split('\n');
    expect(lines).toContain('POST /v1/chat/completions  model slow  (streamed, 4 chunks)');
    expect(lines.slice(2, 6)).toEqual(['request:', '  system: Be brief.', '  user: one two three', 'answer:']);
    expect(lines).toContain('  assistant: one two three');
    expect(lines).toContain('finish stop  4 chunks');
    // From the request to the last chunk in 40 slots: the last chunk is in the last one, and slots without a chunk show as dots.
    expect(lines.find((line) => line.startsWith('timing: '))).toMatch(/^timing: \|[·▁-█]{39}[▁-█]\| first chunk \d+ ms, last \d+ ms$/);
    expect(lines.find((line) => line.startsWith('timing: '))).toContain('·');
  });

  it('reads our Responses API recordings, streamed and not, from the final response', async () => {
    const { dir, files } = await ourRecordings();
    const outputs = await Promise.all(files.map((file) => cli(['show', file], { cwd: dir })));
    const responses = outputs.filter(({ stdout }) => stdout.includes('/v1/responses'));
    expect(responses).toHaveLength(2);
    for (const { stdout, code } of responses) {
      expect(code).toBe(0);
      expect(stdout).toContain('  user: Say hi\nanswer:\n  assistant: Hi there\n');
      expect(stdout).toMatch(/status completed/);
    }
  });

  it('reads every llama-stack shape: chat with tool calls, an error, completions, embeddings, a model list', async () => {
    const { root } = await projectWithFixtures();
    const show = async (name: string) => {
      const ran = await cli(['show', `recordings/${name}`], { cwd: root });
      expect(ran.code).toBe(0);
      return ran.stdout.split('\n');
    };
    const tools = await show('seeds/001_8d4fc20c1fc1741b.json');
    expect(tools).toEqual([
      'recordings/seeds/001_8d4fc20c1fc1741b.json',
      'test: tests/integration/responses/test_tool_responses.py::test_response_sequential_mcp_tool[client_with_models-txt=openai/gpt-4o-boiling_point_tool]',
      'POST /v1/chat/completions  model gpt-4o  (streamed, 21 chunks)',
      'request:',
      '  user: What is the boiling point of myawesomeliquid in Celsius?',
      '  assistant calls get_boiling_point({"liquid_name":"myawesomeliquid","celsius":true})',
      '  tool (call_5iv1uWKBAYUmnMrNywUUajHE): -100',
      '  tools: greet_everyone, get_boiling_point',
      'answer:',
      '  assistant: The boiling point of "myawesomeliquid" in Celsius is -100°C.',
      'finish stop  usage 195 in, 19 out, 214 total tokens  21 chunks',
      '',
    ]);
    expect(await show('samples/28a43dc80443ccae98eee165c58522090fd6f0637031153b0105399093d39c52.json')).toEqual(
      expect.arrayContaining(['POST /v1/chat/completions  model llama3.2:3b-instruct-fp16  (error)', '  user: What is in this image? [image_url]', '  error 400 BadRequestError: invalid image input']),
    );
    expect(await show('samples/8567635651a5e7104394951bbbba040e5c7f3ba11084fb6e81328f4905100a65.json')).toEqual(
      expect.arrayContaining(['POST /v1/completions  model llama3.2:3b-instruct-fp16  (streamed, 51 chunks)', '  assistant: Blue.', 'finish length  51 chunks']),
    );
    expect(await show('samples/8ff1d58683cc480fa42f687e3129692883583d8bd840a1151f09f9a1db183398.json')).toEqual(
      expect.arrayContaining(['  input: US news updates', '  1 embeddings of 1536 numbers', 'usage 3 in, 3 total tokens']),
    );
    expect(await show('samples/models-3a641f25d65695766fb77e424273f716b852f371e1e87f6e14fd5672b1ab6005-4a65eed3.json')).toEqual(
      expect.arrayContaining(['GET /v1/models  (not streamed)', '  1 models: qwen2.5']),
    );
  });

  it('assembles tool calls and reasoning from the deltas of a stream', async () => {
    const dir = await tempDir();
    const chunk = (delta: object, finish: string | null = null) => ({ __type__: 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk', __data__: { choices: [{ index: 0, delta, finish_reason: finish }] } });
    const recording = {
      test_id: null,
      request: { method: 'POST', url: 'https://api.openai.com/v1/chat/completions', headers: {}, endpoint: '/v1/chat/completions', model: 'o-test', body: { model: 'o-test', messages: [{ role: 'user', content: 'Weather in Paris?' }], stream: true } },
      response: {
        is_streaming: true,
        body: [
          chunk({ reasoning_content: 'The user wants ' }),
          chunk({ reasoning_content: 'the weather.' }),
          chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'get_weather', arguments: '' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
          chunk({}, 'tool_calls'),
        ],
      },
    };
    await writeFile(path.join(dir, 'tool.json'), JSON.stringify(recording));
    const ran = await cli(['show', 'tool.json'], { cwd: dir });
    expect(ran.stdout).toContain('answer:\n  assistant reasons: The user wants the weather.\n  assistant calls get_weather({"city":"Paris"})\nfinish tool_calls  6 chunks\n');
    expect(ran.stdout).not.toContain('timing:');
  });

  it('folds long messages unless --full, and finds recordings by key (as replay looks them up) and by test id', async () => {
    const { root } = await projectWithFixtures();
    const file = 'recordings/seeds/002_a7186fa2c84db938.json';
    const folded = await cli(['show', file], { cwd: root });
    expect(folded.stdout).toMatch(/\n {2}tool \(call_zKJ7WgvCO3tx6yB0We1qI0d8\): knowledge_search tool found 2 chunks: .{200,}… \(2754 more characters; --full shows all\)\n/);
    const full = await cli(['show', file, '--full'], { cwd: root });
    expect(full.stdout).not.toContain('more characters');
    expect(full.stdout.length).toBeGreaterThan(folded.stdout.length + 2000);

    // Its key as the store computes it: the file is not named by it, so it is found through the index, as replay finds it.
    const key = requestKey(keyedRequestOf(RecordingSchema.parse(await json(path.join(root, file))), 'request')!);
    const byKey = await cli(['show', key], { cwd: root });
    expect(byKey.code).toBe(0);
    expect(byKey.stdout.split('\n', 1)[0]).toBe(file);

    const test = 'tests/integration/responses/test_basic_responses.py::test_response_streaming_incremental_content';
    const byTest = await cli(['show', test], { cwd: root });
    expect(byTest.stdout.match(/^recordings\/\S+$/gm)).toEqual(['recordings/seeds/003_79777c1311e9b0e4.json', 'recordings/seeds/004_93e64aa372a341f8.json']);
  });

  it('says what is wrong: a broken recording (exit 1), a target that names nothing (exit 2)', async () => {
    const { root, dir } = await projectWithFixtures();
    await writeFile(path.join(dir, 'broken.json'), '{"request": {}}');
    const broken = await cli(['show', 'recordings/broken.json'], { cwd: root });
    expect(broken).toEqual({ code: 1, stdout: 'recordings/broken.json\nbroken: request.method: Invalid input: expected string, received undefined\n', stderr: '' });
    const nothing = await cli(['show', 'no such thing'], { cwd: root });
    expect(nothing).toEqual({ code: 2, stdout: '', stderr: 'ai-vcr: no such thing is not a file, a key, or the test id of any recording in recordings\n' });
    const noKey = await cli(['show', 'a'.repeat(64)], { cwd: root });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toBe(`ai-vcr: no recording in recordings answers key ${'a'.repeat(64)} (with --scope test, keys include test ids)\n`);
  });
});
