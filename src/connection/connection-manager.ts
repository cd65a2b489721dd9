import { primaryReadsRequired } from '../context/primary-reads.js';
import { ConflictError, ConnectionError, UnavailableError, ValidationError } from '../errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { SPAN_KIND, traced } from '../observability/tracing.js';
import {
  type ConnectionManagerOptions,
  isNonNegativeInteger,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from './connection-options.js';
import type { LatencySummary } from './latency-window.js';
import type { PgPool, PgPoolClient } from './pg-pool.js';
import { type NodeRole, PoolNode, type RunOptions } from './pool-node.js';
import { ReadYourWrites } from './read-your-writes.js';
import { ReplicaHealth } from './replica-health.js';
import type { QueryOptions, SqlExecutor, SqlResult, TransactionOptions } from './sql-executor.js';
import { beginStatement, TransactionRunner } from './transaction-runner.js';
import { parseLsn } from './wal-position.js';

/**
 * One node's numbers, as {@link ConnectionManager.stats} reports them.
 *
 * @example
 * ```ts
 * const replica = db.stats().nodes.find((n) => n.role === 'replica');
 * if (replica && replica.lagMs > 1000) log.warn(replica, 'replica behind');
 * ```
 */
export interface NodeStats {
  /** `primary` or `replica:<index>`; never a host or connection string. */
  readonly name: string;
  readonly role: NodeRole;
  /** False while the node is out of read rotation (down, or lagging too far). */
  readonly healthy: boolean;
  /** Replication lag at the last health check, in milliseconds (0 for the primary). */
  readonly lagMs: number;
  /** Connections open, idle, and callers waiting for one. */
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
  /** Latency of the most recent statements on this node, in milliseconds. */
  readonly latencyMs: LatencySummary;
  /** Statements that failed on this node since start (any reposit error). */
  readonly errors: number;
}

/**
 * What {@link ConnectionManager.stats} returns.
 *
 * @example
 * ```ts
 * const { nodes }: ConnectionStats = db.stats();
 * metrics.gauge('db.waiting', nodes.reduce((sum, n) => sum + n.waiting, 0));
 * ```
 */
export interface ConnectionStats {
  readonly nodes: readonly NodeStats[];
}

/**
 * The pg connection layer: one primary and any number of streaming replicas, each a
 * pool reposit creates from settings or your own pg `Pool`.
 *
 * - Writes and transactions go to the primary; `intent: 'read'` statements go to a
 *   healthy replica, round robin. A read that cannot reach a replica is retried on the
 *   next one, then on the primary.
 * - Read-your-writes: after a write, reads of the same request context (see
 *   `withContext`) stay on the primary until a replica has replayed the write's WAL
 *   position, or `readYourWritesWindowMs` has passed.
 * - Replicas are health-checked on an interval; lagging or dead ones leave the rotation
 *   and come back on recovery.
 * - `transaction(fn)` is ambient: every `query` inside `fn` (in any function it calls)
 *   joins it; nested calls are savepoints; serialization failures and deadlocks re-run
 *   the whole function with backoff and jitter; after-commit hooks run after COMMIT.
 * - Every error is a reposit error (see `mapPgError`); statement timeouts are enforced
 *   by the server, with the client giving up slightly later; connecting never waits
 *   forever.
 *
 * @example
 * ```ts
 * const db = new ConnectionManager({
 *   primary: { connectionString: process.env.DATABASE_URL },
 *   replicas: [{ connectionString: process.env.REPLICA_URL }],
 * });
 * await db.transaction(async () => {
 *   await db.query('update accounts set balance = balance - $1 where id = $2', [10, 1]);
 *   await db.query('update accounts set balance = balance + $1 where id = $2', [10, 2]);
 * });
 * const { rows } = await db.query('select * from accounts where id = $1', [1], { intent: 'read' });
 * await db.close();
 * ```
 */
export class ConnectionManager implements SqlExecutor {
  readonly #options: ResolvedConnectionOptions;
  readonly #logger: Logger;
  readonly #primary: PoolNode;
  readonly #replicas: readonly PoolNode[];
  readonly #health: ReplicaHealth;
  readonly #readYourWrites: ReadYourWrites;
  readonly #transactions: TransactionRunner;
  #nextReplica = 0;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: ConnectionManagerOptions) {
    this.#options = resolveConnectionOptions(options);
    this.#logger = options.logger ?? defaultLogger();
    const settings = {
      statementTimeoutMs: this.#options.statementTimeoutMs,
      clientTimeoutGraceMs: this.#options.clientTimeoutGraceMs,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      transactionPooling: options.transactionPooling === true,
      logger: this.#logger,
    };
    this.#primary = new PoolNode('primary', 'primary', options.primary, settings);
    this.#replicas = (options.replicas ?? []).map(
      (config, index) => new PoolNode(`replica:${index}`, 'replica', config, settings),
    );
    this.#readYourWrites = new ReadYourWrites(this.#options.readYourWritesWindowMs);
    this.#health = new ReplicaHealth(this.#primary, this.#replicas, {
      intervalMs: this.#options.healthCheckIntervalMs,
      maxLagMs: this.#options.maxReplicaLagMs,
      checkTimeoutMs: this.#options.connectTimeoutMs,
      logger: this.#logger,
    });
    this.#transactions = new TransactionRunner({
      owner: this,
      node: this.#primary,
      logger: this.#logger,
      retryMinDelayMs: this.#options.retryMinDelayMs,
      retryMaxDelayMs: this.#options.retryMaxDelayMs,
      // Read-your-writes needs the WAL position only when there are replicas to protect.
      afterWriteCommit:
        this.#replicas.length > 0
          ? async (client) => this.#readYourWrites.recordWrite(await this.#walPosition(this.#primary, client))
          : undefined,
    });
    this.#health.start();
  }

  /**
   * The primary's pool, for tools that need pg directly (migrations, COPY, LISTEN).
   * Statements run on it bypass routing, mapping and the ambient transaction.
   *
   * @example
   * ```ts
   * const migrator = new Migrator({ db: new Kysely({ dialect: new PostgresDialect({ pool: db.primaryPool }) }), provider });
   * ```
   */
  get primaryPool(): PgPool {
    return this.#primary.pool;
  }

  /**
   * Runs one parameterised statement. Inside `transaction()` it runs on the
   * transaction's connection; otherwise `intent: 'read'` may go to a replica and
   * everything else goes to the primary.
   *
   * @example
   * ```ts
   * const { rows } = await db.query<{ id: number }>('select id from users where email = $1', [email], {
   *   intent: 'read',
   *   timeoutMs: 2000,
   * });
   * ```
   */
  async query<R = Record<string, unknown>>(
    sql: string,
    parameters: readonly unknown[] = [],
    options: QueryOptions = {},
  ): Promise<SqlResult<R>> {
    validateQuery(sql, parameters, options);
    const frame = this.#transactions.current();
    if (frame) return this.#transactions.query<R>(frame, sql, parameters, options);
    this.#enter();
    try {
      if (options.intent !== 'read') return await this.#write<R>(sql, parameters, options);
      // Without replicas every read goes to the primary: skip choosing a node.
      return this.#replicas.length === 0
        ? await this.#readOn<R>(this.#primary, sql, parameters, options)
        : await this.#read<R>(sql, parameters, options);
    } finally {
      this.#leave();
    }
  }

  /**
   * Runs `fn` in a transaction on the primary. Every `query` made while `fn` runs joins
   * it (ambiently, through AsyncLocalStorage), as do repository calls that use this
   * manager. A nested call opens a SAVEPOINT and rolls back only to it on error. The
   * outermost call re-runs the whole function after a serialization failure (40001) or
   * deadlock (40P01), up to `retries` times with exponential backoff and jitter; an
   * error whose outcome is unknown is never retried. `currentTransaction()?.afterCommit`
   * callbacks run after the outermost COMMIT and are dropped on rollback. The options of
   * a nested call are ignored: it is a savepoint of the outer transaction.
   *
   * @example
   * ```ts
   * const order = await db.transaction(
   *   async () => {
   *     const { rows } = await db.query('insert into orders (total) values ($1) returning *', [42]);
   *     currentTransaction()?.afterCommit(() => events.emit('order', rows[0]));
   *     return rows[0];
   *   },
   *   { isolation: 'serializable', retries: 5 },
   * );
   * ```
   */
  async transaction<R>(fn: () => Promise<R>, options: TransactionOptions = {}): Promise<R> {
    const parent = this.#transactions.current();
    if (parent) return this.#transactions.savepoint(parent, fn);
    const begin = beginStatement(options);
    const retries = options.retries ?? this.#options.transactionRetries;
    if (!isNonNegativeInteger(retries)) {
      throw ValidationError.fromIssues('Invalid transaction options', [
        { path: 'retries', message: 'must be a non-negative integer', code: 'invalid_value' },
      ]);
    }
    this.#enter();
    try {
      return await traced(
        'db.transaction',
        SPAN_KIND.internal,
        {
          'db.system.name': 'postgresql',
          'db.namespace': this.#primary.address.database,
          'reposit.db.isolation': options.isolation ?? 'read committed',
          'reposit.db.read_only': options.readOnly === true,
        },
        () => this.#transactions.run(fn, begin, options.readOnly === true, retries),
      );
    } finally {
      this.#leave();
    }
  }

  /**
   * Per node: connections (total, idle, waiting), health, replication lag and the
   * p50/p95/p99 latency of recent statements.
   *
   * @example
   * ```ts
   * for (const node of db.stats().nodes) console.log(node.name, node.healthy, node.latencyMs.p99);
   * ```
   */
  stats(): ConnectionStats {
    return {
      nodes: [this.#primary, ...this.#replicas].map((node) => ({
        name: node.name,
        role: node.role,
        healthy: node.healthy,
        lagMs: node.lagMs,
        ...node.counts(),
        latencyMs: node.latency.summary(),
        errors: node.errorCount,
      })),
    };
  }

  /**
   * Checks every replica now (instead of waiting for the interval) and returns the stats.
   *
   * @example
   * ```ts
   * const { nodes } = await db.checkHealth();
   * if (nodes.some((n) => !n.healthy)) alert('a replica is out of rotation');
   * ```
   */
  async checkHealth(): Promise<ConnectionStats> {
    await this.#health.check();
    return this.stats();
  }

  /**
   * Stops health checks, refuses new work, waits for running statements and
   * transactions to finish, then ends the pools reposit created (never yours).
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => db.close().then(() => process.exit(0)));
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#health.stop();
      if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      await Promise.all([this.#primary, ...this.#replicas].map((node) => node.end()));
    })();
    return this.#closing;
  }

  /**
   * Whether a read may go to a replica: false when no replicas are configured, so every
   * read is served by the primary.
   *
   * @example
   * ```ts
   * new ConnectionManager({ primary: { connectionString } }).mayReadFromReplicas(); // false
   * ```
   */
  mayReadFromReplicas(): boolean {
    return this.#replicas.length > 0;
  }

  /** Counts a unit of work in, so that close() can wait for it; refused once closing. */
  #enter(): void {
    if (this.#closing) throw new UnavailableError('The ConnectionManager is closed');
    this.#inFlight++;
  }

  #leave(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #write<R>(sql: string, parameters: readonly unknown[], options: QueryOptions): Promise<SqlResult<R>> {
    const node = this.#primary;
    const client = await node.acquire();
    try {
      const result = await node.run<R>(client, sql, parameters, runOptions(options, 'write'));
      if (this.#replicas.length > 0) this.#readYourWrites.recordWrite(await this.#walPosition(node, client));
      return result;
    } finally {
      node.release(client);
    }
  }

  async #read<R>(sql: string, parameters: readonly unknown[], options: QueryOptions): Promise<SqlResult<R>> {
    for (const node of this.#readCandidates()) {
      if (node.role === 'primary') return this.#readOn<R>(node, sql, parameters, options);
      try {
        return await this.#readOn<R>(node, sql, parameters, options);
      } catch (error) {
        // A replica that cannot be reached (or cancelled the read for a recovery conflict)
        // is not the caller's problem while another node can answer.
        if (!(error instanceof ConnectionError || (error instanceof ConflictError && error.retryable))) {
          throw error;
        }
        if (error instanceof ConnectionError) this.#health.markDown(node, error);
        this.#logger.warn({ node: node.name, err: error }, 'read failed on a replica; trying the next node');
      }
    }
    /* c8 ignore next: the candidate list always ends with the primary */
    throw new UnavailableError('No database node is available for reads');
  }

  async #readOn<R>(
    node: PoolNode,
    sql: string,
    parameters: readonly unknown[],
    options: QueryOptions,
  ): Promise<SqlResult<R>> {
    const client = await node.acquire();
    try {
      return await node.run<R>(client, sql, parameters, runOptions(options, 'read'));
    } finally {
      node.release(client);
    }
  }

  /** Healthy replicas that satisfy read-your-writes, rotated, then the primary. */
  #readCandidates(): PoolNode[] {
    if (this.#replicas.length === 0 || primaryReadsRequired()) return [this.#primary];
    const required = this.#readYourWrites.requiredLsn();
    const eligible = this.#replicas.filter(
      (replica) =>
        replica.healthy &&
        (required === undefined ||
          (required !== null && replica.replayLsn !== undefined && replica.replayLsn >= required)),
    );
    if (eligible.length === 0) return [this.#primary];
    const start = this.#nextReplica++ % eligible.length;
    return [...eligible.slice(start), ...eligible.slice(0, start), this.#primary];
  }

  /** The primary's WAL insert position (covers the commit just made), or undefined if unreadable. */
  async #walPosition(node: PoolNode, client: PgPoolClient): Promise<bigint | undefined> {
    try {
      const { rows } = await node.run<{ lsn: string }>(
        client,
        'select pg_current_wal_insert_lsn()::text as lsn',
        [],
        { during: 'read' },
      );
      return parseLsn(rows[0]?.lsn);
    } catch (error) {
      this.#logger.debug(
        { err: error },
        'could not read the WAL position; reads stay on the primary for the window',
      );
      return undefined;
    }
  }
}

