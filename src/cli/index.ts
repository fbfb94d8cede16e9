#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';

// A reader that stops early (head, a pager that quits) closes the pipe: the rest of the output
// has nowhere to go, which is no error of ours and must not end in a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit();
  });
}

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bug, not bad input: the stack is what a report of it needs.
    console.error(error);
    process.exitCode = 2;
  },
);
