/**
 * `reposit`: the core — entities (`defineEntity`), `BaseRepository` and the `Repository`
 * contract, the typed errors, the cache (`CacheManager`, memory L1), `MemoryBackend`,
 * request and transaction contexts, and the logger. No peer dependency is needed.
 *
 * @module reposit
 */

export type { MemoryBackendOptions } from './backends/memory/index.js';
export { MemoryBackend } from './backends/memory/index.js';
export * from './cache/index.js';
export { primaryReadsRequired, withPrimaryReads } from './context/primary-reads.js';
export type { ActiveContext, RequestContext } from './context/request-context.js';
export { currentContext, withContext } from './context/request-context.js';
export type { TransactionScope } from './context/transaction-scope.js';
export {
  currentTransaction,
  outsideTransaction,
  runInTransactionScope,
} from './context/transaction-scope.js';
export * from './errors.js';
export type { CreateLoggerOptions, Logger } from './observability/logger.js';
export { createLogger } from './observability/logger.js';
export type { MetricFamily, MetricSample } from './observability/prometheus-format.js';
export { formatPrometheus } from './observability/prometheus-format.js';
export type { MetricsSources, PrometheusRenderOptions } from './observability/prometheus-metrics.js';
export { renderPrometheusMetrics } from './observability/prometheus-metrics.js';
export { REDACTED, redactSecrets } from './observability/redact.js';
export type {
  SpanAttributeValue,
  SpanTracer,
  TraceSpan,
  TracingOptions,
  TracingStatus,
} from './observability/tracing.js';
export { configureTracing, tracingStatus } from './observability/tracing.js';
export { TypedEvents } from './observability/typed-events.js';
export type { AuditAction, AuditEntry, AuditSink } from './repository/audit.js';
export type { Backend, BackendUpdateOptions } from './repository/backend.js';
export type { RepositoryEntity, RepositoryLogger, RepositoryOptions } from './repository/base-repository.js';
export { BaseRepository } from './repository/base-repository.js';
export { applyQuery, comparatorFor, compareValues, matches } from './repository/condition-evaluator.js';
export type {
  CreateInput,
  CreateInputOf,
  Entity,
  EntityOptions,
  EntitySchema,
  EntityType,
  FieldName,
  IdOf,
} from './repository/entity.js';
export { defineEntity } from './repository/entity.js';
export type { CommittedChange, EntityCache } from './repository/entity-cache.js';
export type { RepositoryEvents, RepositoryHooks } from './repository/hooks.js';
export type {
  BackendQuery,
  Condition,
  ConditionOperator,
  FieldFilter,
  FieldOperators,
  Filter,
  FilterScalar,
  ListQuery,
  NormalizedSort,
  OrderBy,
  Page,
  PageQuery,
  SortDirection,
  SortKey,
} from './repository/query.js';
export type { QueryLimits } from './repository/query-normalizer.js';
export { DEFAULT_QUERY_LIMITS } from './repository/query-normalizer.js';
export type { Repository, StreamOptions, UpdateOptions } from './repository/repository.js';