let sharedLogger: Logger | undefined;

/** One default logger for every manager that was given none (one stderr stream, not one each). */
function defaultLogger(): Logger {
  sharedLogger ??= createLogger();
  return sharedLogger;
}

/** A statement's run options (an object literal: cheaper than spreading the caller's options). */
function runOptions(options: QueryOptions, during: 'read' | 'write'): RunOptions {
  return { name: options.name, timeoutMs: options.timeoutMs, during };
}

function validateQuery(sql: unknown, parameters: unknown, options: QueryOptions): void {
  const valid =
    typeof sql === 'string' &&
    Array.isArray(parameters) &&
    (options.intent === undefined || options.intent === 'read' || options.intent === 'write') &&
    (options.timeoutMs === undefined || isNonNegativeInteger(options.timeoutMs));
  if (valid && sql.trim() !== '') return;
  const issues = [];
  if (typeof sql !== 'string' || sql.trim() === '') {
    issues.push({ path: 'sql', message: 'must be a non-empty string', code: 'invalid_type' });
  }
  if (!Array.isArray(parameters)) {
    issues.push({ path: 'parameters', message: 'must be an array', code: 'invalid_type' });
  }
  if (options.intent !== undefined && options.intent !== 'read' && options.intent !== 'write') {
    issues.push({ path: 'intent', message: "must be 'read' or 'write'", code: 'invalid_value' });
  }
  if (options.timeoutMs !== undefined && !isNonNegativeInteger(options.timeoutMs)) {
    issues.push({ path: 'timeoutMs', message: 'must be a non-negative integer', code: 'invalid_value' });
  }
  if (issues.length > 0) throw ValidationError.fromIssues('Invalid query', issues);
}
