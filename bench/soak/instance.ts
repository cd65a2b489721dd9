import { z } from 'zod';
import { PostgresBackend } from '../../src/backends/postgres/postgres-backend.js';
import { CacheManager } from '../../src/cache/cache-manager.js';
import type { ManagedEntityCache } from '../../src/cache/managed-entity-cache.js';
import { RedisBus } from '../../src/cache/redis/redis-bus.js';
import { RedisTier } from '../../src/cache/redis/redis-tier.js';
import { ConnectionManager } from '../../src/connection/connection-manager.js';
import { createLogger } from '../../src/observability/logger.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { type CreateInputOf, defineEntity, type EntityType } from '../../src/repository/entity.js';
import type { SoakEnvironment } from './environment.js';
import type { Ledger } from './ledger.js';
import type { LogCapture } from './log-capture.js';

/** The soak's entity: a row whose version every write bumps, so stale reads show. */
export const Item = defineEntity({
  name: 'item',
  schema: z.object({
    id: z.number().int(),
    version: z.number().int(),
    value: z.number().int(),
    note: z.string(),
  }),
  id: 'id',
  version: 'version',
});

/** A row of the soak's table. */
export type Item = EntityType<typeof Item>;

/**
 * One application "process": its own connection pools (primary and replica), its own
 * cache (L1 of its own, the shared Redis as L2, the bus) and a repository over them, all
 * configured from URLs that carry passwords, all logging into the capture.
 */
export interface AppInstance {
  readonly index: number;
  readonly connections: ConnectionManager;
  readonly cache: CacheManager;
  readonly l2: RedisTier;
  readonly items: BaseRepository<Item, number, CreateInputOf<typeof Item>>;
  readonly itemCache: ManagedEntityCache<Item, number>;
  close(): Promise<void>;
}

/** Builds instance `index` against the environment. */
export async function startInstance(
  index: number,
  env: SoakEnvironment,
  ledger: Ledger,
  capture: LogCapture,
  namespace: string,
): Promise<AppInstance> {
  const logger = createLogger({
    level: 'debug',
    destination: capture.destination,
    component: `app-${index}`,
  });
  const connections = new ConnectionManager({
    primary: { connectionString: env.primaryUrl, applicationName: env.applicationName, max: 8 },
    replicas: [{ connectionString: env.replicaUrl, applicationName: env.applicationName, max: 8 }],
    logger,
    healthCheckIntervalMs: 500,
  });
  const l2 = new RedisTier({ redis: env.redisUrl });
  const cache = new CacheManager({
    namespace,
    l2,
    bus: ledger.observe(index, new RedisBus({ redis: env.redisUrl })),
    ttl: 60_000,
  });
  cache.events.on('error', ({ error }) => capture.recordError(error));
  const itemCache = cache.forEntity<Item, number>(Item);
  const items = new BaseRepository({
    entity: Item,
    backend: new PostgresBackend(connections, { entity: Item, table: 'items', schema: env.schema }),
    cache: itemCache,
    logger,
  });
  await cache.ready();
  return {
    index,
    connections,
    cache,
    l2,
    items,
    itemCache,
    close: async () => {
      await cache.close();
      await connections.close();
    },
  };
}
