import { readdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, projectWithFixtures, wholeRunUsed } from './support/cli.js';

const SATURN = 'seeds/003_79777c1311e9b0e4.json';
const EARTH = 'seeds/004_93e64aa372a341f8.json';

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((name) => name.endsWith('.json')).sort();
}

describe('ai-vcr prune', () => {
  it('refuses when no whole run is recorded, saying why, and deletes nothing', async () => {
    const { root, dir } = await projectWithFixtures();
    const ran = await cli(['prune'], { cwd: root });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(
      /^ai-vcr prune: refused, nothing deleted: no whole run of the suite is recorded for recordings \(it would be in node_modules\/\.cache\/ai-vcr\/last-run-[0-9a-f]{16}\.json\): run every test once \(no file filter, no -t\) with the ai-vcr vitest or jest integration\n$/,
    );
    expect(await filesIn(dir)).toHaveLength(13);
  });

  it('--dry-run lists what the last whole run did not use; then prune deletes exactly those, keeping files changed since', async () => {
    const { root, dir } = await projectWithFixtures();
    const before = await filesIn(dir);
    await wholeRunUsed(dir, [SATURN, 'samples/models-3a641f25d65695766fb77e424273f716b852f371e1e87f6e14fd5672b1ab6005-4a65eed3.json']);
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(dir, EARTH), later, later);

    const dry = await cli(['prune', '--dry-run'], { cwd: root });
    expect(dry.code).toBe(0);
    const listed = dry.stdout.trimEnd().split('\n');
    expect(listed).toHaveLength(11);
    expect(listed.at(-1)).toMatch(/^ai-vcr prune: would delete 10 of 13 recordings \([\d.]+ kB\); kept 1 changed since the last whole run$/);
    expect(listed[0]).toMatch(/^would delete recordings\/samples\/00bf38cb\w+\.json \(6\.6 kB\)$/);
    expect(await filesIn(dir)).toEqual(before);

    const pruned = await cli(['prune', 'recordings'], { cwd: root });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout.trimEnd().split('\n').at(-1)).toMatch(/^ai-vcr prune: deleted 10 of 13 recordings/);
    expect(await filesIn(dir)).toEqual([
      'samples/models-3a641f25d65695766fb77e424273f716b852f371e1e87f6e14fd5672b1ab6005-4a65eed3.json',
      SATURN,
      EARTH,
    ].sort());
    // Nothing left to prune.
    expect((await cli(['prune'], { cwd: root })).stdout).toBe('ai-vcr prune: deleted 0 of 3 recordings (0 B); kept 1 changed since the last whole run\n');
  });
});
