import pg from 'pg';
import { ConnectionError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import {
  activeTracer,
  recordStatements,
  SPAN_KIND,
  type TraceSpan,
  traced,
} from '../observability/tracing.js';
import { LatencyWindow } from './latency-window.js';
import { type NodeAddress, nodeAddress } from './node-address.js';
import { mapPgError, type PgErrorPhase } from './pg-error-mapping.js';
import {
  type PgNodeConfig,
  type PgNodeOptions,
  type PgPool,
  type PgPoolClient,
  type PgQueryResult,
  poolOf,
} from './pg-pool.js';
import type { SqlResult } from './sql-executor.js';

/**
 * Whether a node takes writes (`primary`) or serves reads only (`replica`).
 *
 * @example
 * ```ts
 * const readers = db.stats().nodes.filter((n) => n.role === 'replica');
 * ```
 */
export type NodeRole = 'primary' | 'replica';

/**
 * The settings every node of a manager shares.
 *
 * @example
 * ```ts
 * new PoolNode('primary', 'primary', { connectionString }, {
 *   statementTimeoutMs: 30_000, clientTimeoutGraceMs: 1000, connectTimeoutMs: 5000, logger,
 * });
 * ```
 */
export interface PoolNodeSettings {
  readonly statementTimeoutMs: number;
  readonly clientTimeoutGraceMs: number;
  readonly connectTimeoutMs: number;
  /** Keep no session state: behind a pooler in transaction mode (see ConnectionManagerOptions). */
  readonly transactionPooling?: boolean;
  readonly logger: Logger;
}

/**
 * How one statement runs on a checked-out client.
 *
 * @example
 * ```ts
 * await node.run(client, 'select 1', [], { during: 'read', timeoutMs: 500 });
 * ```
 */
export interface RunOptions {
  readonly name?: string;
  readonly timeoutMs?: number;
  /** Client-side limit only, leaving the server-side timeout as it is (health checks). */
  readonly clientTimeoutMs?: number;
  readonly during: PgErrorPhase;
  /** Whether the statement gets a `db.query` span (health checks do not). @default true */
  readonly traced?: boolean;
}

/**
 * One database node of a {@link ConnectionManager}: its pool, its health as the last
 * check saw it, and its latency window. It owns the per-connection details: the
 * server-side statement timeout of each connection (set only when it changes), a
 * client-side limit slightly later (behind a pooler in transaction mode: `SET LOCAL` inside
 * transactions, never a session setting), error listeners so that a connection dying while
 * idle or checked out never crashes the process, and destroying connections that broke.
 *
 * @example
 * ```ts
 * const client = await node.acquire();
 * try {
 *   await node.run(client, 'select $1::int', [1], { during: 'read' });
 * } finally {
 *   node.release(client);
 * }
 * ```
 */
export class PoolNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly pool: PgPool;
  /** Whether reposit created the pool (and so ends it on close). */
  readonly owned: boolean;
  readonly latency = new LatencyWindow();
  /** Where the node is (host, port, database; never credentials), for span attributes. */
  readonly address: NodeAddress;
  /** Statements that failed on this node, since start. */
  errorCount = 0;
  /** False while the node is down or (a replica) lags too far. */
  healthy = true;
  /** The WAL position a replica had replayed at the last check. */
  replayLsn: bigint | undefined;
  /** How far a replica was behind at the last check, in milliseconds. */
  lagMs = 0;

  readonly #settings: PoolNodeSettings;
  /** statement_timeout in force on each connection, as far as reposit knows. */
  readonly #timeouts = new WeakMap<PgPoolClient, number>();
  readonly #broken = new WeakSet<PgPoolClient>();
  /** Connections with reposit's error listener (attached once per connection, not per checkout). */
  readonly #listening = new WeakSet<PgPoolClient>();
  readonly #checkedOut = new WeakSet<PgPoolClient>();
  readonly #onIdleError = (error: unknown) => {
    this.#settings.logger.warn(
      { node: this.name, err: mapPgError(error, { node: this.name }) },
      'idle database connection failed; the pool discards it',
    );
  };

  constructor(name: string, role: NodeRole, config: PgNodeConfig, settings: PoolNodeSettings) {
    this.name = name;
    this.role = role;
    this.#settings = settings;
    this.address = nodeAddress(config);
    const given = poolOf(config);
    if (given) {
      this.pool = given;
      this.owned = false;
    } else {
      const options = config as PgNodeOptions;
      const pool = new pg.Pool({
        connectionString: options.connectionString,
        host: options.host,
        port: options.port,
        user: options.user,
        password: options.password,
        database: options.database,
        ssl: options.ssl as pg.PoolConfig['ssl'],
        max: options.max ?? 10,
        idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
        options: options.options,
        application_name: options.applicationName ?? 'reposit',
        connectionTimeoutMillis: settings.connectTimeoutMs,
        // A pooler in transaction mode refuses settings in the startup packet that it cannot track.
        statement_timeout: settings.transactionPooling ? undefined : settings.statementTimeoutMs,
        keepAlive: true,
        // Idle connections and the health timer never keep a process alive on their own.
        allowExitOnIdle: true,
      });
      // The startup packet already set statement_timeout; no SET needed on first use.
      if (!settings.transactionPooling) {
        pool.on('connect', (client) => this.#timeouts.set(client, settings.statementTimeoutMs));
      }
      this.pool = pool;
      this.owned = true;
    }
    this.pool.on('error', this.#onIdleError);
  }

  /** Checks a connection out; an error listener makes sure a failure while reposit holds it cannot crash. */
  async acquire(): Promise<PgPoolClient> {
    let client: PgPoolClient;
    try {
      // A user's pool may have no connect timeout; with an idle connection there is no wait to bound.
      client = await (this.owned || this.pool.idleCount > 0
        ? this.pool.connect()
        : this.#connectWithin(this.#settings.connectTimeoutMs));
    } catch (error) {
      throw mapPgError(error, { node: this.name, during: 'connect' });
    }
    this.#checkedOut.add(client);
    if (!this.#listening.has(client)) {
      this.#listening.add(client);
      client.on('error', (error: unknown) => this.#onClientError(client, error));
    }
    return client;
  }

  /** A connection failed outside a statement; while it is idle the pool's own listener handles it. */
  #onClientError(client: PgPoolClient, error: unknown): void {
    // pg reports a killed connection twice (the server's FATAL, then the closed socket).
    if (!this.#checkedOut.has(client) || this.#broken.has(client)) return;
    this.#broken.add(client);
    this.#settings.logger.warn(
      { node: this.name, err: mapPgError(error, { node: this.name }) },
      'database connection failed while checked out',
    );
  }

  /**
   * A user's pool may have no connect timeout (pg's default is none): bound the wait here.
   * A connection that arrives after the caller gave up goes straight back to the pool.
   */
  #connectWithin(timeoutMs: number): Promise<PgPoolClient> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(
          new ConnectionError(`No connection to ${this.name} within ${timeoutMs} ms (connectTimeoutMs)`, {
            node: this.name,
          }),
        );
      }, timeoutMs);
      this.pool.connect().then(
        (client) => {
          clearTimeout(timer);
          if (settled) client.release();
          else resolve(client);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (!settled) reject(error);
        },
      );
    });
  }

  /** Returns a connection; a broken one (or `destroy`) is closed instead of reused. */
  release(client: PgPoolClient, destroy = false): void {
    this.#checkedOut.delete(client);
    client.release(destroy || this.#broken.has(client));
  }

  /** Runs one statement on a checked-out connection; errors come back mapped. */
  run<R>(
    client: PgPoolClient,
    sql: string,
    parameters: readonly unknown[],
    options: RunOptions,
  ): Promise<SqlResult<R>> {
    // The span's attributes cost a regular expression and an object: only build them when traced.
    if (options.traced === false || activeTracer() === undefined) {
      return this.#run(client, sql, parameters, options, undefined);
    }
    return traced(
      'db.query',
      SPAN_KIND.client,
      {
        'db.system': 'postgresql',
        'db.system.name': 'postgresql',
        'db.operation.name': operationOf(sql),
        'db.namespace': this.address.database,
        'db.query.text': recordStatements() ? sql : undefined,
        'server.address': this.address.host,
        'server.port': this.address.port,
        'reposit.db.node': this.name,
        'reposit.db.role': this.role,
        'reposit.db.statement_name': options.name,
      },
      (span) => this.#run<R>(client, sql, parameters, options, span),
    );
  }

  async #run<R>(
    client: PgPoolClient,
    sql: string,
    parameters: readonly unknown[],
    options: RunOptions,
    span: TraceSpan | undefined,
  ): Promise<SqlResult<R>> {
    const timeoutMs = options.timeoutMs ?? this.#settings.statementTimeoutMs;
    // The server cancels at timeoutMs; the client gives up only if even that reply is lost.
    const clientTimeoutMs = options.clientTimeoutMs ?? this.#clientLimit(timeoutMs);
    const pooled = this.#settings.transactionPooling === true;
    if (
      pooled &&
      options.during !== 'transaction' &&
      options.clientTimeoutMs === undefined &&
      timeoutMs !== this.#settings.statementTimeoutMs
    ) {
      return this.#runInOwnTransaction(client, sql, parameters, options, timeoutMs);
    }
    const started = performance.now();
    try {
      // Behind a pooler in transaction mode a session setting would stick to whichever server
      // connection ran it, so only transactions set a (local) timeout there.
      if ((!pooled || options.during === 'transaction') && this.#timeouts.get(client) !== timeoutMs) {
        const scope = pooled ? 'local ' : '';
        await client.query({
          text: `set ${scope}statement_timeout = ${timeoutMs}`,
          query_timeout: clientTimeoutMs,
        });
        this.#timeouts.set(client, timeoutMs);
      }
      const result = await client.query<R>({
        text: sql,
        values: parameters as unknown[],
        name: options.name,
        query_timeout: clientTimeoutMs,
      });
      span?.setAttribute('db.response.returned_rows', result.rows.length);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } catch (error) {
      this.errorCount++;
      const mapped = mapPgError(error, { node: this.name, during: options.during, timeoutMs });
      // No server error object means the connection itself is in doubt (lost, or a reply still pending).
      if (
        mapped instanceof ConnectionError ||
        typeof (error as { severity?: unknown }).severity !== 'string'
      ) {
        this.#broken.add(client);
      }
      throw mapped;
    } finally {
      this.latency.record(performance.now() - started);
    }
  }

  /**
   * Behind a pooler in transaction mode, a statement outside a transaction with a timeout of
   * its own: `BEGIN; SET LOCAL statement_timeout` in one round trip, the statement, COMMIT.
   */
  async #runInOwnTransaction<R>(
    client: PgPoolClient,
    sql: string,
    parameters: readonly unknown[],
    options: RunOptions,
    timeoutMs: number,
  ): Promise<SqlResult<R>> {
    await this.begin(client, 'begin', timeoutMs);
    let result: SqlResult<R>;
    try {
      result = await this.run<R>(client, sql, parameters, { ...options, timeoutMs, during: 'transaction' });
    } catch (error) {
      // Nothing was committed: the statement's failure is reported as that of a transaction.
      await this.control(client, 'rollback', 'transaction').catch(() => this.markBroken(client));
      throw error;
    }
    await this.control(client, 'commit', options.during === 'write' ? 'commit' : options.during);
    return result;
  }

  /**
   * Opens a transaction with `begin` (a BEGIN statement). Behind a pooler in transaction
   * mode it also sets the transaction's statement timeout with SET LOCAL, in the same
   * round trip (the server connection may differ from the last transaction's).
   */
  async begin(
    client: PgPoolClient,
    begin: string,
    timeoutMs = this.#settings.statementTimeoutMs,
  ): Promise<void> {
    if (!this.#settings.transactionPooling) {
      await this.control(client, begin, 'transaction');
      return;
    }
    this.#timeouts.delete(client);
    await this.control(client, `${begin}; set local statement_timeout = ${timeoutMs}`, 'transaction');
    this.#timeouts.set(client, timeoutMs);
  }

  /**
   * Runs a control statement (BEGIN, COMMIT, SAVEPOINT …) and returns its command tag.
   * Errors come back mapped; a failure marks the connection broken unless the server answered.
   */
  async control(client: PgPoolClient, sql: string, during: PgErrorPhase): Promise<string> {
    try {
      const result = await client.query({
        text: sql,
        query_timeout: this.#clientLimit(this.#settings.statementTimeoutMs),
      });
      // Several statements in one string answer with one result each; the last one's tag counts.
      const results = result as unknown as PgQueryResult<unknown> | PgQueryResult<unknown>[];
      return Array.isArray(results) ? (results.at(-1)?.command ?? '') : results.command;
    } catch (error) {
      if (typeof (error as { severity?: unknown }).severity !== 'string') this.#broken.add(client);
      throw mapPgError(error, { node: this.name, during });
    }
  }

  /** The client-side limit for a server-side timeout (none when the server has none). */
  #clientLimit(serverTimeoutMs: number): number | undefined {
    return serverTimeoutMs > 0 ? serverTimeoutMs + this.#settings.clientTimeoutGraceMs : undefined;
  }

  /**
   * Forgets what reposit knew of a connection's settings: a rolled-back transaction or
   * savepoint also rolls back a SET made inside it.
   */
  forgetSettings(client: PgPoolClient): void {
    this.#timeouts.delete(client);
  }

  /** Marks a connection so that it is destroyed on release. */
  markBroken(client: PgPoolClient): void {
    this.#broken.add(client);
  }

  /** Connections in use, idle and waited for. */
  counts(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /**
   * Ends the pool if reposit created it, else detaches from it. An ended pool keeps its
   * error listener: pg's `end()` resolves before its connections have closed, and one the
   * server kills meanwhile would otherwise be an unhandled 'error' that crashes the process.
   */
  async end(): Promise<void> {
    if (this.owned) {
      await this.pool.end();
      return;
    }
    this.pool.removeListener('error', this.#onIdleError);
  }
}

/**
 * The SQL keyword a statement starts with (`SELECT`, `INSERT`, `WITH` …): the
 * `db.operation.name` of its span. Only a leading keyword, so no data can leak through it.
 */
function operationOf(sql: string): string | undefined {
  const match = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([a-z]+)/i.exec(sql);
  return match?.[1]?.toUpperCase();
}
