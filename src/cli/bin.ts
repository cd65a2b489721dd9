#!/usr/bin/env node
import { runCli } from './run-cli.js';

// Ctrl-C: a command that works in batches (backfill, sync, warm) stops after the current
// one, with its checkpoint or state saved; any other command (or a second Ctrl-C) ends the
// process at once, which rolls back an open migration transaction on the server.
const interrupt = new AbortController();
let graceful = false;
process.on('SIGINT', () => {
  if (!graceful || interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
  process.stderr.write('\nreposit: stopping after the current batch (Ctrl-C again to quit at once)\n');
});

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() },
  {
    signal: interrupt.signal,
    onGracefulStop: () => {
      graceful = true;
    },
  },
);
// A config module may leave handles open (its own pools, clients): the command is over.
process.stdout.write('', () => process.exit(code));
