import { ValidationError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { PgNodeConfig } from './pg-pool.js';

/**
 * Options of {@link ConnectionManager}.
 *
 * @example
 * ```ts
 * const options: ConnectionManagerOptions = {
 *   primary: { connectionString: process.env.DATABASE_URL, max: 20 },
 *   replicas: [{ connectionString: process.env.REPLICA_URL }],
 *   statementTimeoutMs: 10_000,
 *   maxReplicaLagMs: 2_000,
 * };
 * ```
 */
export interface ConnectionManagerOptions {
  /** The node that takes writes and transactions: settings for a new pool, or your own pg Pool. */
  readonly primary: PgNodeConfig;
  /**
   * Read-only nodes (streaming replicas) for `intent: 'read'` statements.
   * @default []
   */
  readonly replicas?: readonly PgNodeConfig[];
  /**
   * Where reposit logs (a pino logger, or anything with debug/info/warn/error).
   * @default createLogger() — pino at level `warn` on standard error, secrets redacted
   */
  readonly logger?: Logger;
  /**
   * How long acquiring a new connection may take before it fails with a ConnectionError.
   * Applies to pools reposit creates; never infinite.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Server-side limit of every statement (`statement_timeout`), unless a statement says
   * otherwise with `timeoutMs`. 0 disables it. reposit sets it on the connections it uses,
   * also on those of a pool you pass in (with `SET statement_timeout`, only when it changes).
   * @default 30000
   */
  readonly statementTimeoutMs?: number;
  /**
   * The nodes are reached through a pooler in transaction mode (PgBouncer
   * `pool_mode = transaction`), where each transaction may run on another server
   * connection. reposit then keeps no session state: pools it creates send no
   * `statement_timeout` startup parameter (PgBouncer refuses it), transactions set theirs
   * with `SET LOCAL`, and a statement outside a transaction whose `timeoutMs` differs from
   * `statementTimeoutMs` runs in a short transaction of its own. Statements outside a
   * transaction otherwise get the server's default, so set it for the pooler's role
   * (`ALTER ROLE app SET statement_timeout = '30s'`); the client-side limit still applies.
   * Named prepared statements need PgBouncer 1.21+ with `max_prepared_statements`; turn them
   * off otherwise (PostgresBackend `preparedStatements: false`). See docs/connection.md.
   * @default false
   */
  readonly transactionPooling?: boolean;
  /**
   * How much later than the server-side limit the client gives up waiting for a reply
   * (pg's `query_timeout`), for when even the server's cancellation cannot reach us.
   * @default 1000
   */
  readonly clientTimeoutGraceMs?: number;
  /**
   * How often replicas are checked for health and lag (an unref'd timer).
   * @default 1000
   */
  readonly healthCheckIntervalMs?: number;
  /**
   * A replica more than this far behind the primary is taken out of read rotation
   * until it catches up.
   * @default 5000
   */
  readonly maxReplicaLagMs?: number;
  /**
   * After a write, the same context's reads go to the primary until a replica has
   * replayed the write, but never longer than this.
   * @default 2000
   */
  readonly readYourWritesWindowMs?: number;
  /**
   * Default for `transaction(fn, { retries })`: how often a transaction that failed
   * with a serialization failure or deadlock is run again.
   * @default 3
   */
  readonly transactionRetries?: number;
  /**
   * First delay before a transaction retry; later ones double, with jitter.
   * @default 20
   */
  readonly retryMinDelayMs?: number;
  /**
   * Longest delay between transaction retries.
   * @default 1000
   */
  readonly retryMaxDelayMs?: number;
}

/**
 * The options with every default filled in.
 *
 * @example
 * ```ts
 * const resolved: ResolvedConnectionOptions = resolveConnectionOptions({ primary: pool });
 * resolved.statementTimeoutMs; // 30000
 * ```
 */
export type ResolvedConnectionOptions = Required<
  Omit<ConnectionManagerOptions, 'logger' | 'replicas' | 'transactionPooling'>
>;

/**
 * Fills in defaults and rejects nonsense (negative or non-integer limits) with a ValidationError.
 *
 * @example
 * ```ts
 * resolveConnectionOptions({ primary: pool, connectTimeoutMs: 0 }); // throws ValidationError (connectTimeoutMs)
 * ```
 */
export function resolveConnectionOptions(options: ConnectionManagerOptions): ResolvedConnectionOptions {
  const resolved: ResolvedConnectionOptions = {
    primary: options.primary,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
    clientTimeoutGraceMs: options.clientTimeoutGraceMs ?? 1000,
    healthCheckIntervalMs: options.healthCheckIntervalMs ?? 1000,
    maxReplicaLagMs: options.maxReplicaLagMs ?? 5000,
    readYourWritesWindowMs: options.readYourWritesWindowMs ?? 2000,
    transactionRetries: options.transactionRetries ?? 3,
    retryMinDelayMs: options.retryMinDelayMs ?? 20,
    retryMaxDelayMs: options.retryMaxDelayMs ?? 1000,
  };
  if (options.transactionPooling !== undefined && typeof options.transactionPooling !== 'boolean') {
    throw ValidationError.fromIssues('Invalid ConnectionManager options', [
      { path: 'transactionPooling', message: 'must be a boolean', code: 'invalid_type' },
    ]);
  }
  if (!options.primary || typeof options.primary !== 'object') {
    throw ValidationError.fromIssues('Invalid ConnectionManager options', [
      { path: 'primary', message: 'a pg Pool or connection settings are required', code: 'required' },
    ]);
  }
  const replicas: unknown = options.replicas;
  if (
    replicas !== undefined &&
    (!Array.isArray(replicas) || replicas.some((replica) => !replica || typeof replica !== 'object'))
  ) {
    throw ValidationError.fromIssues('Invalid ConnectionManager options', [
      {
        path: 'replicas',
        message: 'must be an array of pg Pools or connection settings',
        code: 'invalid_type',
      },
    ]);
  }
  const issues = Object.entries(resolved)
    .filter(([key]) => key !== 'primary')
    .filter(([key, value]) => !isNonNegativeInteger(value) || (key === 'connectTimeoutMs' && value === 0))
    .map(([key]) => ({
      path: key,
      message: key === 'connectTimeoutMs' ? 'must be a positive integer' : 'must be a non-negative integer',
      code: 'invalid_value',
    }));
  if (resolved.healthCheckIntervalMs === 0) {
    issues.push({
      path: 'healthCheckIntervalMs',
      message: 'must be a positive integer',
      code: 'invalid_value',
    });
  }
  if (issues.length > 0) throw ValidationError.fromIssues('Invalid ConnectionManager options', issues);
  return resolved;
}

/**
 * Whether a value is a whole number of at least 0.
 *
 * @example
 * ```ts
 * isNonNegativeInteger(0); // true
 * isNonNegativeInteger(1.5); // false
 * ```
 */
export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
