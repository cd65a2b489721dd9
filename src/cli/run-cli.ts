import { parseArgs } from 'node:util';
import { isRepositoryError } from '../errors.js';
import { redactSecrets } from '../observability/redact.js';
import { CommandContext } from './cli-context.js';
import { CliUsageError } from './cli-usage-error.js';
import type { CliIo, Command } from './command.js';
import { errorName, formatError } from './format-error.js';
import { HELP } from './help.js';
import { loadCliConfig } from './load-config.js';

/** What a command takes after its words: nothing, exactly one name, or any number of names. */
type Arguments = 'none' | 'one' | 'names';

/**
 * Each command's words, its arguments, the module that runs it (loaded only when used),
 * and whether it stops cleanly between batches when interrupted.
 */
const COMMANDS: Readonly<
  Record<
    string,
    { readonly args: Arguments; readonly load: () => Promise<Command>; readonly stopsBetweenBatches?: true }
  >
> = {
  'migrate up': { args: 'none', load: async () => (await import('./commands/migrate.js')).migrateUp },
  'migrate down': { args: 'none', load: async () => (await import('./commands/migrate.js')).migrateDown },
  'migrate status': { args: 'none', load: async () => (await import('./commands/migrate.js')).migrateStatus },
  'migrate create': { args: 'one', load: async () => (await import('./commands/migrate.js')).migrateCreate },
  health: { args: 'none', load: async () => (await import('./commands/health.js')).health },
  'cache warm': {
    args: 'names',
    load: async () => (await import('./commands/cache-warm.js')).cacheWarm,
    stopsBetweenBatches: true,
  },
  'legacy backfill': {
    args: 'names',
    load: async () => (await import('./commands/legacy-backfill.js')).legacyBackfill,
    stopsBetweenBatches: true,
  },
  'sheets sync': {
    args: 'names',
    load: async () => (await import('./commands/sheets-sync.js')).sheetsSync,
    stopsBetweenBatches: true,
  },
};

const GROUPS = new Set(['migrate', 'cache', 'legacy', 'sheets']);

/**
 * How the process tells a running command to stop (Ctrl-C).
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * let graceful = false;
 * process.on('SIGINT', () => (graceful ? controller.abort() : process.exit(130)));
 * await runCli(argv, io, { signal: controller.signal, onGracefulStop: () => (graceful = true) });
 * ```
 */
export interface CliInterrupt {
  /** Aborted when the user asks to stop; long commands stop after their current batch. */
  readonly signal: AbortSignal;
  /** Called when the command about to run stops cleanly on the signal (until then, end the process). */
  readonly onGracefulStop?: () => void;
}

/**
 * Runs the `reposit` command line and returns the exit code: 0 on success, 1 when the
 * work failed (a typed reposit error, printed with what to do), 2 on wrong usage. With
 * `--json`, stdout receives exactly one JSON document, success or failure.
 *
 * @example
 * ```ts
 * const code = await runCli(['migrate', 'status', '--json'], { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
 * process.exitCode = code;
 * ```
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  interrupt: CliInterrupt = { signal: new AbortController().signal },
): Promise<number> {
  const { signal } = interrupt;
  const json = argv.includes('--json');
  let command = '';
  try {
    const parsed = parse(argv);
    const words = parsed.positionals;
    const group = words[0] ?? '';
    const isGroup = GROUPS.has(group);
    command = isGroup && words[1] !== undefined ? `${group} ${words[1]}` : group;
    if (parsed.values.help || words.length === 0) {
      const text = HELP[isGroup || group === 'health' ? group : ''] ?? HELP['']!;
      if (words.length > 0 && !isGroup && group !== 'health') throw unknownCommand(words);
      io.stdout.write(`${json ? JSON.stringify({ ok: true, help: text }) : text}\n`);
      return 0;
    }
    const spec = COMMANDS[command];
    if (!spec) throw unknownCommand(words);
    const args = words.slice(command.split(' ').length);
    checkArguments(command, spec.args, args);
    const run = await spec.load();
    if (spec.stopsBetweenBatches) interrupt.onGracefulStop?.();
    const loaded = await loadCliConfig(parsed.values.config, io.cwd);
    const context = new CommandContext(loaded.config);
    let outcome: Awaited<ReturnType<Command>>;
    try {
      outcome = await run({ loaded, context, args, io, json, signal });
    } finally {
      await context.close();
    }
    if (json)
      io.stdout.write(`${JSON.stringify({ ok: outcome.ok, command, result: outcome.result }, jsonValue)}\n`);
    else for (const line of outcome.lines) io.stdout.write(`${line}\n`);
    return outcome.ok ? 0 : 1;
  } catch (error) {
    const usage = error instanceof CliUsageError;
    if (json) {
      io.stdout.write(`${JSON.stringify({ ok: false, command, error: errorJson(error) }, jsonValue)}\n`);
    } else {
      io.stderr.write(`${formatError(error)}\n`);
    }
    return usage ? 2 : 1;
  }
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // parseArgs says what is wrong ("Unknown option '--jsn'"); keep its words.
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
}

function checkArguments(command: string, expected: Arguments, args: readonly string[]): void {
  const help = `reposit ${command.split(' ')[0]} --help`;
  if (expected === 'one' && args.length !== 1) {
    throw new CliUsageError(`${command} takes exactly one name, e.g. reposit ${command} add_users`, help);
  }
  if (expected === 'none' && args.length > 0) {
    throw new CliUsageError(`${command} takes no arguments, got "${args.join(' ')}"`, help);
  }
}

function unknownCommand(words: readonly string[]): CliUsageError {
  const group = words[0] ?? '';
  const known = Object.keys(COMMANDS).join(', ');
  return new CliUsageError(
    `Unknown command "${words.join(' ')}" (commands: ${known})`,
    GROUPS.has(group) ? `reposit ${group} --help` : 'reposit --help',
  );
}

function errorJson(error: unknown): Record<string, unknown> {
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  if (isRepositoryError(error)) return { ...error.toJSON(), name: errorName(error), message };
  return { name: errorName(error), message };
}

function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
