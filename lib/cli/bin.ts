#!/usr/bin/env node
/**
 * The `cache-aside` executable (package.json `bin`): runs one command with the process's own
 * streams and exits with its code. Everything else lives in run-cli.ts, so specs run it in
 * process too.
 */
import { processIo } from './cli-io';
import { runCli } from './run-cli';

void runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
