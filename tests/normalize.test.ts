import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestKey } from '../src/key.js';
import { createNormalizer, type NormalizeRule } from '../src/normalize.js';
import { resolveOptions } from '../src/options.js';

const keyWith = (rules: NormalizeRule[]) => {
  const normalize = createNormalizer(rules);
  return (body: unknown) => requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body: normalize(body) });
};

const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'gpt-test', messages: [{ role: 'user', content, ...extra }] });

const isoTimestamp = fc.date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }).map((date) => date.toISOString());
const uuid = fc.uuid();
/** Text that no built-in rule changes, so it differs "outside the rule". */
const plain = (rules: NormalizeRule[]) => fc.string({ maxLength: 20 }).filter((text) => createNormalizer(rules)(text) === text);

describe('normalize rules', () => {
  it('iso-timestamps: requests that differ only in a timestamp share a key; any other difference keeps keys apart', () => {
    const rules: NormalizeRule[] = ['iso-timestamps'];
    const key = keyWith(rules);
    fc.assert(
      fc.property(plain(rules), plain(rules), isoTimestamp, isoTimestamp, (before, after, t1, t2) => {
        expect(key(chat(`${before} ${t1} ${after}`))).toBe(key(chat(`${before} ${t2} ${after}`)));
      }),
    );
    fc.assert(
      fc.property(plain(rules), plain(rules), isoTimestamp, isoTimestamp, (a, b, t1, t2) => {
        fc.pre(a !== b);
        expect(key(chat(`${a} ${t1}`))).not.toBe(key(chat(`${b} ${t2}`)));
      }),
    );
  });

  it('uuids: the same, for UUIDs in any string value', () => {
    const rules: NormalizeRule[] = ['uuids'];
    const key = keyWith(rules);
    fc.assert(
      fc.property(plain(rules), plain(rules), uuid, uuid, (a, b, u1, u2) => {
        expect(key({ ...chat(a), user: u1 })).toBe(key({ ...chat(a), user: u2 }));
        if (a !== b) expect(key({ ...chat(`${a} ${u1}`) })).not.toBe(key({ ...chat(`${b} ${u2}`) }));
      }),
    );
  });

  it('ignore: a path with [*] drops that field of every element, and nothing beside it', () => {
    const rules: NormalizeRule[] = [{ ignore: 'messages[*].metadata' }];
    const key = keyWith(rules);
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.jsonValue(), fc.jsonValue(), (a, b, m1, m2) => {
        // The ignored field differs: one key.
        expect(key(chat(a, { metadata: m1 }))).toBe(key(chat(a, { metadata: m2 })));
        expect(key(chat(a, { metadata: m1 }))).toBe(key(chat(a)));
        if (a === b) return;
        // Anything else differs: the content, a sibling, the same name at another depth.
        expect(key(chat(a, { metadata: m1 }))).not.toBe(key(chat(b, { metadata: m2 })));
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (m1, m2) => {
        fc.pre(JSON.stringify(m1) !== JSON.stringify(m2));
        expect(key({ ...chat('x'), metadata: m1 })).not.toBe(key({ ...chat('x'), metadata: m2 }));
        expect(key(chat('x', { name: m1 }))).not.toBe(key(chat('x', { name: m2 })));
      }),
    );
  });

  it('replace: a user pattern with its placeholder, in strings at any depth, not in keys or numbers', () => {
    const rules: NormalizeRule[] = [{ replace: 'req-\\d+', with: '<req>' }];
    const normalize = createNormalizer(rules);
    expect(normalize({ a: ['see req-12 and req-345'], 'req-1': 7, n: 12 })).toEqual({ a: ['see <req> and <req>'], 'req-1': 7, n: 12 });
    const key = keyWith(rules);
    fc.assert(
      fc.property(plain(rules), plain(rules), fc.nat(), fc.nat(), (a, b, n1, n2) => {
        expect(key(chat(`${a} req-${n1}`))).toBe(key(chat(`${a} req-${n2}`)));
        if (a !== b) expect(key(chat(`${a} req-${n1}`))).not.toBe(key(chat(`${b} req-${n2}`)));
      }),
    );
  });

  it('round: floats that round alike share a key; integers and floats a digit apart do not', () => {
    const key = keyWith([{ round: 2 }]);
    expect(key({ ...chat('x'), temperature: 0.7000000000000001 })).toBe(key({ ...chat('x'), temperature: 0.7 }));
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -0.004, max: 0.004, noNaN: true }), (a, b, jitter) => {
        const value = (hundredths: number) => hundredths / 100 + jitter;
        expect(key({ ...chat('x'), top_p: value(a) })).toBe(key({ ...chat('x'), top_p: a / 100 }));
        if (a !== b) {
          expect(key({ ...chat('x'), top_p: value(a) })).not.toBe(key({ ...chat('x'), top_p: value(b) }));
          expect(key({ ...chat('x'), max_tokens: a })).not.toBe(key({ ...chat('x'), max_tokens: b }));
        }
      }),
    );
  });

  it('a function rule gets a copy: the request it is given, which is recorded, stays as sent', () => {
    const body = chat('hello', { metadata: { run: 1 } });
    const sent = structuredClone(body);
    const normalize = createNormalizer([
      (value) => {
        (value as ReturnType<typeof chat>).messages[0]!.content = 'changed';
        return value;
      },
    ]);
    expect(normalize(body)).toEqual(chat('changed', { metadata: { run: 1 } }));
    expect(body).toEqual(sent);
  });

  it('no rules: the key is what it always was', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        expect(keyWith([])(body)).toBe(requestKey({ method: 'POST', endpoint: '/v1/chat/completions', body }));
      }),
    );
  });
});

describe('normalize option', () => {
  it('takes JSON rules from a runner and says a function is for code only', () => {
    expect(resolveOptions({ normalize: ['iso-timestamps', { ignore: 'messages[*].metadata' }, { round: 3 }] }, {}).normalize).toHaveLength(3);
    expect(() => resolveOptions({ normalize: [(body: unknown) => body] }, {})).toThrow(
      /normalize\.0: a function rule is not JSON, so it cannot come from the vitest provide or jest reporter options .*pass it to setupRecorder\(\) or recorderHandlers\(\) .*\(got a function\)/,
    );
    expect(resolveOptions({ normalize: [(body: unknown) => body] }, {}, 'code').normalize).toHaveLength(1);
  });

  it('names what is wrong with a bad rule', () => {
    const problem = (rule: unknown) => () => resolveOptions({ normalize: [rule] }, {});
    expect(problem('timestamps')).toThrow(/normalize\.0: unknown built-in "timestamps": expected "iso-timestamps", "uuids"/);
    expect(problem({ ignore: 'messages[*' })).toThrow(/"messages\[\*" is not a path/);
    expect(problem({ replace: '(', with: 'x' })).toThrow(/replace: not a regular expression/);
    expect(problem({ replace: 'a*', with: 'x' })).toThrow(/matches the empty string/);
    expect(problem({ round: 1.5 })).toThrow(/round: expected a whole number of digits from 0 to 15/);
    expect(problem({ ignore: 'a', replace: 'b' })).toThrow(/expected "iso-timestamps"/);
    expect(() => resolveOptions({ sequence: 'yes' }, {})).toThrow(/sequence: /);
  });
});
