import {
  Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  NO_MIGRATIONS,
  PostgresDialect,
  type PostgresPool,
} from 'kysely';
import { isRepositoryError } from '../../../errors.js';
import { assertIdentifier } from '../identifiers.js';
import { FolderMigrationProvider } from './folder-migration-provider.js';
import { MigrationError, type MigrationStep } from './migration-error.js';
import { assertMigrationNames } from './migration-name.js';
import { repositMigrations } from './reposit-migrations.js';

/**
 * The pool migrations run on: a pg `Pool`, or the ConnectionManager's `primaryPool`
 * (which is one). Only `connect()` is used, and its clients must be pg's; the migrator
 * never ends the pool. Typed loosely so that both the pg `Pool` type and reposit's
 * minimal `PgPool` view of it are accepted.
 *
 * @example
 * ```ts
 * const pool: MigrationPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const shared: MigrationPool = connections.primaryPool;
 * ```
 */
export interface MigrationPool {
  /** Checks out a connection (a pg `PoolClient`). */
  connect(): Promise<object>;
}

/**
 * Configuration of a {@link PostgresMigrator}.
 *
 * @example
 * ```ts
 * const config: PostgresMigratorConfig = { pool: connections.primaryPool, migrations: './migrations', schema: 'app' };
 * // history in "app"."reposit_migration", lock in "app"."reposit_migration_lock"
 * ```
 */
export interface PostgresMigratorConfig {
  /**
   * Where the migrations run (always the primary). The ConnectionManager's `primaryPool`
   * keeps its `statement_timeout` (30 s by default); a migration with a longer statement
   * can lift it for its own transaction with ``await sql`set local statement_timeout = 0`.execute(db)``.
   */
  readonly pool: MigrationPool;
  /**
   * The migrations: a folder of `YYYYMMDD_HHMMSS_description.ts|js` modules, a record of
   * name → `{ up, down }`, or any Kysely `MigrationProvider`.
   */
  readonly migrations: string | Readonly<Record<string, Migration>> | MigrationProvider;
  /**
   * The schema of the history tables (created when missing). Migrations themselves run
   * with the connection's search_path; qualify names in them (`db.withSchema('app')`)
   * to put tables elsewhere.
   * @default undefined (the connection's search_path)
   */
  readonly schema?: string;
  /**
   * The table that records which migrations ran.
   * @default 'reposit_migration'
   */
  readonly tableName?: string;
  /**
   * The table the migration lock lives in.
   * @default `${tableName}_lock`
   */
  readonly lockTableName?: string;
}

/**
 * Whether a migration ran, and when.
 *
 * @example
 * ```ts
 * const row: MigrationStatus = { name: '20240315_093000_create_users', executedAt: new Date() };
 * ```
 */
export interface MigrationStatus {
  readonly name: string;
  /** When it ran; null while pending. */
  readonly executedAt: Date | null;
}

/**
 * Schema migrations: a thin layer over Kysely's `Migrator` that checks migration
 * names (`YYYYMMDD_HHMMSS_description`), reads them from a folder, and reports failures
 * as a {@link MigrationError}. Each call runs in one transaction under Kysely's
 * migration lock, so concurrent deploys take turns and a failure changes nothing.
 *
 * @example
 * ```ts
 * const migrator = new PostgresMigrator({ pool: connections.primaryPool, migrations: './migrations' });
 * await migrator.latest(); // [{ name: '20240315_093000_create_users', direction: 'up', status: 'done' }]
 * await migrator.status(); // [{ name: '20240315_093000_create_users', executedAt: 2024-03-15T… }]
 * await migrator.down();   // undoes the last one
 * // reposit's own tables (the audit log), with their own history table:
 * await PostgresMigrator.forRepositTables({ pool: connections.primaryPool }).latest();
 * ```
 */
export class PostgresMigrator {
  readonly #pool: PostgresPool;
  readonly #provider: MigrationProvider;
  readonly #schema: string | undefined;
  readonly #tableName: string;
  readonly #lockTableName: string;

