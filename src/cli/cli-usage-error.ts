import { RepositoryError } from '../errors.js';

/**
 * The `reposit` command was called wrongly: an unknown command or option, a missing
 * argument. The command prints the message and the help to use, and exits with code 2.
 *
 * @example
 * ```ts
 * throw new CliUsageError('Unknown command "migrate sideways"', 'reposit migrate --help');
 * // reposit: Unknown command "migrate sideways" (see `reposit migrate --help`)
 * ```
 */
export class CliUsageError extends RepositoryError {
  static override readonly kind: string = 'CliUsageError';
  /** The help command that explains the right usage. */
  readonly help: string;

  constructor(message: string, help = 'reposit --help') {
    super(message, 'E_CLI_USAGE');
    this.help = help;
  }
}
