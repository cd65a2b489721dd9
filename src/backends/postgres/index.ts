/**
 * `reposit/postgres`: the PostgreSQL backend (Kysely + pg), its migrations and audit
 * sink, and the ConnectionManager. pg and kysely are peer dependencies of this subpath
 * only.
 *
 * @module reposit/postgres
 */
export * from '../../connection/index.js';
export { ColumnMapping, type MappedColumn } from './column-mapping.js';
export type { CodecKind, FieldCodec, FieldCodecOptions } from './field-codec.js';
export { toSnakeCase } from './identifiers.js';
export { FolderMigrationProvider } from './migrations/folder-migration-provider.js';
export { MigrationError, type MigrationStep } from './migrations/migration-error.js';
export { type MigrationName, migrationNameProblem, parseMigrationName } from './migrations/migration-name.js';
export {
  type MigrationPool,
  type MigrationStatus,
  PostgresMigrator,
  type PostgresMigratorConfig,
} from './migrations/postgres-migrator.js';
export {
  AUDIT_LOG_TABLE,
  type RepositMigrationsOptions,
  repositMigrations,
} from './migrations/reposit-migrations.js';
export { PostgresAuditSink, type PostgresAuditSinkOptions } from './postgres-audit-sink.js';
export { PostgresBackend } from './postgres-backend.js';
export type { ColumnOptions, EntityWithId, PostgresBackendConfig } from './postgres-backend-config.js';
