import type { Redis } from 'ioredis';
import type { Migration, MigrationProvider } from 'kysely';
import type { BackfillJobOptions } from '../backends/legacy/backfill-job.js';
import type { SheetsApiClient } from '../backends/sheets/sheets-client.js';
import type { SyncOptions } from '../backends/sheets/sheets-sync.js';
import type { CacheManager, CacheManagerOptions } from '../cache/cache-manager.js';
import type { ConnectionManager } from '../connection/connection-manager.js';
import type { ConnectionManagerOptions } from '../connection/connection-options.js';

/**
 * What the `reposit` command hands to the factories of a config module. Every resource
 * is created on first use (so `migrate status` never connects to Redis) and closed by
 * the command when it ends.
 *
 * @example
 * ```ts
 * caches: {
 *   users: async (context) => ({
 *     repository: new BaseRepository({
 *       entity: User,
 *       backend: new PostgresBackend(await context.connections(), { entity: User, table: 'users' }),
 *       cache: (await context.cache()).forEntity(User),
 *     }),
 *   }),
 * }
 * ```
 */
export interface CliContext {
  /** The ConnectionManager built from the config's `connection` (ValidationError when there is none). */
  connections(): Promise<ConnectionManager>;
  /** The ioredis client of the config's `redis` (ValidationError when there is none). */
  redis(): Promise<Redis>;
  /** A CacheManager with the config's `cache` options and Redis as L2 (when `redis` is set). */
  cache(): Promise<CacheManager>;
  /** Runs `close` when the command ends, after its work and before the process exits. */
  onClose(close: () => void | Promise<void>): void;
}

/**
 * A value, or a function of the {@link CliContext} that makes it (called only by the
 * commands that need it).
 *
 * @example
 * ```ts
 * const redis: CliValue<string> = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
 * ```
 */
export type CliValue<T> = T | ((context: CliContext) => T | Promise<T>);

/**
 * Where `reposit migrate` finds the migrations: a folder (where `migrate create` also
 * writes new ones), or the migrations themselves.
 *
 * @example
 * ```ts
 * const migrations: CliMigrations = { dir: './migrations', schema: 'app' };
 * ```
 */
export interface CliMigrations {
  /**
   * A folder of `YYYYMMDD_HHMMSS_description.{ts,js,mjs,cjs}` modules, relative to the
   * config module's folder. Required by `migrate create`.
   * @default undefined
   */
  readonly dir?: string;
  /** Migrations as a record of name → `{ up, down }`, or a Kysely `MigrationProvider`, instead of `dir`. @default undefined */
  readonly migrations?: Readonly<Record<string, Migration>> | MigrationProvider;
  /** The schema of the history tables. @default undefined (the connection's search_path) */
  readonly schema?: string;
  /** The history table. @default 'reposit_migration' */
  readonly tableName?: string;
  /**
   * The file type `migrate create` writes.
   * @default 'ts' when the config module is TypeScript, else 'mjs'
   */
  readonly extension?: 'ts' | 'js' | 'mjs' | 'cjs';
}

/**
 * The parts of a repository that `reposit cache warm` uses; every `BaseRepository` has them.
 *
 * @example
 * ```ts
 * const warmable: WarmableRepository<number> = new BaseRepository({ entity: User, backend, cache });
 * ```
 */
export interface WarmableRepository<ID = unknown> {
  warm(
    ids: readonly ID[],
    onProgress?: (progress: { done: number; total: number }) => void,
    chunkSize?: number,
  ): Promise<void>;
  stream(query?: object, options?: { batchSize?: number }): AsyncIterable<object>;
}

/**
 * One target of `reposit cache warm`: the repository (whose cache is filled through its
 * own read path) and which ids to load.
 *
 * @example
 * ```ts
 * const target: CacheWarmTarget<number> = { repository: users, ids: async () => hotUserIds() };
 * const everything: CacheWarmTarget<number> = { repository: users }; // every row
 * ```
 */
