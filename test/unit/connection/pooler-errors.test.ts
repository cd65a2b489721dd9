import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../../../src/connection/database-error.js';
import { mapPgError } from '../../../src/connection/pg-error-mapping.js';
import { ConnectionError } from '../../../src/errors.js';

/** The fields of the ErrorResponse PgBouncer or PostgreSQL sends, as pg exposes them. */
const serverError = (code: string, message: string, severity = 'ERROR') =>
  Object.assign(new Error(message), { code, severity });

describe('errors of a pooler in transaction mode', () => {
  it('a refused statement_timeout startup parameter names transactionPooling', () => {
    const error = mapPgError(
      serverError('08P01', 'unsupported startup parameter: statement_timeout', 'FATAL'),
      { node: 'primary', during: 'connect' },
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.retryable).toBe(false);
    expect((error as ConnectionError).node).toBe('primary');
    expect(error.message).toContain('transactionPooling: true');
  });

  it('another refused startup parameter says to set it on the role instead', () => {
    const error = mapPgError(serverError('08P01', 'unsupported startup parameter: options', 'FATAL'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain('"options"');
    expect(error.message).toContain('ALTER ROLE');
  });

  it('a missing or duplicate named prepared statement says to turn them off', () => {
    for (const [code, message] of [
      ['26000', 'prepared statement "reposit_find_users" does not exist'],
      ['42P05', 'prepared statement "reposit_find_users" already exists'],
    ] as const) {
      const error = mapPgError(serverError(code, message));
      expect(error).toBeInstanceOf(DatabaseError);
      expect((error as DatabaseError).sqlstate).toBe(code);
      expect(error.message).toContain('preparedStatements: false');
      expect(error.message).toContain('reposit_find_users');
    }
  });

  it('other errors of the same SQLSTATEs keep their usual mapping', () => {
    const protocol = mapPgError(serverError('08P01', 'invalid message format'));
    expect(protocol).toBeInstanceOf(ConnectionError);
    expect(protocol.message).not.toContain('pooler');
    const cursor = mapPgError(serverError('26000', 'unnamed prepared statement does not exist'));
    expect(cursor).toBeInstanceOf(DatabaseError);
    expect(cursor.message).not.toContain('preparedStatements');
  });
});
