import { ValidationError } from '../../../errors.js';
import type { PgPoolLike } from './pg-client.js';

/**
 * Where the configuration tables live.
 *
 * @example
 * ```ts
 * const tables: ConfigTableOptions = { schema: 'app', table: 'settings' }; // app.settings, app.settings_versions
 * ```
 */
export interface ConfigTableOptions {
  /** The PostgreSQL schema; unqualified (the connection's `search_path`) when absent. @default undefined */
  readonly schema?: string;
  /** The table of key/value rows. @default 'reposit_config' */
  readonly table?: string;
  /** The table of versions. @default `${table}_versions` */
  readonly versionsTable?: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The names of the two configuration tables, checked and quoted once, and the DDL that
 * creates them. Names come from options, never from data; they are still checked so a
 * typo cannot become SQL.
 *
 * @example
 * ```ts
 * const tables = new ConfigTables({ schema: 'app', table: 'settings' });
 * tables.entries;  // "app"."settings"
 * tables.versions; // "app"."settings_versions"
 * ```
 */
export class ConfigTables {
  readonly schema: string | undefined;
  readonly table: string;
  readonly versionsTable: string;
  /** The quoted, qualified name of the key/value table. */
  readonly entries: string;
  /** The quoted, qualified name of the versions table. */
  readonly versions: string;

  constructor(options: ConfigTableOptions = {}) {
    this.schema = options.schema;
    this.table = options.table ?? 'reposit_config';
    this.versionsTable = options.versionsTable ?? `${this.table}_versions`;
    const bad = [
      ['schema', this.schema],
      ['table', this.table],
      ['versionsTable', this.versionsTable],
    ].filter(([, name]) => name !== undefined && !IDENTIFIER.test(name));
    if (bad.length > 0) {
      throw ValidationError.fromIssues(
        'Invalid configuration table names',
        bad.map(([path, name]) => ({
          path: path!,
          message: `"${name}" must be a plain identifier (letters, digits, "_", at most 63)`,
          code: 'invalid_identifier',
        })),
      );
    }
    const qualify = (name: string) => (this.schema ? `"${this.schema}"."${name}"` : `"${name}"`);
    this.entries = qualify(this.table);
    this.versions = qualify(this.versionsTable);
  }

  /** The statements that create the tables; each is idempotent. */
  createStatements(): string[] {
    return [
      ...(this.schema ? [`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`] : []),
      `CREATE TABLE IF NOT EXISTS ${this.entries} (
        key text PRIMARY KEY CHECK (key <> ''),
        value jsonb NOT NULL,
        version bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text
      )`,
      `CREATE TABLE IF NOT EXISTS ${this.versions} (
        version bigint PRIMARY KEY CHECK (version > 0),
        actor text,
        created_at timestamptz NOT NULL DEFAULT now(),
        message text,
        changes jsonb NOT NULL,
        entries jsonb NOT NULL
      )`,
    ];
  }

  /** The statements that drop the tables. */
  dropStatements(): string[] {
    return [`DROP TABLE IF EXISTS ${this.versions}`, `DROP TABLE IF EXISTS ${this.entries}`];
  }
}

/**
 * Creates the configuration tables if they do not exist, for applications without a
 * migrator. Safe to run from several processes at once (an advisory lock serialises it).
 *
 * @example
 * ```ts
 * await ensureConfigSchema(pool, { schema: 'app' });
 * ```
 */
export async function ensureConfigSchema(pool: PgPoolLike, options: ConfigTableOptions = {}): Promise<void> {
  const tables = new ConfigTables(options);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`reposit_config:${tables.entries}`]);
    for (const statement of tables.createStatements()) await client.query(statement);
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    client.release(true);
    throw error;
  }
}

/**
 * What {@link configMigration} returns: a Kysely `Migration`.
 *
 * @example
 * ```ts
 * const migration: ConfigMigration = configMigration();
 * await migration.up(db);
 * ```
 */
export interface ConfigMigration {
  /** Creates the tables (a Kysely instance). */
  up(db: unknown): Promise<void>;
  /** Drops the tables. */
  down(db: unknown): Promise<void>;
}

/**
 * The configuration tables as a Kysely migration (`{ up, down }`), for applications that
 * run Kysely's `Migrator`. Needs the optional `kysely` peer.
 *
 * @example
 * ```ts
 * const migrator = new Migrator({
 *   db,
 *   provider: { getMigrations: async () => ({ '2026_01_config': configMigration({ schema: 'app' }) }) },
 * });
 * await migrator.migrateToLatest();
 * ```
 */
export function configMigration(options: ConfigTableOptions = {}): ConfigMigration {
  const tables = new ConfigTables(options);
  const run = async (db: unknown, statements: string[]) => {
    const { sql } = await import('kysely');
    for (const statement of statements) await sql.raw(statement).execute(db as never);
  };
  return {
    up: (db) => run(db, tables.createStatements()),
    down: (db) => run(db, tables.dropStatements()),
  };
}
