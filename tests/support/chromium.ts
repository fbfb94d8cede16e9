import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { tempDir } from './fixtures.js';

const CHROMIUM = 'chromium';

/**
 * Flags for a headless Chromium that talks to nobody: no sandbox (tests run as root in CI), no
 * GPU, and none of the background requests (updates, sync, QUIC probes) a browser makes on start.
 */
const QUIET = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'];

/**
 * The DOM a real Chromium built from a page on disk, after its scripts (if any) ran, serialized.
 * A missing Chromium fails the test with what to install: a skipped browser test proves nothing.
 */
export async function renderedDom(file: string): Promise<string> {
  return chromium(['--dump-dom', pathToFileURL(file).href]);
}

/** A PNG of the page as Chromium draws it, for a person to look at. */
export async function screenshot(file: string, png: string, size = '1280,2400'): Promise<void> {
  await chromium([`--screenshot=${path.resolve(png)}`, `--window-size=${size}`, pathToFileURL(file).href]);
}

async function chromium(args: string[]): Promise<string> {
  const profile = await tempDir();
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...QUIET, `--user-data-dir=${profile}`, ...args], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        reject(new Error("chromium is not installed, and this test needs a real browser: install it with `apt-get install -y chromium` (Debian's chromium package)"));
      } else if (error) {
        reject(new Error(`chromium ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      } else resolve(stdout);
    });
  });
}
