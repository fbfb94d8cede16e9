import type { TargetId } from './report.ts';

/**
 * Written by hand, by whoever knows the library's internals: why ai-vcr misses a target and what
 * would close it. The report prints an entry, after the measured gap, only while that target is
 * missed, so the explanation survives every rerun of the bench that rewrites BENCHMARKS.md.
 */
export const whyMissed: Record<TargetId, string> = {
  'replay-streamed':
    'Per request ai-vcr does what the floor skips: it reads and parses the request body, canonicalizes and hashes it (SHA-256) to find the recording, and builds a fresh stream from the pre-encoded events, one chunk per event so clients read the stream event by event. The lookup is a Map hit after the first load. What would close the gap: memoizing the key by the raw body text, so a repeated request skips parsing and hashing.',
  'replay-json':
    'The floor answers without reading the request; ai-vcr must read, parse, canonicalize and hash it before it knows which recording to serve (the JSON body itself is encoded once per recording). For a completion that costs the same absolute time as for a stream but weighs more against a faster floor. What would close the gap: memoizing the key by the raw body text.',
  'cold-start':
    '`setupRecorder()` reads no recording and a hit by key opens exactly one file, so nothing should grow with the directory; a miss here means the directory index was built, i.e. the measured request did not hit its key file, or noise (compare the per-round range).',
  'record-first-chunk':
    'The upstream call goes through MSW: `fetch(bypass(request))` clones the request and passes the interceptor again, and the response is teed so the recorder can parse its copy; the bypass floor row shows MSW\'s own share. MSW\'s `passthrough()` with the `response:bypass` event reaches the first chunk about 1.5 ms sooner, at the cost of recording from MSW\'s copy of the response instead of a tee ai-vcr owns.',
};
