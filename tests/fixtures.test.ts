import OpenAI from 'openai';
import OpenAIv4 from 'openai-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupRecorder, type Recorder } from '../src/index.js';
import { blockedConnections } from './support/no-network.js';
import { FIXTURES, fixtureFiles, recordedBaseUrl, type FixtureFile } from './support/fixtures.js';

// Every real llama-stack recording bundled in fixtures/ must replay through the openai SDK
// exactly: each streamed chunk, or the whole object, equal to the recorded __data__.
const files = await fixtureFiles();
const sdks = [
  { name: 'openai v6', Client: OpenAI },
  { name: 'openai v4', Client: OpenAIv4 as unknown as typeof OpenAI },
];

let vcr: Recorder;
beforeAll(() => {
  vcr = setupRecorder({ mode: 'replay', dir: FIXTURES });
});
afterAll(() => vcr.close());

async function callAsRecorded(client: OpenAI, { recording }: FixtureFile): Promise<unknown> {
  const { endpoint, body } = recording.request;
  switch (endpoint) {
    case '/v1/chat/completions':
      return collect(await client.chat.completions.create(body));
    case '/v1/completions':
      return collect(await client.completions.create(body));
    case '/v1/embeddings':
      return client.embeddings.create(body);
    case '/v1/models':
      return (await client.models.list()).data;
    default:
      throw new Error(`no call for ${endpoint}`);
  }
}

async function collect(result: unknown): Promise<unknown> {
  if (!(result && typeof result === 'object' && Symbol.asyncIterator in result)) return result;
  const chunks: unknown[] = [];
  for await (const chunk of result as AsyncIterable<unknown>) chunks.push(chunk);
  return chunks;
}

function expected({ recording }: FixtureFile): unknown {
  const { body } = recording.response;
  return Array.isArray(body) ? body.map((object: { __data__: unknown }) => object.__data__) : body.__data__;
}

describe.each(sdks)('bundled recordings through $name', ({ Client }) => {
  it.each(files.filter((f) => !f.recording.response.is_exception))('$name replays its recorded data', async (fixture) => {
    const client = new Client({ apiKey: 'sk-test', baseURL: recordedBaseUrl(fixture.recording.request.url, fixture.recording.request.endpoint), maxRetries: 0 });
    expect(await callAsRecorded(client, fixture)).toEqual(expected(fixture));
  });

  it.each(files.filter((f) => f.recording.response.is_exception))('$name throws the recorded API error', async (fixture) => {
    const client = new Client({ apiKey: 'sk-test', baseURL: recordedBaseUrl(fixture.recording.request.url, fixture.recording.request.endpoint), maxRetries: 0 });
    const data = fixture.recording.response.exception_data;
    const error = await callAsRecorded(client, fixture).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Client.BadRequestError);
    expect(error).toMatchObject({ status: data.status_code, error: data.body });
  });

  it('never tried the network', () => {
    expect(blockedConnections()).toEqual([]);
  });
});

it('bundles every seed and sample unchanged', async () => {
  const { readdir, readFile } = await import('node:fs/promises');
  for (const folder of ['seeds', 'samples']) {
    const shared = new URL(`../../shared/${folder}/`, import.meta.url);
    const entries = await readdir(shared, { withFileTypes: true }).catch(() => undefined);
    if (!entries) continue;
    // Subfolders (samples/providers) hold other APIs' traffic, bundled by the tests that use it.
    for (const name of entries.filter((entry) => entry.isFile()).map((entry) => entry.name)) {
      const original = await readFile(new URL(name, shared), 'utf8');
      expect(await readFile(`${FIXTURES}/${folder}/${name}`, 'utf8'), `${folder}/${name}`).toBe(original);
    }
  }
});
