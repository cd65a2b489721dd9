import type { PgNodeConfig, PgNodeOptions } from './pg-pool.js';

/**
 * Where a node is, as far as its configuration tells: host, port and database, never
 * the user or password. Used for span attributes (`server.address`, `server.port`,
 * `db.namespace`).
 *
 * @example
 * ```ts
 * nodeAddress({ connectionString: 'postgres://app:s3cret@db:6432/shop' });
 * // { host: 'db', port: 6432, database: 'shop' }
 * ```
 */
export interface NodeAddress {
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
}

/**
 * The address of a node config: explicit fields win over the connection string; for a
 * pool you pass in, whatever its `options` (pg's `Pool`) say.
 *
 * @example
 * ```ts
 * nodeAddress(new pg.Pool({ host: 'db', database: 'shop' })); // { host: 'db', port: undefined, database: 'shop' }
 * ```
 */
export function nodeAddress(config: PgNodeConfig): NodeAddress {
  const settings = (
    (config as { options?: unknown }).options !== undefined &&
    typeof (config as { connect?: unknown }).connect === 'function'
      ? (config as { options: PgNodeOptions }).options
      : ((config as { pool?: { options?: PgNodeOptions } }).pool?.options ?? config)
  ) as PgNodeOptions;
  const fromUrl = parseUrl(settings.connectionString);
  const port = settings.port ?? fromUrl.port;
  return {
    host: typeof settings.host === 'string' ? settings.host : fromUrl.host,
    port: typeof port === 'number' && Number.isFinite(port) ? port : undefined,
    database: typeof settings.database === 'string' ? settings.database : fromUrl.database,
  };
}

function parseUrl(connectionString: unknown): NodeAddress {
  if (typeof connectionString !== 'string') return {};
  try {
    const url = new URL(connectionString);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return {
      host: url.hostname === '' ? undefined : decodeURIComponent(url.hostname),
      port: url.port === '' ? undefined : Number(url.port),
      database: database === '' ? undefined : database,
    };
  } catch {
    // A key=value connection string: the address is unknown rather than guessed.
    return {};
  }
}