export interface CacheWarmTarget<ID = unknown> {
  readonly repository: WarmableRepository<ID>;
  /**
   * The ids to load; without it, every row's id (read with `repository.stream()`).
   * @default every row
   */
  readonly ids?: readonly ID[] | (() => readonly ID[] | Promise<readonly ID[]>);
  /** The id field of the rows, used when `ids` is not given. @default 'id' */
  readonly idField?: string;
  /** Ids per `getByIds` round trip. @default 500 */
  readonly chunkSize?: number;
}

/**
 * What the `reposit` command reads from the user's data-layer module. Every section is
 * optional; a command that needs a missing one says which.
 *
 * @example
 * ```ts
 * const config: CliConfig = {
 *   connection: { primary: { connectionString: process.env.DATABASE_URL } },
 *   migrations: { dir: './migrations' },
 * };
 * ```
 */
export interface CliConfig {
  /**
   * The database: ConnectionManager options (the command creates the manager and closes
   * it), or your own ConnectionManager.
   * @default undefined
   */
  readonly connection?: CliValue<ConnectionManagerOptions | ConnectionManager>;
  /** Schema migrations (`reposit migrate`). @default undefined */
  readonly migrations?: CliMigrations;
  /**
   * Redis: a `redis://` URL (the command connects with ioredis and disconnects at the
   * end) or your own ioredis client. Used by `health` and as the cache's L2.
   * @default undefined
   */
  readonly redis?: CliValue<string | Redis>;
  /** Options of the CacheManager that `context.cache()` builds (its L2 is `redis`). @default {} */
  readonly cache?: Omit<CacheManagerOptions, 'l2' | 'bus'>;
  /** Named targets of `reposit cache warm [name…]`. @default {} */
  readonly caches?: Readonly<Record<string, CliValue<CacheWarmTarget>>>;
  /** Legacy migration jobs. */
  readonly legacy?: {
    /**
     * Named backfills of `reposit legacy backfill [name…]`: the options of a
     * `BackfillJob` (the command adds progress reporting and Ctrl-C handling).
     * @default {}
     */
    // biome-ignore lint/suspicious/noExplicitAny: entity, legacy record and id types differ per job.
    readonly backfills?: Readonly<Record<string, CliValue<BackfillJobOptions<any, any, any, any>>>>;
  };
  /** Google Sheets. */
  readonly sheets?: {
    /** The client `health` checks the spreadsheets with. @default undefined */
    readonly client?: CliValue<SheetsApiClient>;
    /** Spreadsheets `health` checks (each read once, metadata only). @default [] */
    readonly spreadsheets?: readonly string[];
    /**
     * Named syncs of `reposit sheets sync [name…]`: the options of `syncRepositories`
     * (the command adds progress reporting).
     * @default {}
     */
    // biome-ignore lint/suspicious/noExplicitAny: entity and id types differ per sync.
    readonly syncs?: Readonly<Record<string, CliValue<SyncOptions<any, any>>>>;
  };
}

/**
 * Declares the data-layer module of the `reposit` command, with types. Export the result
 * as the module's default export from `reposit.config.{js,mjs,cjs,ts}` (found in the
 * working directory) or any file given with `--config`. It returns its argument
 * unchanged: the command reads it when it runs.
 *
 * @example
 * ```ts
 * // reposit.config.ts
 * import { defineCliConfig } from 'reposit/cli';
 * import { BaseRepository } from 'reposit';
 * import { PostgresBackend } from 'reposit/postgres';
 * import { User } from './src/user.js';
 *
 * export default defineCliConfig({
 *   connection: {
 *     primary: { connectionString: process.env.DATABASE_URL },
 *     replicas: [{ connectionString: process.env.REPLICA_URL }],
 *   },
 *   redis: process.env.REDIS_URL,
 *   cache: { namespace: 'shop' },
 *   migrations: { dir: './migrations' },
 *   caches: {
 *     users: async (context) => ({
 *       repository: new BaseRepository({
 *         entity: User,
 *         backend: new PostgresBackend(await context.connections(), { entity: User, table: 'users' }),
 *         cache: (await context.cache()).forEntity(User),
 *       }),
 *     }),
 *   },
 * });
 * // $ npx reposit migrate up && npx reposit cache warm users
 * ```
 */
export function defineCliConfig(config: CliConfig): CliConfig {
  return config;
}
