/**
 * `reposit/legacy`: migrate off an old data source without downtime. A
 * {@link LegacyAdapter} is a `Backend` over a legacy store and a new one; strategies
 * (big-bang, phased, parallel, hybrid) configure one phase machine; shadow reads are
 * compared, a backfill copies the rest and reconciliation reports the drift.
 *
 * @module reposit/legacy
 */

export type { BackfillJobOptions, BackfillProgress, BackfillResult } from './backfill-job.js';
export { BackfillJob } from './backfill-job.js';
export type { BackfillCheckpoint, CheckpointStore } from './checkpoint-store.js';
export { FileCheckpointStore, MemoryCheckpointStore } from './checkpoint-store.js';
export type { BreakerState, CircuitBreakerOptions } from './circuit-breaker.js';
export { CircuitBreaker } from './circuit-breaker.js';
export type {
  Cohort,
  HashPercentageCohortOptions,
  IdRangeCohortOptions,
  TenantCohortOptions,
} from './cohort.js';
export { allCohort, hashPercentageCohort, idBucket, idRangeCohort, tenantCohort } from './cohort.js';
export type { Comparator, FieldDiff, Normaliser } from './comparison.js';
export {
  compareLists,
  diffEntities,
  ignoreFields,
  ignoreGenerated,
  ignoreTimestamps,
  normalise,
} from './comparison.js';
export type { ComparisonReport, ShadowObservation, ShadowOutcome } from './comparison-recorder.js';
export { ComparisonRecorder } from './comparison-recorder.js';
export type { CutOverGateOptions, CutOverStatus } from './cut-over-gate.js';
export { CutOverGate } from './cut-over-gate.js';
export type { DeadLetter, DeadLetterSource, DeadLetterStore } from './dead-letter-store.js';
export { FileDeadLetterStore, MemoryDeadLetterStore } from './dead-letter-store.js';
export type { JsonFileBackendOptions } from './json-file-backend.js';
export { JsonFileBackend } from './json-file-backend.js';
export type { LatencySnapshot } from './latency-stats.js';
export { LegacyAdapter } from './legacy-adapter.js';
export type {
  ComparisonOptions,
  LegacyAdapterEvents,
  LegacyAdapterOptions,
} from './legacy-adapter-options.js';
export type { LegacyMapper } from './legacy-mapper.js';
export { renameFields } from './legacy-mapper.js';
export type { LegacyMetricsSnapshot } from './legacy-metrics.js';
export type { LegacyStoreOptions, MigrationEntity } from './legacy-store.js';
export type { MigrationPhase, MigrationSide, PhaseBehaviour } from './migration-phase.js';
export { MIGRATION_PHASES, phaseBehaviour } from './migration-phase.js';
export type {
  MigrationStateEvents,
  MigrationStateMachineOptions,
  PhaseTransition,
  TransitionGuard,
} from './migration-state-machine.js';
export { MigrationStateMachine } from './migration-state-machine.js';
export type { OutboxEntry, OutboxStore } from './outbox.js';
export { FileOutboxStore, MemoryOutboxStore, outboxKey } from './outbox.js';
export type { DriftSample, ReconcileOptions, ReconciliationReport } from './reconciliation.js';
export { reconcile } from './reconciliation.js';
export type { SecondaryChange, SecondaryWriteOptions } from './secondary-writer.js';
export { SecondaryWriter } from './secondary-writer.js';
export type { MigrationStrategy, PhasedOptions } from './strategies.js';
export { bigBang, hybrid, parallel, phased } from './strategies.js';
