import type { Framing, WireEvent } from '../wire/framing.js';

/**
 * What is specific to one LLM API. The engine (key, store, record, replay, summary) knows none of
 * them by name: it asks the module that recognised a request. Adding an API is one module like
 * this and a row in `./index.ts`.
 */
export interface Api {
  /** For messages and the `api` of events: `openai`, `anthropic`, ... */
  name: string;
  /** What a miss tells a user to set to record: the credentials its SDKs read (`OPENAI_API_KEY`). */
  credentials: string;
  /**
   * Hosts of this API's own service (api.anthropic.com, bedrock-runtime.*.amazonaws.com). In
   * replay mode no call to them reaches the network, whether its endpoint is recorded or not.
   */
  hosts: readonly RegExp[];
  /**
   * The canonical endpoint of a request path, for the endpoints this API records, at any host:
   * what is keyed and stored in `request.endpoint`. Parts of the path that name a model stay;
   * parts that vary with the caller (a prefix, a Vertex project and location) go. Also given
   * stored endpoints (llama-stack's `/v1/chat/completions`, `/api/ps`), which are then
   * recognised too. `headers` is absent for stored ones. `null`: a path of this API that is one
   * of its other JSON endpoints (Gemini's model list), kept from a module that matches by suffix
   * and recorded generically, as a call at the API's host would be.
   */
  endpoint(path: string, headers?: Headers): string | null | undefined;
  /** The model the endpoint's path names (Gemini's `/models/{m}:generateContent`), for requests whose body names none. */
  model?(endpoint: string): string | undefined;
  /** The method a call to the endpoint really uses; a stored method is corrected to it (llama-stack writes POST for GETs). */
  method(endpoint: string): 'GET' | 'POST';
  /**
   * Whether the endpoint's request body is JSON whatever its content-type says (Bedrock's
   * InvokeModel, which its SDK labels application/octet-stream), so it is keyed, not refused as binary.
   */
  jsonBody?(endpoint: string): boolean;
  /** The framing of the endpoint's streamed answers, when an upstream's content-type does not say. */
  framings: readonly Framing[];
  /** How a complete streamed answer ends, for telling it from one cut short. */
  stream(endpoint: string): StreamEnd;
  /** The `__type__` written for a response object: the API's own name for it. */
  typeName(endpoint: string, streaming: boolean): string;
  /**
   * The response object with the ids and times a client never sends back made deterministic,
   * so re-recording an unchanged answer gives the same file. `id` is `rec-<first 12 hex of the key>`.
   */
  normalize(data: Record<string, unknown>, endpoint: string, id: string): Record<string, unknown>;
  /** An answer ai-vcr gives itself (a miss, a broken recording, a refused call), in this API's error shape, so its SDK throws its own error class with our message. */
  error(status: 404 | 422, code: string, message: string): Response;
  /**
   * How a recorded error is stored: OpenAI's SDKs (and llama-stack) keep the inner `error`; others
   * keep the whole answer. `id` is what `normalize` gets, for an error that carries a request id.
   */
  errorBody?(answer: Record<string, unknown>, id: string, headers: Headers): { body: unknown; wrapped: boolean };
  /** A stored stream event's data as it travels, when the recording keeps it in another form (Bedrock's base64 chunks, stored decoded). */
  wire?(data: Record<string, unknown>, endpoint: string): Record<string, unknown>;
  /**
   * For streams recorded without `response.stream` (llama-stack's first format): the event names
   * and terminator its API would have sent, since the file does not say.
   */
  legacyStream?(types: readonly string[]): { names: 'type' | 'none'; terminator: string | undefined };
  /** An endpoint whose recordings are merged into one answer (OpenAI's model list), if the API has one. */
  list?: { endpoint: string; respond(data: Record<string, unknown>[]): Response };
  /** What a recorded call says, for `ai-vcr show` and `report`: the question, and the answer put together from its objects. */
  describe?(endpoint: string, body: unknown, objects: readonly Record<string, unknown>[], streamed: boolean): Description;
}

/** A recorded call as a person reads it. Fields an endpoint lacks stay empty. */
export interface Description {
  /** The request's messages (or prompt, or inputs), in order. */
  messages: { role: string; text: string }[];
  /** Names of the tools the request offered. */
  tools: string[];
  text: string;
  reasoning: string;
  calls: { name: string; arguments: string }[];
  finish?: string;
  /** Token counts, whatever the API calls them. */
  usage?: { input_tokens?: number; output_tokens?: number; total_tokens?: number };
}

export interface StreamEnd {
  /** Whether this event, after the `before` ones, ends a complete answer. Streams are searched from their end. */
  ends(event: WireEvent, before: readonly WireEvent[]): boolean;
  /** What a complete answer ends with, for the message when one did not. */
  expected: string;
}

/** The parsed data of an event, when it is a JSON object. */
export function objectOf(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
