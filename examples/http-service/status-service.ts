/**
 * What `/status` and `/health` report: the configuration (secrets redacted), the cache's
 * counters and the connection pools, without a credential anywhere.
 */
import type { ConnectionManager, ConnectionStats } from '../../src/backends/postgres/index.js';
import type { CacheManager, CacheStats } from '../../src/index.js';
import type { AppConfig } from './app-config.js';

/** The body of `GET /status`. */
export interface ServiceStatus {
  readonly wiring: string;
  readonly database: { readonly engine: string; readonly replicas: number } & ConnectionStats;
  readonly cache: CacheStats;
  readonly config: unknown;
}

/** What the status service reads. */
export interface StatusServiceDependencies {
  /** Which composition root built the service (`awilix` or `plain`). */
  readonly wiring: string;
  readonly connections: ConnectionManager;
  readonly cache: CacheManager;
  readonly config: AppConfig;
  readonly database: { readonly engine: string; readonly replicas: number };
}

/** Health and status of the running service. */
export class StatusService {
  readonly #dependencies: StatusServiceDependencies;

  constructor(dependencies: StatusServiceDependencies) {
    this.#dependencies = dependencies;
  }

  /** Resolves when the primary answers; a down database rejects with a ConnectionError. */
  async health(): Promise<{ status: 'ok' }> {
    await this.#dependencies.connections.query('select 1', [], { intent: 'write' });
    return { status: 'ok' };
  }

  status(): ServiceStatus {
    const { wiring, connections, cache, config, database } = this.#dependencies;
    return {
      wiring,
      database: { ...database, ...connections.stats() },
      cache: cache.stats(),
      config: config.toJSON(),
    };
  }
}
