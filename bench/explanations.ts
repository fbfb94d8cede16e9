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
  'first-replay-foreign':
    "A file ai-vcr did not name cannot be opened by name, so each test file's first lookup loads the index: it lists the directory, stats every file (a changed recording must not be answered from the cache), reads and validates the cache file and puts every cached request in a map (hashing them again only when normalize rules or `scope: 'test'` apply). No recording is read, but all of that still grows with the directory, a few ms per thousand recordings. What would close the gap: `ai-vcr import`, which renames llama-stack recordings to `<key>.json` so that every hit is by name (the `<key>.json` rows); trusting directory mtimes instead of one stat per file would miss recordings edited in place.",
  suite:
    "The directory's size no longer matters (compare the two ai-vcr rows): what costs is per test file. Each worker runs ai-vcr's setup file, which loads zod (70 to 100 ms on this machine), ai-vcr's own modules and msw, starts the interceptor and reports the file's calls to the run; a hand-written handler loads msw alone. Times the number of files over the number of workers, that is the gap. What would close it: not loading zod in the worker on the replay path (a cheap shape check, with zod loaded only to describe a recording that fails it).",
  'record-first-chunk':
    'The upstream call goes through MSW: `fetch(bypass(request))` clones the request and passes the interceptor again, and the response is teed so the recorder can parse its copy; the bypass floor row shows MSW\'s own share. MSW\'s `passthrough()` with the `response:bypass` event reaches the first chunk about 1.5 ms sooner, at the cost of recording from MSW\'s copy of the response instead of a tee ai-vcr owns.',
};
