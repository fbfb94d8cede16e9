import { copyFile, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { FIXTURES, tempDir } from './support/fixtures.js';
import { ASK, config, NO_NETWORK, project, sh, SUITES } from './support/project.js';
import { startUpstream } from './support/upstream.js';

const CONFIG = config();
// As in jest-runner.test.ts: the preset, as users set it up; no-network.ts is TypeScript, which the preset leaves to the suite.
const JEST_CONFIG = `
module.exports = {
  preset: 'ai-vcr',
  setupFiles: [${JSON.stringify(NO_NETWORK)}],
  reporters: ['default', ['ai-vcr/jest/reporter', { dir: 'recordings' }]],
  transform: { '^.+\\\\.ts$': ['babel-jest', { presets: [['@babel/preset-env', { targets: { node: 'current' } }], '@babel/preset-typescript'] }] },
};
`;

describe('the ai-vcr command', () => {
  it('runs from the package\'s bin, and prune acts on what the last whole vitest run used', async () => {
    const upstream = await startUpstream();
    const dir = await project({ 'vitest.config.js': CONFIG, 'tests/ask.js': ASK, 'tests/chat.test.js': SUITES['tests/chat.test.js'] });
    // As npm links a dependency's bin on install.
    await symlink(path.join('..', 'ai-vcr', 'dist', 'cli', 'index.js'), path.join(dir, 'node_modules', '.bin', 'ai-vcr'));
    expect((await sh(dir, 'ai-vcr --help')).output).toContain('Usage: ai-vcr [options] [command]');
    // Piped into a reader that stops early (head, a pager that quits): no stack trace of a broken pipe.
    const piped = await sh(dir, 'ai-vcr --help | true; ai-vcr --help 2>&1 | true');
    expect(piped.output).not.toContain('EPIPE');

    // A filtered run (-t) records, but is no whole run: prune has nothing to go on.
    const recorded = await sh(dir, 'vitest run -t chat', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL });
    expect(recorded.code).toBe(0);
    await copyFile(path.join(FIXTURES, 'seeds/004_93e64aa372a341f8.json'), path.join(dir, 'recordings', 'earth.json'));
    const refused = await sh(dir, 'ai-vcr prune');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('ai-vcr prune: refused, nothing deleted: no whole run of the suite is recorded for recordings');

    const whole = await sh(dir, 'vitest run');
    expect(whole.output).toContain('unused recordings/earth.json');
    expect(whole.code).toBe(0);
    // Kept outside the recordings, in the project's cache, which is never committed.
    expect(await readdir(path.join(dir, 'node_modules', '.cache', 'ai-vcr'))).toEqual([expect.stringMatching(/^last-run-[0-9a-f]{16}\.json$/)]);
    expect((await sh(dir, 'ai-vcr list --unused')).output).toMatch(/^unused +chat\/completions +gpt-4o +stream +7\.8 kB +recordings\/earth\.json +tests\/integration/m);
    expect((await sh(dir, 'ai-vcr verify')).code).toBe(1);
    const pruned = await sh(dir, 'ai-vcr prune');
    expect(pruned.output).toContain('deleted recordings/earth.json (7.8 kB)\nai-vcr prune: deleted 1 of 3 recordings (7.8 kB)\n');
    expect(pruned.code).toBe(0);
    const verified = await sh(dir, 'ai-vcr verify');
    expect(verified.output).toContain('ai-vcr verify: 2 recordings in recordings, no problems');
    expect(verified.code).toBe(0);
  }, 90_000);

  it('learns the last whole run from the jest reporter too, and not from a run with a failed test', async () => {
    const upstream = await startUpstream();
    const dir = await project({ 'jest.config.cjs': JEST_CONFIG, 'tests/ask.js': ASK, 'tests/chat.test.js': SUITES['tests/chat.test.js'] });
    await symlink(path.join('..', 'ai-vcr', 'dist', 'cli', 'index.js'), path.join(dir, 'node_modules', '.bin', 'ai-vcr'));
    expect((await sh(dir, 'jest', { AI_VCR_MODE: 'record', UPSTREAM_URL: upstream.baseURL })).code).toBe(0);
    await copyFile(path.join(FIXTURES, 'seeds/004_93e64aa372a341f8.json'), path.join(dir, 'recordings', 'earth.json'));
    expect((await sh(dir, 'jest')).code).toBe(0);
    expect((await sh(dir, 'ai-vcr prune --dry-run')).output).toContain('would delete recordings/earth.json (7.8 kB)\nai-vcr prune: would delete 1 of 3 recordings (7.8 kB)\n');

    // jest counts a run with a failed test as no whole run (a test that failed before its call did not use its recording): the record stays.
    const [record] = await readdir(path.join(dir, 'node_modules', '.cache', 'ai-vcr'));
    const before = await readFile(path.join(dir, 'node_modules', '.cache', 'ai-vcr', record!), 'utf8');
    await writeFile(path.join(dir, 'tests', 'fails.test.js'), "test('fails', () => { throw new Error('no'); });\n");
    expect((await sh(dir, 'jest')).code).toBe(1);
    expect(await readFile(path.join(dir, 'node_modules', '.cache', 'ai-vcr', record!), 'utf8')).toBe(before);
  }, 90_000);

  it('has --help with an example for every command, and exits 2 on bad usage', async () => {
    const cwd = await tempDir();
    for (const command of ['list', 'show', 'verify', 'prune', 'import', 'drift', 'report']) {
      const help = await cli([command, '--help'], { cwd });
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: ai-vcr ${command} `));
      expect(help.stdout).toMatch(new RegExp(`Examples:\\n[^]*  npx ai-vcr ${command}`));
    }
    const unknown = await cli(['lsit'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'lsit'");
    const badScope = await cli(['--scope', 'file', 'list'], { cwd });
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain("option '--scope <scope>' argument 'file' is invalid. Allowed choices are request, test.");
  });
});
