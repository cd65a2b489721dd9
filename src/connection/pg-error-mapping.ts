import {
  ConflictError,
  ConnectionError,
  DuplicateError,
  RepositoryError,
  TimeoutError,
  UnavailableError,
  ValidationError,
  type ValidationIssue,
} from '../errors.js';
import { redactSecrets } from '../observability/redact.js';
import { DatabaseError } from './database-error.js';
import { poolerError } from './pooler-errors.js';
import { isTlsFailureCode } from './tls-failure.js';

/**
 * What was going on when an error happened. It decides whether a lost connection
 * leaves the outcome unknown: a COMMIT or an autocommit write may have taken effect
 * even though the reply never came.
 *
 * - `connect`: acquiring a connection; nothing was sent.
 * - `read`: a read outside a transaction.
 * - `write`: an autocommit write (no transaction around it).
 * - `transaction`: a statement inside an open transaction (a lost connection rolls it back).
 * - `commit`: the COMMIT of a transaction.
 *
 * @example
 * ```ts
 * mapPgError(error, { during: 'commit' }); // a lost connection here is outcome-unknown
 * ```
 */
export type PgErrorPhase = 'connect' | 'read' | 'write' | 'transaction' | 'commit';

/**
 * Context for {@link mapPgError}.
 *
 * @example
 * ```ts
 * const context: PgErrorContext = { node: 'replica:0', during: 'read', timeoutMs: 2000 };
 * throw mapPgError(error, context);
 * ```
 */
export interface PgErrorContext {
  /**
   * The node the error came from, e.g. `primary` or `replica:0`; never a connection string.
   * @default undefined
   */
  readonly node?: string;
  /**
   * What was going on; see {@link PgErrorPhase}.
   * @default 'transaction' (a lost connection is then retryable, not outcome-unknown)
   */
  readonly during?: PgErrorPhase;
  /**
   * The statement timeout in force, reported on {@link TimeoutError.timeoutMs}.
   * @default undefined
   */
  readonly timeoutMs?: number;
  /**
   * The entity the statement was about, for the error's context.
   * @default undefined
   */
  readonly entity?: string;
  /**
   * The id the statement was about, for the error's context.
   * @default undefined
   */
  readonly id?: unknown;
}

/** The fields of a pg `DatabaseError` that the mapping reads. */
interface PgErrorFields {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly severity?: unknown;
  readonly detail?: unknown;
  readonly constraint?: unknown;
  readonly column?: unknown;
  readonly table?: unknown;
  readonly errors?: unknown;
}

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** pg's own messages (no SQLSTATE) that mean the connection is gone or never came up. */
const LOST_CONNECTION_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

const CONNECTION_TROUBLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const OUTCOME_UNKNOWN_STATES = new Set(['08007', '40003']);

/**
 * Maps anything pg (or the network under it) throws onto reposit's error hierarchy, by
 * SQLSTATE where PostgreSQL sent one and by pg's own messages where it did not. A
 * reposit error passes through unchanged; anything unrecognised becomes a
 * {@link DatabaseError} (`E_DATABASE`). Messages never echo row values (a duplicate
 * names the columns, not the values) nor connection strings or passwords; the original
 * error stays available as `cause`.
 *
 * | SQLSTATE | reposit error |
 * |---|---|
 * | 23505, 23P01 | `DuplicateError` (constraint, columns) |
 * | 23502, 23503, 23514, 22xxx | `ValidationError` (issue path = column or constraint) |
 * | 40001, 40P01 | `ConflictError`, retryable |
 * | 55P03, 57014 | `TimeoutError` |
 * | 08xxx, 57P01–57P03, 53300 | `ConnectionError`, retryable |
 * | 08007, 40003 | `ConnectionError`, `outcomeUnknown`, not retryable |
 * | 25006 | `ConnectionError` (a write reached a read-only node) |
 * | 28xxx, 3D000 | `ConnectionError`, not retryable (credentials, unknown database) |
 * | 08P01, 26000, 42P05 from a pooler | see `poolerError` (what to change for PgBouncer) |
 *
 * @example
 * ```ts
 * try {
 *   await client.query('insert into users (email) values ($1)', [email]);
 * } catch (error) {
 *   throw mapPgError(error, { node: 'primary', during: 'write', entity: 'user' });
 *   // DuplicateError { constraint: 'users_email_key', columns: ['email'] }
 * }
 * ```
 */
