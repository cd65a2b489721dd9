import type { z } from 'zod';
import type { Logger } from '../../observability/logger.js';
import type { ConfigSource } from './config-source.js';
import type { DatabaseSource, DatabaseSourceOptions } from './sources/database-source.js';
import type { EnvSourceOptions } from './sources/env-source.js';

/**
 * Every key optional, at every depth: what a layer of defaults may set.
 *
 * @example
 * ```ts
 * const defaults: DeepPartial<{ db: { host: string; pool: { max: number } } }> = { db: { pool: { max: 10 } } };
 * ```
 */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * The logger the repository writes to: reposit's `Logger` (from `createLogger()`), a pino
 * logger, or anything with the same methods. Values of secret fields are redacted before
 * they reach it.
 *
 * @example
 * ```ts
 * import { createLogger } from 'reposit';
 * const config = await ConfigurationRepository.start({ schema, logger: createLogger({ level: 'info' }) });
 * ```
 */
export type ConfigLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/**
 * Where configuration files are read from.
 *
 * @example
 * ```ts
 * await ConfigurationRepository.start({ schema, files: { dir: '/etc/myapp', debounceMs: 250 } });
 * ```
 */
export interface ConfigFilesSetting {
  /** The directory holding `default.*`, `{environment}.*` and `local.*`. @default 'config' */
  readonly dir?: string;
  /** Debounce of the file watcher, in milliseconds. @default 100 */
  readonly debounceMs?: number;
}

/**
 * Options of `ConfigurationRepository.start()`. Sources are merged in this precedence,
 * lowest to highest: `defaults`, files (`default.*`, `{environment}.*`, `local.*`),
 * `database`, extra `sources`, `env`, runtime overrides.
 *
 * @example
 * ```ts
 * const options: ConfigurationOptions<typeof schema> = {
 *   schema,
 *   defaults: { db: { pool: { max: 10 } } },
 *   files: { dir: 'config' },
 *   database: { connection: pool, ensureSchema: true },
 *   env: { prefix: 'APP_' },
 * };
 * ```
 */
export interface ConfigurationOptions<S extends z.ZodType> {
  /** Validates the merged configuration at start and at every change. */
  readonly schema: S;
  /** Which `{environment}.*` file to load. @default process.env.NODE_ENV ?? 'development' */
  readonly environment?: string;
  /** Defaults written in code, the lowest layer. @default {} */
  readonly defaults?: DeepPartial<z.input<S>>;
  /** Configuration files, or `false` for none. @default { dir: 'config' } */
  readonly files?: ConfigFilesSetting | false;
  /** The PostgreSQL source: a {@link DatabaseSource} or its options. @default undefined (no database) */
  readonly database?: DatabaseSource | DatabaseSourceOptions;
  /** Environment variables, or `false` for none. @default false */
  readonly env?: EnvSourceOptions | false;
  /**
   * Extra sources, placed between the database and the environment variables (for
   * example a secret manager). @default []
   */
  readonly sources?: readonly ConfigSource[];
  /**
   * Paths of secret fields, in addition to schema fields marked `.meta({ secret: true })`;
   * `*` matches any one key. @default []
   */
  readonly secrets?: readonly string[];
  /** Whether files and the database are watched for changes. @default true */
  readonly watch?: boolean;
  /** Recorded as the actor of database writes when neither the call nor the request context names one. @default null */
  readonly actor?: string | null;
  /** Where to log applied and rejected changes. @default undefined (no logging) */
  readonly logger?: ConfigLogger;
}

/**
 * Options of a write to the database source.
 *
 * @example
 * ```ts
 * await config.set('db.pool.max', 20, { expectedVersion: config.version, actor: 'ada', message: 'sale' });
 * ```
 */
export interface ConfigWriteOptions {
  /** Fail with `ConflictError` unless the database is at this version (optimistic locking). @default undefined */
  readonly expectedVersion?: number;
  /** Who makes the change. @default currentContext()?.actor, then the repository's `actor` option */
  readonly actor?: string;
  /** A note stored with the version. @default undefined */
  readonly message?: string;
}
