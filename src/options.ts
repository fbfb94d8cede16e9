import path from 'node:path';
import { z } from 'zod/v4';
import { ruleProblem, type JsonRule, type NormalizeRule } from './normalize.js';

export const MODES = ['replay', 'record-if-missing', 'record', 'live'] as const;
export type Mode = (typeof MODES)[number];

const Mode = z.enum(MODES);

export const SCOPES = ['request', 'test'] as const;
export type Scope = (typeof SCOPES)[number];

const MAX_DELAY_MS = 60_000;

/** A normalize rule as JSON: what runner options (and the options handed to workers) can hold. */
const JsonRuleSchema = z.custom<JsonRule>((rule) => ruleProblem(rule, false) === undefined, { error: (issue) => ruleProblem(issue.input, false) });
/** In code (setupRecorder(), recorderHandlers()) a rule may also be a function. */
const CodeRuleSchema = z.custom<NormalizeRule>((rule) => ruleProblem(rule, true) === undefined, { error: (issue) => ruleProblem(issue.input, true) });

export const OptionsSchema = z.strictObject({
  /** What happens to an LLM call: see README, "Modes". Default `replay`. */
  mode: Mode.optional(),
  /** Where recordings live, relative to the working directory. Default `recordings`. */
  dir: z.string().min(1).optional(),
  /**
   * Only calls under these URL prefixes are LLM calls (e.g. `https://api.openai.com/v1`).
   * Default: any host, so every request whose path ends in an OpenAI endpoint.
   */
  baseUrls: z.array(z.url()).min(1).optional(),
  /**
   * `request` (default): one recording per distinct request, shared by every test that makes it.
   * `test`: the test's id is part of the key, so identical requests in different tests can
   * hold different answers. Needs a runner integration (ai-vcr/vitest or ai-vcr/jest).
   */
  scope: z.enum(SCOPES).optional(),
  /**
   * Pacing of replayed streams: 0 (default) sends chunks as fast as the client reads them,
   * a number waits that many ms before each chunk, `recorded` reproduces the recorded timing.
   */
  delay: z
    .union([z.literal('recorded'), z.number().nonnegative().max(MAX_DELAY_MS)], { error: `must be a number of milliseconds from 0 to ${MAX_DELAY_MS}, or "recorded"` })
    .optional(),
  /**
   * Also record upstream 400, 404 and 422 errors, which are deterministic, so a test of error
   * handling replays offline. 429, 5xx and network errors are never recorded. Default false.
   */
  recordErrors: z.boolean().optional(),
  /**
   * Rules that rewrite each request body before it is keyed, for the live request and for the
   * request stored in each recording alike (see docs/matching.md). Default none: matching is exact.
   * JSON rules only here: "iso-timestamps", "uuids", { ignore }, { replace, with }, { round }.
   * A function rule is not JSON, so it is accepted only in code, by setupRecorder() and recorderHandlers().
   */
  normalize: z.array(JsonRuleSchema).optional(),
  /**
   * The n-th identical request of a test (without a runner: of the recorder's lifetime) gets the
   * n-th recording of that request, so a loop or a retry can get different answers. Default false.
   */
  sequence: z.boolean().optional(),
});

/** The options setupRecorder() and recorderHandlers() take: those of OptionsSchema, and function rules too. */
export const CodeOptionsSchema = OptionsSchema.extend({
  normalize: z.array(CodeRuleSchema).optional(),
});

export type RecorderOptions = z.input<typeof CodeOptionsSchema>;

/** The options a runner integration takes (vitest `provide`, jest reporter options): JSON only. */
export type RunnerOptions = z.input<typeof OptionsSchema>;

const EnvSchema = z.object({
  AI_VCR_MODE: Mode.optional(),
  AI_VCR_DIR: z.string().min(1).optional(),
});

/**
 * Options after defaults and the environment. A schema too, because runner integrations hand
 * them from the runner's main process to its workers as JSON.
 */