export function mapPgError(error: unknown, context: PgErrorContext = {}): RepositoryError {
  if (error instanceof RepositoryError) return error;
  const fields: PgErrorFields = typeof error === 'object' && error !== null ? (error as PgErrorFields) : {};
  const sqlstate = sqlStateOf(fields);
  if (sqlstate !== undefined) return fromSqlState(sqlstate, fields, error, context);
  return fromClientError(fields, error, context);
}

function sqlStateOf(fields: PgErrorFields): string | undefined {
  const code = fields.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  // Node's errno codes (EPIPE) have the same shape; no SQLSTATE class starts with E.
  if (NETWORK_ERRNOS.has(code) || (code.startsWith('E') && typeof fields.severity !== 'string')) {
    return undefined;
  }
  return code;
}

function fromSqlState(
  sqlstate: string,
  fields: PgErrorFields,
  cause: unknown,
  context: PgErrorContext,
): RepositoryError {
  const base = { cause, entity: context.entity, id: context.id };
  const pooler = poolerError(sqlstate, stringField(fields.message), { ...base, node: context.node });
  if (pooler) return pooler;
  const constraint = stringField(fields.constraint);
  const table = stringField(fields.table);
  const onTable = table ? ` on table "${table}"` : '';

  if (sqlstate === '23505' || sqlstate === '23P01') {
    const columns = keyColumns(stringField(fields.detail));
    const what = columns.length > 0 ? columns.join(', ') : 'a unique key';
    const kind = sqlstate === '23P01' ? 'exclusion' : 'unique';
    const named = constraint ? ` (${kind} constraint "${constraint}")` : '';
    return new DuplicateError(
      sqlstate === '23P01'
        ? `The value of ${what} conflicts with an existing row${onTable}${named}`
        : `The value of ${what} is already taken${onTable}${named}`,
      { ...base, constraint, columns },
    );
  }
  if (sqlstate === '23502') {
    const column = stringField(fields.column);
    return validation(`Column "${column ?? '?'}"${onTable} must not be null`, column ?? '', 'not_null', base);
  }
  if (sqlstate === '23503') {
    const detail = stringField(fields.detail) ?? '';
    const columns = keyColumns(detail);
    const path = columns.join('.') || constraint || '';
    const named = constraint ? ` (foreign key "${constraint}")` : '';
    const message = /still referenced/.test(detail)
      ? `The row${onTable} is still referenced by another row${named}`
      : `The row referenced by ${columns.join(', ') || 'the foreign key'} does not exist${named}`;
    return validation(message, path, 'foreign_key', base);
  }
  if (sqlstate === '23514') {
    const path = stringField(fields.column) ?? constraint ?? '';
    return validation(
      `A value violates the check constraint "${constraint ?? '?'}"${onTable}`,
      path,
      'check',
      base,
    );
  }
  if (sqlstate.startsWith('22')) {
    const column = stringField(fields.column) ?? '';
    return validation(
      `Invalid value: ${withoutValues(stringField(fields.message) ?? 'data exception')} (SQLSTATE ${sqlstate})`,
      column,
      'invalid_value',
      base,
    );
  }
  if (sqlstate === '40001') {
    return new ConflictError(
      'The transaction could not be serialized with a concurrent one (SQLSTATE 40001); run it again',
      { ...base, retryable: true },
    );
  }
  if (sqlstate === '40P01') {
    return new ConflictError(
      'The transaction was chosen as a deadlock victim (SQLSTATE 40P01); run it again',
      { ...base, retryable: true },
    );
  }
  if (sqlstate === '55P03') {
    return new TimeoutError('A lock could not be acquired in time (lock_timeout or NOWAIT, SQLSTATE 55P03)', {
      ...base,
      timeoutMs: context.timeoutMs,
    });
  }
  if (sqlstate === '57014') {
    const limit = context.timeoutMs === undefined ? '' : ` of ${context.timeoutMs} ms`;
    return new TimeoutError(`The statement was cancelled by the server${limit} (SQLSTATE 57014)`, {
      ...base,
      timeoutMs: context.timeoutMs,
    });
  }
  const node = context.node;
  const at = node ? ` (${node})` : '';
  if (OUTCOME_UNKNOWN_STATES.has(sqlstate)) {
    return new ConnectionError(
      `The connection${at} was lost and it is unknown whether the transaction committed (SQLSTATE ${sqlstate}); it is not retried automatically`,
      { ...base, node, outcomeUnknown: true, retryable: false },
    );
  }
  if (sqlstate === '25006') {
    return new ConnectionError(
      `A write reached a read-only node or a read-only transaction${at} (SQLSTATE 25006)`,
      { ...base, node },
    );
  }
  if (sqlstate.startsWith('08') || CONNECTION_TROUBLE_STATES.has(sqlstate)) {
    const outcomeUnknown = context.during === 'commit';
    return new ConnectionError(
      `${connectionTrouble(sqlstate)}${at} (SQLSTATE ${sqlstate})${outcomeUnknown ? unknownSuffix : ''}`,
      { ...base, node, outcomeUnknown },
    );
  }
  if (sqlstate === '3D000') {
    return new ConnectionError(
      `The database named in the connection settings does not exist${at} (SQLSTATE 3D000)`,
      {
        ...base,
        node,
        retryable: false,
      },
    );
  }
  if (sqlstate.startsWith('28')) {
    return new ConnectionError(`The database rejected the credentials${at} (SQLSTATE ${sqlstate})`, {
      ...base,
      node,
      retryable: false,
    });
  }
  return new DatabaseError(
    `Database error (SQLSTATE ${sqlstate}): ${sanitize(stringField(fields.message) ?? 'unknown')}`,
    { ...base, sqlstate },
  );
}

