/**
 * A stand-in for the OpenAI API on 127.0.0.1, for the record phase of `npm run examples`: it
 * answers each chat request with what a recording in the given directory answered, framed as
 * the real API frames it (server-sent events one chunk at a time, ending with `[DONE]`, or one
 * JSON body), so that the examples can be recorded anew without a key or a network.
 * Prints its base URL, then serves until it is killed.
 *
 *   node examples/upstream.mjs examples/vitest/recordings
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node examples/upstream.mjs <recordings dir>');

/** JSON with object keys sorted, so that a request matches whatever order its SDK wrote. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const answers = new Map();
for (const name of await readdir(dir)) {
  if (!name.endsWith('.json')) continue;
  const { request, response } = JSON.parse(await readFile(path.join(dir, name), 'utf8'));
  answers.set(canonical(request.body), response);
}

const server = createServer(async (req, res) => {
  let text = '';
  for await (const chunk of req) text += chunk;
  const answer = answers.get(canonical(JSON.parse(text)));
  if (!answer) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no recording in ${dir} answers this request`, type: 'invalid_request_error' } }));
    return;
  }
  if (!answer.is_streaming) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body.__data__));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const chunk of answer.body) {
    res.write(`data: ${JSON.stringify(chunk.__data__)}\n\n`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  res.end('data: [DONE]\n\n');
});

server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}/v1`));
