import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/options.js';

describe('options', () => {
  it('defaults to replay mode and ./recordings', () => {
    expect(resolveOptions(undefined, {})).toMatchObject({ mode: 'replay', dir: path.resolve('recordings') });
  });

  it('lets AI_VCR_MODE and AI_VCR_DIR override the options given in code', () => {
    const resolved = resolveOptions({ mode: 'replay', dir: 'a' }, { AI_VCR_MODE: 'record', AI_VCR_DIR: '/tmp/b' });
    expect(resolved).toMatchObject({ mode: 'record', dir: '/tmp/b', fromEnv: { mode: true, dir: true } });
    expect(resolveOptions({ mode: 'live', dir: 'a' }, { AI_VCR_MODE: '' })).toMatchObject({ mode: 'live', dir: path.resolve('a') });
  });

  it('rejects a bad option with a message that names it and the value given', () => {
    expect(() => resolveOptions({ mode: 'playback' }, {})).toThrow(/ai-vcr: invalid options: mode: .*"replay".*"record-if-missing".*\(got "playback"\)/);
    expect(() => resolveOptions({ dir: '' }, {})).toThrow(/dir: .*\(got ""\)/);
    expect(() => resolveOptions({ directory: 'x' }, {})).toThrow(/Unrecognized key: "directory"/);
    expect(() => resolveOptions({ baseUrls: ['not a url'] }, {})).toThrow(/baseUrls.0: .*\(got "not a url"\)/);
  });

  it('rejects a delay out of range, saying the range', () => {
    expect(() => resolveOptions({ delay: -1 }, {})).toThrow('delay: must be a number of milliseconds from 0 to 60000, or "recorded" (got -1)');
    expect(() => resolveOptions({ delay: 'slow' }, {})).toThrow(/delay: must be .* \(got "slow"\)/);
  });

  it('rejects a bad environment variable by name', () => {
    expect(() => resolveOptions({}, { AI_VCR_MODE: 'rec' })).toThrow(/ai-vcr: invalid environment: AI_VCR_MODE: .*\(got "rec"\)/);
  });
});
