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
    for (const issue of error.issues)
      lines.push(`  - ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`);
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause !== undefined && cause !== null) {
    const causeMessage = messageOf(cause);
    if (causeMessage !== '' && !lines[0]!.includes(causeMessage)) lines.push(`  cause: ${causeMessage}`);
  }
  if (isRepositoryError(error))
    lines.push(`  (${error.name}, code ${error.code}${error.retryable ? ', retryable' : ''})`);
  return lines.join('\n');
}

function messageOf(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}
