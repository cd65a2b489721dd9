import type { CommandContext } from './cli-context.js';
import type { LoadedCliConfig } from './load-config.js';
import type { ProgressStream } from './progress-bar.js';

/**
 * Where the command writes: results on stdout, progress and errors on stderr.
 *
 * @example
 * ```ts
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() };
 * ```
 */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  readonly cwd: string;
}

/**
 * What a command gets: the config, its context, its arguments, and how to report.
 *
 * @example
 * ```ts
 * const input: CommandInput = { loaded, context: new CommandContext(loaded.config), args: ['users'], io, json: false, signal };
 * ```
 */
export interface CommandInput {
  readonly loaded: LoadedCliConfig;
  readonly context: CommandContext;
  /** The positional arguments after the command's own words (e.g. the names of `cache warm`). */
  readonly args: readonly string[];
  readonly io: CliIo;
  readonly json: boolean;
  /** Aborted on the first Ctrl-C; long commands stop after their current batch. */
  readonly signal: AbortSignal;
}

/**
 * What a command reports: its JSON result, the lines a person reads, and whether it succeeded.
 *
 * @example
 * ```ts
 * const outcome: CommandOutcome = { ok: true, result: { steps: [] }, lines: ['Nothing to migrate: every migration has run.'] };
 * ```
 */
export interface CommandOutcome {
  readonly ok: boolean;
  readonly result: unknown;
  readonly lines: readonly string[];
}

/**
 * A command of the `reposit` tool.
 *
 * @example
 * ```ts
 * const hello: Command = async ({ args }) => ({ ok: true, result: { args }, lines: [`hello ${args.join(' ')}`] });
 * ```
 */
export type Command = (input: CommandInput) => Promise<CommandOutcome>;
