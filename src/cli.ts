#!/usr/bin/env node
import { isMainThread } from 'node:worker_threads';
import { main } from './cli-main.js';

if (isMainThread) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