const unknownSuffix = '; it is unknown whether the COMMIT took effect, so it is not retried';

function connectionTrouble(sqlstate: string): string {
  switch (sqlstate) {
    case '57P01':
      return 'The server terminated the connection (administrator command)';
    case '57P02':
      return 'The server terminated the connection (crash shutdown)';
    case '57P03':
      return 'The server cannot accept connections now (starting up or shutting down)';
    case '53300':
      return 'The server has no free connection slots (too many connections)';
    default:
      return 'The connection to the database failed';
  }
}

function fromClientError(fields: PgErrorFields, cause: unknown, context: PgErrorContext): RepositoryError {
  const message = stringField(fields.message) ?? (typeof cause === 'string' ? cause : String(cause));
  const errno = errnoOf(fields);
  const node = context.node;
  const at = node ? ` to ${node}` : '';
  const base = { cause, entity: context.entity, id: context.id, node };
  // Sent but unanswered: a COMMIT or an autocommit write may have taken effect.
  const inFlightWrite = context.during === 'commit' || context.during === 'write';

  if (isTlsFailureCode(fields.code) || message.startsWith('The server does not support SSL connections')) {
    const code = typeof fields.code === 'string' ? ` (${fields.code})` : '';
    return new ConnectionError(
      `The TLS connection${at} could not be set up: ${sanitize(message)}${code}; check ssl.ca, the host name the certificate names and the server's ssl setting`,
      { ...base, retryable: false },
    );
  }
  if (message === 'timeout exceeded when trying to connect') {
    return new ConnectionError(
      `No connection${at} became available in time (pool exhausted or server unreachable)`,
      base,
    );
  }
  // The pool's wording, and the bare client's ('timeout expired') for the same event.
  if (
    message.startsWith('Connection terminated due to connection timeout') ||
    message === 'timeout expired'
  ) {
    return new ConnectionError(`Connecting${at} timed out`, base);
  }
  if (message === 'Query read timeout') {
    if (inFlightWrite) {
      return new ConnectionError(
        `No reply${at} within the client-side query timeout${unknownSuffix.replace('COMMIT', 'statement')}`,
        { ...base, outcomeUnknown: true, retryable: false },
      );
    }
    return new TimeoutError(`No reply${at} within the client-side query timeout`, {
      cause,
      entity: context.entity,
      id: context.id,
      timeoutMs: context.timeoutMs,
    });
  }
  if (message.startsWith('Cannot use a pool after calling end on the pool')) {
    return new UnavailableError('The connection pool has been closed', {
      cause,
      entity: context.entity,
      id: context.id,
    });
  }
  if (errno !== undefined || LOST_CONNECTION_MESSAGES.some((known) => message.startsWith(known))) {
    const what =
      errno === 'ECONNREFUSED'
        ? `The connection${at} was refused`
        : errno === 'ENOTFOUND' || errno === 'EAI_AGAIN'
          ? `The database host${at ? ` of ${node}` : ''} could not be resolved`
          : `The connection${at} was lost (${errno ?? sanitize(message)})`;
    const outcomeUnknown = inFlightWrite;
    return new ConnectionError(`${what}${outcomeUnknown ? unknownSuffix : ''}`, {
      ...base,
      outcomeUnknown,
    });
  }
  return new DatabaseError(`Database client error: ${sanitize(message)}`, {
    cause,
    entity: context.entity,
    id: context.id,
  });
}

