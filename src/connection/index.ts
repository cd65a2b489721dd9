export type { ConnectionStats, NodeStats } from './connection-manager.js';
export { ConnectionManager } from './connection-manager.js';
export type { ConnectionManagerOptions } from './connection-options.js';
export type { DatabaseErrorContext } from './database-error.js';
export { DatabaseError } from './database-error.js';
export type { LatencySummary } from './latency-window.js';
export type { PgErrorContext, PgErrorPhase } from './pg-error-mapping.js';
export { mapPgError } from './pg-error-mapping.js';
export type {
  PgNodeConfig,
  PgNodeOptions,
  PgPool,
  PgPoolClient,
  PgQueryConfig,
  PgQueryResult,
} from './pg-pool.js';
export { poolOf } from './pg-pool.js';
export type { NodeRole } from './pool-node.js';
export type {
  IsolationLevel,
  QueryIntent,
  QueryOptions,
  SqlExecutor,
  SqlResult,
  TransactionOptions,
} from './sql-executor.js';
