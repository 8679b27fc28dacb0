#!/usr/bin/env node
import { main } from './cli-main.js';
// A reader that stops early (`keyleak scan --all | head -2`) closes the pipe: what it did not read is
// not an error, and the exit status stays the command's own.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
