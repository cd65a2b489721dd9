/**
 * The PostgreSQL side: a ConnectionManager over the configured primary and replicas, or
 * over an embedded PGlite when no server is configured.
 */
import { ConnectionManager } from '../../src/backends/postgres/index.js';
import { PglitePool } from '../../src/testing/index.js';
import type { ServiceSettings } from './settings.js';

/** Opens the connections; reads go to a replica once it has replayed this process's last write. */
export async function openConnections(settings: ServiceSettings): Promise<ConnectionManager> {
  if (settings.databaseUrl) {
    return new ConnectionManager({
      primary: { connectionString: settings.databaseUrl, max: 10 },
      replicas: settings.replicaUrls.map((connectionString) => ({ connectionString, max: 5 })),
    });
  }
  if (settings.replicaUrls.length > 0) {
    throw new Error('REPLICA_URL is set without DATABASE_URL: a replica needs its primary');
  }
  const { PGlite } = await import('@electric-sql/pglite');
  return new ConnectionManager({ primary: new PglitePool(await PGlite.create()) });
}

/** Says where the data lives, without credentials. */
export function describeDatabase(settings: ServiceSettings): { engine: string; replicas: number } {
  if (!settings.databaseUrl) return { engine: 'embedded PGlite', replicas: 0 };
  const { hostname, port } = new URL(settings.databaseUrl);
  return { engine: `PostgreSQL at ${hostname}:${port || 5432}`, replicas: settings.replicaUrls.length };
}
