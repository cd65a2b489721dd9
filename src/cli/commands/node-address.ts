import type { PgNodeConfig } from '../../connection/pg-pool.js';

/**
 * The `host:port` of a database node's settings, for reports: never the user, password
 * or database. Nothing for a pool passed in (its address is not known).
 *
 * @example
 * ```ts
 * describeNodeAddress({ connectionString: 'postgres://app:secret@db.internal:5433/app' }); // { address: 'db.internal:5433' }
 * describeNodeAddress(existingPool); // {}
 * ```
 */
export function describeNodeAddress(config: PgNodeConfig | undefined): { address?: string } {
  if (!config || typeof config !== 'object' || 'connect' in config || 'pool' in config) return {};
  let host = config.host;
  let port = config.port;
  if (config.connectionString) {
    try {
      const url = new URL(config.connectionString);
      host ??= url.hostname || undefined;
      port ??= url.port === '' ? undefined : Number(url.port);
    } catch {
      return {};
    }
  }
  return host === undefined ? {} : { address: `${host}:${port ?? 5432}` };
}
