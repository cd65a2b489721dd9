/**
 * The parts of pg's `Pool` and `PoolClient` that reposit uses, declared locally so that
 * pg stays an optional peer dependency and any compatible pool (pg's own, or a wrapper
 * around it) can be passed in.
 *
 * @module
 */

/**
 * A statement as pg's `client.query(config)` takes it.
 *
 * @example
 * ```ts
 * await client.query({ text: 'select * from users where id = $1', values: [42], name: 'user_by_id' });
 * ```
 */
export interface PgQueryConfig {
  readonly text: string;
  readonly values?: unknown[];
  /** Name of a server-side prepared statement. */
  readonly name?: string;
  /** Client-side limit in milliseconds after which pg gives up waiting for the reply. */
  readonly query_timeout?: number;
}

/**
 * What pg returns for a statement.
 *
 * @example
 * ```ts
 * const { rows, command }: PgQueryResult<{ id: number }> = await client.query({ text: 'select 1 as id' });
 * ```
 */
export interface PgQueryResult<R> {
  readonly rows: R[];
  readonly rowCount: number | null;
  /** The command tag, e.g. `INSERT`, or `ROLLBACK` for a COMMIT of a failed transaction. */
  readonly command: string;
}

/**
 * A connection checked out of a pool (pg's `PoolClient`).
 *
 * @example
 * ```ts
 * const client: PgPoolClient = await pool.connect();
 * try { await client.query({ text: 'select 1' }); } finally { client.release(); }
 * ```
 */
export interface PgPoolClient {
  /** Runs one statement on this connection. */
  query<R = Record<string, unknown>>(config: PgQueryConfig): Promise<PgQueryResult<R>>;
  /** Returns the connection; `true` or an error destroys it instead. */
  release(destroy?: boolean | Error): void;
  // Listeners typed loosely so that pg's clients and look-alikes (PglitePool's) both fit.
  /** Listens for errors of the idle connection. */
  on(event: 'error', listener: (...args: unknown[]) => void): unknown;
}

/**
 * A connection pool (pg's `Pool`). reposit never ends a pool it did not create.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PgPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const manager = new ConnectionManager({ primary: pool });
 * ```
 */
export interface PgPool {
  /** Checks out a connection. */
  connect(): Promise<PgPoolClient>;
  /** Closes every connection of the pool. */
  end(): Promise<void>;
  /** Listens for errors of idle connections. */
  on(event: 'error', listener: (...args: unknown[]) => void): unknown;
  /** Stops listening. */
  removeListener(event: 'error', listener: (...args: unknown[]) => void): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/**
 * Connection settings for a pool reposit creates (a subset of pg's `PoolConfig`).
 *
 * @example
 * ```ts
 * const primary: PgNodeOptions = { connectionString: process.env.DATABASE_URL, max: 20 };
 * const replica: PgNodeOptions = { host: '10.0.0.12', port: 5432, user: 'app', database: 'app' };
 * ```
 */
export interface PgNodeOptions {
  /** A `postgres://` URL; fields given alongside it win. @default undefined */
  readonly connectionString?: string;
  /** @default pg's default (PGHOST or localhost) */
  readonly host?: string;
  /** @default pg's default (PGPORT or 5432) */
  readonly port?: number;
  /** @default pg's default (PGUSER or the OS user) */
  readonly user?: string;
  /** A password, or a function returning one (for rotating credentials). @default undefined */
  readonly password?: string | (() => string | Promise<string>);
  /** @default pg's default (PGDATABASE or the user name) */
  readonly database?: string;
  /** TLS options as pg takes them. @default undefined (no TLS) */
  readonly ssl?: boolean | Record<string, unknown>;
  /** Most connections the pool opens. @default 10 */
  readonly max?: number;
  /** How long an idle connection stays open, in milliseconds. @default 30000 */
  readonly idleTimeoutMillis?: number;
  /** Server options sent at connect, e.g. `-c search_path=app`. @default undefined */
  readonly options?: string;
  /** Shown in pg_stat_activity. @default 'reposit' */
  readonly applicationName?: string;
}

/**
 * One database node: settings for a pool reposit creates (and ends on `close()`), or
 * your own pool, bare or as `{ pool }` (reposit leaves it open).
 *
 * @example
 * ```ts
 * const replicas: PgNodeConfig[] = [{ connectionString: process.env.REPLICA_URL }, existingPool];
 * ```
 */
export type PgNodeConfig = PgNodeOptions | PgPool | { readonly pool: PgPool };

/**
 * The user's pool in a node config, or undefined when the config holds settings.
 *
 * @example
 * ```ts
 * poolOf(new pg.Pool()); // the pool
 * poolOf({ pool }); // the pool
 * poolOf({ connectionString: 'postgres://db/app' }); // undefined
 * ```
 */
export function poolOf(config: PgNodeConfig): PgPool | undefined {
  if (isPool(config)) return config;
  const wrapped = (config as { pool?: unknown }).pool;
  return isPool(wrapped) ? wrapped : undefined;
}

function isPool(value: unknown): value is PgPool {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PgPool).connect === 'function' &&
    typeof (value as PgPool).end === 'function' &&
    typeof (value as PgPool).on === 'function'
  );
}
