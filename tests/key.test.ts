import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelOfCall } from '../src/apis/index.js';
import { parseBody, requestKey } from '../src/key.js';

/** Rebuild an object with its keys in another order, at every depth. */
function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, seed));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    const rotated = entries.slice(seed % (entries.length || 1)).concat(entries.slice(0, seed % (entries.length || 1))).reverse();
    return Object.fromEntries(rotated.map(([key, item]) => [key, shuffleKeys(item, seed + 1)]));
  }
  return value;
}

const body = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 });
const key = (text: string) => requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: parseBody(text) });

describe('request key', () => {
  it('is the same for compact (openai v6) and pretty (openai v4) JSON, whatever the key order', () => {
    fc.assert(
      fc.property(body, fc.nat(), (value, seed) => {
        const compact = JSON.stringify(value);
        expect(key(JSON.stringify(shuffleKeys(value, seed), null, 2))).toBe(key(compact));
      }),
    );
  });

  it('ignores undefined fields', () => {
    fc.assert(
      fc.property(body, fc.string(), (value, extra) => {
        fc.pre(!(extra in value));
        const keyOf = (parsed: unknown) => requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: parsed });
        expect(keyOf({ ...value, [extra]: undefined })).toBe(keyOf(value));
      }),
    );
  });

  it('differs when any value differs', () => {
    fc.assert(
      fc.property(body, fc.string(), fc.jsonValue(), fc.jsonValue(), (value, field, a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(key(JSON.stringify({ ...value, [field]: a }))).not.toBe(key(JSON.stringify({ ...value, [field]: b })));
      }),
    );
  });

  it('separates endpoints and methods', () => {
    const parsed = parseBody('{"model":"m"}');
    expect(requestKey({ method: 'POST', endpoint: '/v1/completions', body: parsed })).not.toBe(
      requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: parsed }),
    );
  });
});

describe('the model a request asks for', () => {
  it("is the body's model, else the one its path names", () => {
    expect(modelOfCall('/v1/chat/completions', { model: 'gpt-4o' })).toBe('gpt-4o');
    expect(modelOfCall('/v1beta/models/gemini-2.5-flash:streamGenerateContent', { contents: [] })).toBe('gemini-2.5-flash');
    expect(modelOfCall('/v1/models', null)).toBeUndefined();
  });
});
