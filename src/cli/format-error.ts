import { isRepositoryError, ValidationError } from '../errors.js';
import { redactSecrets } from '../observability/redact.js';
import { CliUsageError } from './cli-usage-error.js';

/**
 * An error as the `reposit` command prints it on stderr: `reposit: <message>`, then
 * what helps to act on it (the issues of a ValidationError, the underlying cause, the
 * help to read for a usage error). Connection strings never appear: reposit's errors do
 * not carry them.
 *
 * @example
 * ```ts
 * formatError(new CliUsageError('Unknown command "migrat"'));
 * // 'reposit: Unknown command "migrat"\nSee `reposit --help`.'
 * ```
 */
export function formatError(error: unknown): string {
  const lines = [`reposit: ${messageOf(error)}`];
  if (error instanceof CliUsageError) {
    lines.push(`See \`${error.help}\`.`);
    return lines.join('\n');
  }
  if (error instanceof ValidationError) {
    for (const issue of error.issues) {
      const text = `${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
      // fromIssues already put the issues in the message; list only what it lacks.
      if (!lines[0]!.includes(text)) lines.push(`  - ${text}`);
    }
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause !== undefined && cause !== null) {
    const causeMessage = messageOf(cause);
    if (causeMessage !== '' && !lines[0]!.includes(causeMessage)) lines.push(`  cause: ${causeMessage}`);
  }
  if (isRepositoryError(error))
    lines.push(`  (${errorName(error)}, code ${error.code}${error.retryable ? ', retryable' : ''})`);
  return lines.join('\n');
}

/**
 * The class name of an error. For reposit's errors it is the brand (`kind`): bundlers may
 * rename classes (esbuild emits `_ValidationError`), and `name` comes from the class.
 *
 * @example
 * ```ts
 * errorName(new ValidationError('bad')); // 'ValidationError'
 * ```
 */
export function errorName(error: unknown): string {
  const kind = (error as { constructor?: { kind?: unknown } } | null)?.constructor?.kind;
  if (isRepositoryError(error) && typeof kind === 'string') return kind;
  return error instanceof Error ? error.name : 'Error';
}

function messageOf(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}
