import type { Framing } from './framing.js';
import { sse } from './sse.js';

/** Every framing a recording's `response.stream.framing` may name. */
export const FRAMINGS: Record<Framing['name'], Framing | undefined> = { sse, ndjson: undefined, eventstream: undefined };
