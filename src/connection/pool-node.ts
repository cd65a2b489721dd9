import pg from 'pg';
import { ConnectionError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { LatencyWindow } from './latency-window.js';
import { mapPgError, type PgErrorPhase } from './pg-error-mapping.js';
import { type PgNodeConfig, type PgNodeOptions, type PgPool, type PgPoolClient, poolOf } from './pg-pool.js';
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
}

/**
 * One database node of a {@link ConnectionManager}: its pool, its health as the last
 * check saw it, and its latency window. It owns the per-connection details: the
 * server-side statement timeout of each connection (set only when it changes), a
 * client-side limit slightly later, error listeners so that a connection dying while
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
        statement_timeout: settings.statementTimeoutMs,
        keepAlive: true,
        // Idle connections and the health timer never keep a process alive on their own.
        allowExitOnIdle: true,
      });
      // The startup packet already set statement_timeout; no SET needed on first use.
      pool.on('connect', (client) => this.#timeouts.set(client, settings.statementTimeoutMs));
      this.pool = pool;
      this.owned = true;
    }
    this.pool.on('error', this.#onIdleError);
  }

  /** Checks a connection out; an error listener makes sure a failure while reposit holds it cannot crash. */
  async acquire(): Promise<PgPoolClient> {
    let client: PgPoolClient;
    try {
      client = await (this.owned
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
  async run<R>(
    client: PgPoolClient,
    sql: string,
    parameters: readonly unknown[],
    options: RunOptions,
  ): Promise<SqlResult<R>> {
    const timeoutMs = options.timeoutMs ?? this.#settings.statementTimeoutMs;
    // The server cancels at timeoutMs; the client gives up only if even that reply is lost.
    const clientTimeoutMs = options.clientTimeoutMs ?? this.#clientLimit(timeoutMs);
    const started = performance.now();
    try {
      if (this.#timeouts.get(client) !== timeoutMs) {
        await client.query({ text: `set statement_timeout = ${timeoutMs}`, query_timeout: clientTimeoutMs });
        this.#timeouts.set(client, timeoutMs);
      }
      const result = await client.query<R>({
        text: sql,
        values: parameters as unknown[],
        name: options.name,
        query_timeout: clientTimeoutMs,
      });
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } catch (error) {
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
   * Runs a control statement (BEGIN, COMMIT, SAVEPOINT …) and returns its command tag.
   * Errors come back mapped; a failure marks the connection broken unless the server answered.
   */
  async control(client: PgPoolClient, sql: string, during: PgErrorPhase): Promise<string> {
    try {
      const result = await client.query({
        text: sql,
        query_timeout: this.#clientLimit(this.#settings.statementTimeoutMs),
      });
      return result.command;
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