function errnoOf(fields: PgErrorFields): string | undefined {
  if (typeof fields.code === 'string' && NETWORK_ERRNOS.has(fields.code)) return fields.code;
  // Node's happy-eyeballs connect reports an AggregateError whose parts carry the errno.
  if (Array.isArray(fields.errors)) {
    for (const part of fields.errors as PgErrorFields[]) {
      if (typeof part?.code === 'string' && NETWORK_ERRNOS.has(part.code)) return part.code;
    }
  }
  return undefined;
}

function validation(
  message: string,
  path: string,
  code: string,
  context: { cause: unknown; entity: string | undefined; id: unknown },
): ValidationError {
  const issue: ValidationIssue = { path, message, code };
  return new ValidationError(message, [issue], context);
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The column list of pg's `Key (a, b)=(…)` detail, without the values. Expressions
 * such as `lower(email::text)` are kept whole; quoted identifiers are unquoted.
 */
function keyColumns(detail: string | undefined): string[] {
  if (!detail?.startsWith('Key (')) return [];
  const start = 'Key ('.length;
  let depth = 0;
  let quoted = false;
  let current = '';
  const columns: string[] = [];
  for (let index = start; index < detail.length; index++) {
    const char = detail[index]!;
    if (char === '"') quoted = !quoted;
    if (!quoted && char === '(') depth++;
    if (!quoted && char === ')') {
      if (depth === 0) {
        columns.push(current.trim());
        return columns.map(unquote).filter((column) => column.length > 0);
      }
      depth--;
    }
    if (!quoted && depth === 0 && char === ',') {
      columns.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  return [];
}

function unquote(identifier: string): string {
  return /^".*"$/.test(identifier) ? identifier.slice(1, -1).replaceAll('""', '"') : identifier;
}

/** Drops the quoted input value pg puts in data-exception messages. */
function withoutValues(message: string): string {
  return sanitize(
    message
      .replace(/:\s*"(?:[^"]|"")*"\s*$/s, '')
      .replace(/\bvalue "(?:[^"]|"")*"/g, 'value')
      .replace(/\bstring "(?:[^"]|"")*"/g, 'string'),
  );
}

function sanitize(message: string): string {
  const clean = redactSecrets(message).replace(/\s+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean;
}
