/**
 * The few methods the database source needs of a PostgreSQL client, so that `pg` stays
 * an optional peer dependency: a `pg.Pool` satisfies {@link PgPoolLike} as it is.
 *
 * @module
 */
import { mapPgError, type PgErrorPhase } from '../../../connection/pg-error-mapping.js';
import { RepositoryError } from '../../../errors.js';

/**
 * A result row set (what `pg`'s `query` resolves to, as far as reposit reads it).
 *
 * @example
 * ```ts
 * const { rows }: PgResultLike = await pool.query('SELECT 1 AS one');
 * ```
 */
export interface PgResultLike {
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number | null;
}

/**
 * A notification delivered to a `LISTEN`ing connection.
 *
 * @example
 * ```ts
 * client.on('notification', (message: PgNotificationLike) => console.log(message.channel, message.payload));
 * ```
 */
export interface PgNotificationLike {
  readonly channel: string;
  readonly payload?: string | undefined;
}

/**
 * A connection checked out of a pool (a `pg.PoolClient`).
 *
 * @example
 * ```ts
 * const client: PgPoolClientLike = await pool.connect();
 * try { await client.query('SELECT 1'); } finally { client.release(); }
 * ```
 */
export interface PgPoolClientLike {
  /** Runs one statement. */
  query(text: string, values?: unknown[]): Promise<PgResultLike>;
  /** Returns the connection to the pool (or destroys it). */
  release(destroy?: boolean | Error): void;
  /** Listens for NOTIFY messages, errors or the end of the connection. */
  on(event: 'notification', listener: (message: PgNotificationLike) => void): unknown;
  /** Listens for errors of the connection. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Listens for the end of the connection. */
  on(event: 'end', listener: () => void): unknown;
  /** Removes listeners. */
  removeAllListeners(event?: string): unknown;
}

/**
 * A pool of PostgreSQL connections (a `pg.Pool`).
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PgPoolLike = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgPoolLike {
  /** Runs one statement on any connection. */
  query(text: string, values?: unknown[]): Promise<PgResultLike>;
  /** Checks out a connection (the LISTEN connection, and write transactions). */
  connect(): Promise<PgPoolClientLike>;
  /** Closes the pool. */
  end(): Promise<void>;
}

/** A pool for `connection`: the caller's own, or one created (and owned) from a connection string. */
export async function resolvePool(
  connection: PgPoolLike | string,
): Promise<{ pool: PgPoolLike; owned: boolean }> {
  if (typeof connection !== 'string') return { pool: connection, owned: false };
  let pg: { Pool: new (config: object) => PgPoolLike & { on(event: 'error', l: () => void): unknown } };
  try {
    const loaded = (await import('pg')) as { default?: typeof pg } & typeof pg;
    pg = loaded.default ?? loaded;
  } catch (error) {
    throw new RepositoryError(
      'The configuration database source needs the "pg" package when given a connection string: npm install pg',
      'E_MISSING_PEER',
      { cause: error },
    );
  }
  // Two connections are enough: one held for LISTEN, one for loads and writes.
  const pool = new pg.Pool({ connectionString: connection, max: 3 });
  // An idle connection that dies is replaced on the next checkout; nothing to do here.
  pool.on('error', () => {});
  return { pool, owned: true };
}

/**
 * A driver error as a reposit error, through the library's one pg error mapping (SQLSTATE
 * and network errors onto the hierarchy; no credentials in messages), naming the
 * configuration database as the node.
 */
export function mapConfigPgError(error: unknown, during: PgErrorPhase): RepositoryError {
  if ((error as { code?: unknown } | null)?.code === '42P01') {
    return new RepositoryError(
      'The configuration tables do not exist: run configMigration() or ensureConfigSchema(), or pass ensureSchema: true',
      'E_CONFIG_NO_TABLES',
      { cause: error },
    );
  }
  return mapPgError(error, { node: 'configuration database', during });
}
