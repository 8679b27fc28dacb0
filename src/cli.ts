#!/usr/bin/env node
import { main } from './cli-main.js';
import { workerScriptBeside } from './scan/pack-pass.js';

// Full-history scans read packs on threads started from the worker bundle beside this file.
workerScriptBeside(import.meta.url);
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
