import path from 'node:path';

/** Where a command writes, and what it knows of its terminal: process.* when run, captured in tests. */
export interface Io {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** A command's result: the exit code. Problems are printed as they are found. */
export type ExitCode = 0 | 1 | 2;

/** Thrown for a usage or input error: printed as one line, exit code 2. */
export class CliError extends Error {}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/**
 * Colour only for a person at a terminal: piped into a file, a CI log or another program, escape
 * codes are noise. NO_COLOR (no-color.org) turns it off, FORCE_COLOR on.
 */
export function painter(output: Output, env: NodeJS.ProcessEnv): (colour: Colour, text: string) => string {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const on = forced || (Boolean(output.isTTY) && !env.NO_COLOR && env.FORCE_COLOR !== '0');
  return on ? (colour, text) => `\x1b[${CODES[colour]}m${text}\x1b[0m` : (_colour, text) => text;
}

/**
 * Progress of long work on stderr, so stdout stays the result. On a terminal, one line rewritten
 * in place at most ten times a second; elsewhere (a CI log) a line per PROGRESS_STEP items, and
 * nothing for work too small to need it.
 */
export function progress(io: Io, what: string, total: number): { tick(): void; done(): void } {
  const tty = Boolean(io.stderr.isTTY);
  let count = 0;
  let shownAt = 0;
  let shown = false;
  return {
    tick() {
      count += 1;
      if (total < PROGRESS_MIN) return;
      if (tty) {
        const now = Date.now();
        if (now - shownAt < 100 && count < total) return;
        shownAt = now;
        shown = true;
        io.stderr.write(`\r${what} ${count}/${total}`);
      } else if (count % PROGRESS_STEP === 0) {
        io.stderr.write(`${what} ${count}/${total}\n`);
      }
    },
    done() {
      if (shown) io.stderr.write('\r\x1b[K');
    },
  };
}

const PROGRESS_MIN = 500;
const PROGRESS_STEP = 5000;

/** A path as the user would type it: relative to the working directory when under it. */
export function shownPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative || '.';
}

/** A size in bytes as a person reads it. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
