import { eventstream } from './eventstream.js';
import type { Framing } from './framing.js';
import { ndjson } from './ndjson.js';
import { sse } from './sse.js';

/** Every framing a recording's `response.stream.framing` may name. */
export const FRAMINGS: Record<Framing['name'], Framing> = { sse, ndjson, eventstream };
