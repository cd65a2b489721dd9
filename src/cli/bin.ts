#!/usr/bin/env node
import { runCli } from './run-cli.js';

// The first Ctrl-C asks long commands to stop after their current batch; a second one
// ends the process at once.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() },
  interrupt.signal,
);
// A config module may leave handles open (its own pools, clients): the command is over.
process.stdout.write('', () => process.exit(code));
