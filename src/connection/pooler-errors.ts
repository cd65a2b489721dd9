import { ConnectionError, type ErrorContext, type RepositoryError } from '../errors.js';
import { DatabaseError } from './database-error.js';

const UNSUPPORTED_STARTUP_PARAMETER = /^unsupported startup parameter: ([A-Za-z_][A-Za-z0-9_.]*)$/;
const PREPARED_STATEMENT = /^prepared statement "([^"]{1,100})" (does not exist|already exists)$/;

/**
 * The errors a pooler in transaction mode (PgBouncer `pool_mode = transaction`) causes
 * when reposit is not configured for it, mapped onto errors that say what to change;
 * `undefined` for every other error.
 *
 * - PgBouncer refuses startup parameters it cannot track (SQLSTATE 08P01): reposit's
 *   `statement_timeout` unless `transactionPooling: true`, a node's `options`.
 * - A named prepared statement lives on one server connection, and each transaction may
 *   get another one (SQLSTATE 26000 or 42P05), unless PgBouncer 1.21+ tracks them
 *   (`max_prepared_statements`).
 *
 * @example
 * ```ts
 * poolerError('08P01', 'unsupported startup parameter: statement_timeout', { node: 'primary' });
 * // ConnectionError: … set `transactionPooling: true` on the ConnectionManager
 * ```
 */
export function poolerError(
  sqlstate: string,
  message: string | undefined,
  context: ErrorContext & { readonly node?: string },
): RepositoryError | undefined {
  if (message === undefined) return undefined;
  const at = context.node ? ` (${context.node})` : '';
  const startup = sqlstate === '08P01' ? UNSUPPORTED_STARTUP_PARAMETER.exec(message) : null;
  if (startup) {
    const parameter = startup[1];
    const advice =
      parameter === 'statement_timeout'
        ? 'set `transactionPooling: true` on the ConnectionManager: it then sends no session settings and enforces statement timeouts with SET LOCAL inside transactions'
        : `drop "${parameter}" from the connection settings and set it as a role or database default instead (ALTER ROLE … SET), or list it in PgBouncer's ignore_startup_parameters`;
    return new ConnectionError(
      `The connection pooler${at} refused the startup parameter "${parameter}" (SQLSTATE 08P01; PgBouncer accepts only parameters it can track): ${advice}`,
      { ...context, retryable: false },
    );
  }
  const prepared = sqlstate === '26000' || sqlstate === '42P05' ? PREPARED_STATEMENT.exec(message) : null;
  if (prepared) {
    return new DatabaseError(
      `The named prepared statement "${prepared[1]}" ${prepared[2]} on the server connection${at} (SQLSTATE ${sqlstate}): a pooler in transaction mode hands each transaction another server connection. Set \`preparedStatements: false\` on the PostgresBackend (and drop \`name\` from query options), or use PgBouncer 1.21+ with max_prepared_statements > 0`,
      { ...context, sqlstate },
    );
  }
  return undefined;
}
