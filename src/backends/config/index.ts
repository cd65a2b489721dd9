/**
 * `reposit/config`: the ConfigurationRepository — layered sources (defaults, files,
 * PostgreSQL, environment variables, runtime overrides), one zod schema, typed paths,
 * hot reload, versions with history and rollback, redacted secrets. `pg` (and `kysely`,
 * for the migration) are optional peers of this subpath.
 *
 * @module reposit/config
 */
export type { ChangeContext, ConfigChangeListener, ConfigErrorListener } from './config-events.js';
export type {
  ConfigFilesSetting,
  ConfigLogger,
  ConfigurationOptions,
  ConfigWriteOptions,
  DeepPartial,
} from './config-options.js';
export type { ConfigPath, ConfigValue } from './config-paths.js';
export type { ConfigExplanation } from './config-repository.js';
export { ConfigurationRepository } from './config-repository.js';
export type {
  ConfigIssue,
  ConfigSource,
  SourceContext,
  SourceSnapshot,
  StopWatching,
} from './config-source.js';
export type { ConfigChange, ConfigVersion, ConfigVersionDetail } from './config-versions.js';
export type { SourceOpinion } from './merge.js';
export { REDACTED, SecretPolicy } from './secrets.js';
export type { ConfigFilesOptions } from './sources/config-files.js';
export { configFiles } from './sources/config-files.js';
export type {
  DatabaseMutation,
  DatabaseSourceOptions,
  DatabaseWriteOptions,
  DatabaseWriteResult,
} from './sources/database-source.js';
export { DatabaseSource } from './sources/database-source.js';
export type { ConfigMigration, ConfigTableOptions } from './sources/database-tables.js';
export { ConfigTables, configMigration, ensureConfigSchema } from './sources/database-tables.js';
export { defaultsSource } from './sources/defaults-source.js';
export type { EnvSourceOptions } from './sources/env-source.js';
export { EnvSource } from './sources/env-source.js';
export type { FileSourceOptions } from './sources/file-source.js';
export { FileSource } from './sources/file-source.js';
export type { PgNotificationLike, PgPoolClientLike, PgPoolLike, PgResultLike } from './sources/pg-client.js';
export { RuntimeSource } from './sources/runtime-source.js';
export type { WatchFileOptions } from './watcher.js';
export { watchFile } from './watcher.js';
