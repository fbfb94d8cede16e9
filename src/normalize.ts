/**
 * Request normalization: rules that rewrite a request body before it is keyed, applied alike to
 * the live request and to the request stored in each recording, so that a rule added later makes
 * existing recordings match without recording them again. It is for keying only: a recording
 * keeps the request as it was sent.
 */

/** Rules a user switches on by name. */
export const BUILT_INS = {
  /** 2026-12-01T19:18:56Z, 2026-12-01T19:18:56.123+01:00, 2026-12-01T19:18 */
  'iso-timestamps': { replace: String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?`, with: '<timestamp>' },
  /** Any RFC 9562 UUID, in either case. */
  uuids: { replace: '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', with: '<uuid>' },
} as const;

export type BuiltIn = keyof typeof BUILT_INS;

/** The rules that can be written as JSON, so can come from a vitest `provide` or jest reporter options. */
export type JsonRule =
  | BuiltIn
  /** Leave out the value at a path into the body: `messages[*].metadata`, `metadata.*`, `messages[0].name`. */
  | { ignore: string }
  /** Replace every match of a regular expression (JavaScript syntax) in any string value of the body. */
  | { replace: string; with: string }
  /** Round every number that is not an integer to this many decimal digits. */
  | { round: number };

/** For code only: gets a copy of the body, returns the body to key by. */
export type NormalizeFunction = (body: unknown) => unknown;

export type NormalizeRule = JsonRule | NormalizeFunction;

const MAX_DIGITS = 15;

/** What is wrong with a rule, or undefined when it is one. */
export function ruleProblem(rule: unknown, functions: boolean): string | undefined {
  const expected = `expected "${Object.keys(BUILT_INS).join('", "')}", { ignore: "path" }, { replace: "regex", with: "text" } or { round: digits }`;
  if (typeof rule === 'function') {
    if (functions) return undefined;
    return 'a function rule is not JSON, so it cannot come from the vitest provide or jest reporter options (they are passed to workers as JSON); pass it to setupRecorder() or recorderHandlers() in code, or use a JSON rule';
  }
  if (typeof rule === 'string') return rule in BUILT_INS ? undefined : `unknown built-in "${rule}": ${expected}`;
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return expected;
  const keys = Object.keys(rule).sort().join(',');
  const value = rule as Record<string, unknown>;
  if (keys === 'ignore') {
    if (typeof value.ignore !== 'string') return 'ignore: expected a path such as "messages[*].metadata"';
    return pathProblem(value.ignore);
  }
  if (keys === 'replace,with') {
    if (typeof value.replace !== 'string' || typeof value.with !== 'string') return 'replace and with: expected two strings';
    try {
      new RegExp(value.replace, 'g');
    } catch (error) {
      return `replace: not a regular expression (${(error as Error).message})`;
    }
    if (new RegExp(value.replace).test('')) return `replace: "${value.replace}" matches the empty string, so it would rewrite every string`;
    return undefined;
  }
  if (keys === 'round') {
    const digits = value.round;
    return Number.isInteger(digits) && (digits as number) >= 0 && (digits as number) <= MAX_DIGITS ? undefined : `round: expected a whole number of digits from 0 to ${MAX_DIGITS}`;
  }
  return expected;
}

type Segment = { kind: 'key'; name: string } | { kind: 'index'; index: number } | { kind: 'any' };

const SEGMENT = /^(?:\.?([^.[\]]+)|\[(\d+|\*)\])/;

function parsePath(path: string): Segment[] | undefined {
  const segments: Segment[] = [];
  for (let rest = path; rest !== ''; ) {
    const match = SEGMENT.exec(rest);
    // A leading dot only between segments: ".a" and "a..b" are typos.
    if (!match || (segments.length === 0 && rest.startsWith('.'))) return undefined;
    const [whole, name, bracket] = match;
    if (name !== undefined) segments.push(name === '*' ? { kind: 'any' } : { kind: 'key', name });
    else segments.push(bracket === '*' ? { kind: 'any' } : { kind: 'index', index: Number(bracket) });
    rest = rest.slice(whole.length);
  }
  return segments.length > 0 ? segments : undefined;
}

function pathProblem(path: string): string | undefined {
  return parsePath(path) ? undefined : `ignore: "${path}" is not a path: write keys with dots and array elements in brackets, e.g. "messages[*].metadata" or "tools[0].function.description"`;
}

/**
 * The rules as one function from a body to the body to key by. Without rules it is the identity,
 * so keys, and the names of the files they give, are what they always were.
 */
/** The normalizer of no rules. One function, so that a store can tell it apart and reuse keys computed without rules. */
export function unnormalized(body: unknown): unknown {
  return body;
}

export function createNormalizer(rules: readonly NormalizeRule[] = []): (body: unknown) => unknown {
  if (rules.length === 0) return unnormalized;
  const steps = rules.map(stepOf);
  return (body) => steps.reduce((value, step) => step(value), structuredCloneJson(body));
}

function stepOf(rule: NormalizeRule): (body: unknown) => unknown {
  if (typeof rule === 'function') {
    return (body) => {
      try {
        return rule(body);
      } catch (error) {
        throw new Error(`the normalize function threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
    };
  }
  const resolved = typeof rule === 'string' ? BUILT_INS[rule] : rule;
  if ('ignore' in resolved) {
    const segments = parsePath(resolved.ignore)!;
    return (body) => without(body, segments);
  }
  if ('replace' in resolved) {
    const pattern = new RegExp(resolved.replace, 'g');
    return (body) => mapStrings(body, (text) => text.replace(pattern, resolved.with));
  }
  const { round } = resolved;
  return (body) => mapNumbers(body, (number) => (Number.isInteger(number) ? number : Number(number.toFixed(round))));
}

/** A deep copy, so a rule (a user's function especially) cannot change the request that is recorded. */
function structuredCloneJson(body: unknown): unknown {
  return body === null || typeof body !== 'object' ? body : structuredClone(body);
}

/** The value with whatever the path reaches removed (an array element removed leaves the others in place). */
function without(value: unknown, segments: Segment[]): unknown {
  const [first, ...rest] = segments;
  if (!first) return value;
  if (Array.isArray(value)) {
    if (first.kind === 'key') return value;
    const chosen = (index: number) => first.kind === 'any' || first.index === index;
    if (rest.length === 0) return value.filter((_, index) => !chosen(index));
    return value.map((element, index) => (chosen(index) ? without(element, rest) : element));
  }
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (first.kind === 'index') return object;
  const names = first.kind === 'any' ? Object.keys(object) : [first.name];
  const copy = { ...object };
  for (const name of names) {
    if (!(name in copy)) continue;
    if (rest.length === 0) delete copy[name];
    else copy[name] = without(copy[name], rest);
  }
  return copy;
}

function mapStrings(value: unknown, change: (text: string) => string): unknown {
  if (typeof value === 'string') return change(value);
  return mapChildren(value, (child) => mapStrings(child, change));
}

function mapNumbers(value: unknown, change: (number: number) => number): unknown {
  if (typeof value === 'number') return change(value);
  return mapChildren(value, (child) => mapNumbers(child, change));
}

function mapChildren(value: unknown, map: (child: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map(map);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([name, child]) => [name, map(child)]));
}
