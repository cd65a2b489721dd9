import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../../src/cli/cli-usage-error.js';
import { errorName, formatError } from '../../../src/cli/format-error.js';
import { ConnectionError, RepositoryError, ValidationError } from '../../../src/errors.js';

describe('formatError', () => {
  it('points a usage error at its help', () => {
    expect(formatError(new CliUsageError('Unknown command "migrat"'))).toBe(
      'reposit: Unknown command "migrat"\nSee `reposit --help`.',
    );
    const usage = new CliUsageError('x', 'reposit cache --help');
    expect(usage).toBeInstanceOf(RepositoryError);
    expect(usage.code).toBe('E_CLI_USAGE');
  });

  it('lists validation issues, the cause and the error code', () => {
    const error = new ValidationError('Invalid config', [
      { path: 'migrations.dir', message: 'is required', code: 'required' },
    ]);
    expect(formatError(error)).toBe(
      'reposit: Invalid config\n  - migrations.dir: is required\n  (ValidationError, code E_VALIDATION)',
    );
    // Issues already in the message (ValidationError.fromIssues) are not repeated.
    const listed = ValidationError.fromIssues('Invalid config', [
      { path: 'a', message: 'is wrong', code: 'x' },
    ]);
    expect(formatError(listed)).toBe(
      'reposit: Invalid config: a: is wrong\n  (ValidationError, code E_VALIDATION)',
    );
    const refused = new ConnectionError('The connection to primary was refused', {
      cause: new Error('connect ECONNREFUSED 127.0.0.1:1'),
    });
    expect(formatError(refused)).toContain('  cause: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('never prints a password from a message', () => {
    const text = formatError(new Error('cannot reach postgres://app:s3cret@db:5432/app'));
    expect(text).not.toContain('s3cret');
    expect(text).toBe('reposit: cannot reach postgres://app:***@db:5432/app');
  });

  it('names reposit errors by their brand, whatever a bundler called the class', () => {
    expect(errorName(new ValidationError('x'))).toBe('ValidationError');
    expect(errorName(new CliUsageError('x'))).toBe('CliUsageError');
    expect(errorName(new TypeError('x'))).toBe('TypeError');
    expect(errorName('a string')).toBe('Error');
  });
});