export const ResolvedOptionsSchema = z.object({
  mode: Mode,
  /** Absolute. */
  dir: z.string().min(1),
  baseUrls: z.array(z.string()).optional(),
  scope: z.enum(SCOPES),
  delay: z.union([z.literal('recorded'), z.number()]),
  recordErrors: z.boolean(),
  normalize: z.array(JsonRuleSchema),
  sequence: z.boolean(),
  /** Which settings came from the environment, so messages can repeat them in commands. */
  fromEnv: z.object({ mode: z.boolean(), dir: z.boolean() }),
});

/** Options that can cross to workers: resolved from a runner's options, so with JSON rules only. */
export type JsonResolvedOptions = z.infer<typeof ResolvedOptionsSchema>;

/** In-process, from setupRecorder() or recorderHandlers(), the rules may include functions. */
export type ResolvedOptions = Omit<JsonResolvedOptions, 'normalize'> & { normalize: NormalizeRule[] };

export const DEFAULT_DIR = 'recordings';

/**
 * Options from code, overridden by AI_VCR_MODE and AI_VCR_DIR: the environment wins so
 * that a suite can be switched to recording from the command line without editing it.
 * `from`: `code` for options given to setupRecorder() or recorderHandlers(), which may hold
 * functions; `json` (default) for a runner's options, which must cross to workers as JSON.
 */
export function resolveOptions(options?: unknown, env?: NodeJS.ProcessEnv, from?: 'json'): JsonResolvedOptions;
export function resolveOptions(options: unknown, env: NodeJS.ProcessEnv, from: 'code'): ResolvedOptions;
export function resolveOptions(options: unknown = {}, env: NodeJS.ProcessEnv = process.env, from: 'json' | 'code' = 'json'): ResolvedOptions {
  const parsed = (from === 'code' ? CodeOptionsSchema : OptionsSchema).safeParse(options ?? {});
  if (!parsed.success) throw new TypeError(`ai-vcr: invalid options: ${formatIssues(parsed.error, options)}`);
  const fromEnvRaw = {
    AI_VCR_MODE: env.AI_VCR_MODE || undefined,
    AI_VCR_DIR: env.AI_VCR_DIR || undefined,
  };
  const fromEnv = EnvSchema.safeParse(fromEnvRaw);
  if (!fromEnv.success) throw new TypeError(`ai-vcr: invalid environment: ${formatIssues(fromEnv.error, fromEnvRaw)}`);
  const { AI_VCR_MODE, AI_VCR_DIR } = fromEnv.data;
  return {
    mode: AI_VCR_MODE ?? parsed.data.mode ?? 'replay',
    dir: path.resolve(AI_VCR_DIR ?? parsed.data.dir ?? DEFAULT_DIR),
    baseUrls: parsed.data.baseUrls?.map(normalizeBaseUrl),
    scope: parsed.data.scope ?? 'request',
    delay: parsed.data.delay ?? 0,
    recordErrors: parsed.data.recordErrors ?? false,
    normalize: parsed.data.normalize ?? [],
    sequence: parsed.data.sequence ?? false,
    fromEnv: { mode: AI_VCR_MODE !== undefined, dir: AI_VCR_DIR !== undefined },
  };
}

/**
 * A base URL as `origin + path`, without a trailing slash: the form request URLs are compared
 * against, so that `HTTPS://API.openai.com:443/v1/` and `https://api.openai.com/v1` are one.
 */
function normalizeBaseUrl(base: string): string {
  const url = new URL(base);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function formatIssues(error: z.ZodError, input: unknown): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'options';
      const value = issue.path.reduce<unknown>((object, key) => (object as Record<PropertyKey, unknown>)?.[key], input);
      const got = issue.code === 'unrecognized_keys' ? '' : ` (got ${value === undefined ? 'undefined' : typeof value === 'function' ? 'a function' : JSON.stringify(value)})`;
      return `${where}: ${issue.message}${got}`;
    })
    .join('; ');
}