  constructor(config: PostgresMigratorConfig) {
    const { pool } = config;
    // Kysely ends its pool on destroy(); the pool belongs to the caller.
    this.#pool = {
      connect: () => pool.connect() as ReturnType<PostgresPool['connect']>,
      end: async () => {},
    };
    this.#provider = validatingProvider(toProvider(config.migrations));
    this.#schema = config.schema === undefined ? undefined : assertIdentifier('schema', config.schema);
    this.#tableName = assertIdentifier('table', config.tableName ?? 'reposit_migration');
    this.#lockTableName = assertIdentifier('table', config.lockTableName ?? `${this.#tableName}_lock`);
  }

  /**
   * A migrator for reposit's own tables ({@link repositMigrations}), recording its
   * history in `reposit_schema_migration` so that it never mixes with the
   * application's migrations.
   *
   * @example
   * ```ts
   * await PostgresMigrator.forRepositTables({ pool, schema: 'app' }).latest();
   * // creates "app"."reposit_audit_log"
   * ```
   */
  static forRepositTables(options: {
    readonly pool: MigrationPool;
    readonly schema?: string;
  }): PostgresMigrator {
    return new PostgresMigrator({
      pool: options.pool,
      migrations: repositMigrations({ ...(options.schema === undefined ? {} : { schema: options.schema }) }),
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      tableName: 'reposit_schema_migration',
    });
  }

  /**
   * Runs every pending migration, in name order.
   *
   * @example
   * ```ts
   * await migrator.latest();
   * ```
   */
  latest(): Promise<MigrationStep[]> {
    return this.#run('migrate to latest', (migrator) => migrator.migrateToLatest());
  }

  /**
   * Runs the next pending migration (none when all ran).
   *
   * @example
   * ```ts
   * await migrator.up();
   * ```
   */
  up(): Promise<MigrationStep[]> {
    return this.#run('migrate up', (migrator) => migrator.migrateUp());
  }

  /**
   * Undoes the last migration that ran (none when none did).
   *
   * @example
   * ```ts
   * await migrator.down();
   * ```
   */
  down(): Promise<MigrationStep[]> {
    return this.#run('migrate down', (migrator) => migrator.migrateDown());
  }

  /**
   * Migrates up or down until `name` is the last migration that ran; `null` undoes them
   * all.
   *
   * @example
   * ```ts
   * await migrator.to('20240315_093000_create_users');
   * await migrator.to(null); // everything undone
   * ```
   */
  async to(name: string | null): Promise<MigrationStep[]> {
    if (name !== null) assertMigrationNames([name], 'Migration target');
    return this.#run(`migrate to ${name ?? 'nothing'}`, (migrator) =>
      migrator.migrateTo(name === null ? NO_MIGRATIONS : name),
    );
  }

  /**
   * Every known migration, in order, with when it ran (null while pending).
   *
   * @example
   * ```ts
   * const pending = (await migrator.status()).filter((m) => m.executedAt === null);
   * ```
   */
  async status(): Promise<MigrationStatus[]> {
    const db = this.#kysely();
    try {
      const migrations = await this.#migrator(db).getMigrations();
      return migrations.map((info) => ({ name: info.name, executedAt: info.executedAt ?? null }));
    } catch (error) {
      throw isRepositoryError(error)
        ? error
        : new MigrationError(`Reading the migration status failed: ${messageOf(error)}`, { cause: error });
    } finally {
      await db.destroy();
    }
  }

  async #run(
    what: string,
    call: (migrator: Migrator) => Promise<MigrationResultSet>,
  ): Promise<MigrationStep[]> {
    const db = this.#kysely();
    let outcome: MigrationResultSet;
    try {
      outcome = await call(this.#migrator(db));
    } finally {
      await db.destroy();
    }
    const steps: MigrationStep[] = (outcome.results ?? []).map((result) => ({
      name: result.migrationName,
      direction: result.direction === 'Up' ? 'up' : 'down',
      status: result.status === 'Success' ? 'done' : result.status === 'Error' ? 'failed' : 'skipped',
    }));
    if (outcome.error === undefined) return steps;
    if (isRepositoryError(outcome.error)) throw outcome.error;
    const failed = steps.find((step) => step.status === 'failed');
    const subject = failed ? `migration ${failed.name} (${failed.direction})` : what;
    throw new MigrationError(`${subject} failed: ${messageOf(outcome.error)}`, {
      ...(failed ? { migration: failed.name } : {}),
      steps,
      cause: outcome.error,
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: migrations run before any table type exists
  #kysely(): Kysely<any> {
    return new Kysely({ dialect: new PostgresDialect({ pool: this.#pool }) });
  }

  // biome-ignore lint/suspicious/noExplicitAny: migrations run before any table type exists
  #migrator(db: Kysely<any>): Migrator {
    return new Migrator({
      db,
      provider: this.#provider,
      migrationTableName: this.#tableName,
      migrationLockTableName: this.#lockTableName,
      ...(this.#schema === undefined ? {} : { migrationTableSchema: this.#schema }),
    });
  }
}

function toProvider(migrations: PostgresMigratorConfig['migrations']): MigrationProvider {
  if (typeof migrations === 'string') return new FolderMigrationProvider(migrations);
  if (typeof (migrations as MigrationProvider).getMigrations === 'function') {
    return migrations as MigrationProvider;
  }
  const record = { ...(migrations as Record<string, Migration>) };
  return { getMigrations: async () => record };
}

function validatingProvider(provider: MigrationProvider): MigrationProvider {
  return {
    async getMigrations() {
      const migrations = await provider.getMigrations();
      assertMigrationNames(Object.keys(migrations));
      return migrations;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
