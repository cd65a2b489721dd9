import { type Kysely, type Migration, sql } from 'kysely';
import { assertIdentifier } from '../identifiers.js';

/**
 * The audit log's table name.
 *
 * @example
 * ```ts
 * new PostgresAuditSink(connections, { table: AUDIT_LOG_TABLE }); // the default anyway
 * ```
 */
export const AUDIT_LOG_TABLE = 'reposit_audit_log';

/**
 * Options of {@link repositMigrations}.
 *
 * @example
 * ```ts
 * const options: RepositMigrationsOptions = { schema: 'app' }; // create table "app"."reposit_audit_log" ...
 * ```
 */
export interface RepositMigrationsOptions {
  /**
   * The schema reposit's tables are created in.
   * @default undefined (the connection's search_path)
   */
  readonly schema?: string;
}

/**
 * reposit's own tables, as migrations in the `YYYYMMDD_HHMMSS_description` scheme:
 * today the audit log (`reposit_audit_log`), written by `PostgresAuditSink`. Run them
 * with `PostgresMigrator.forRepositTables()` (they keep their own history table), or
 * hand them to any Kysely `Migrator`.
 *
 * @example
 * ```ts
 * const migrations = repositMigrations({ schema: 'app' });
 * // 20261123_120000_create_reposit_audit_log:
 * // create table "app"."reposit_audit_log" (
 * //   "id" bigint generated always as identity primary key, "entity" text not null,
 * //   "entity_id" text not null, "action" text not null, "before" jsonb, "after" jsonb,
 * //   "actor" text, "at" timestamptz default now() not null,
 * //   constraint "reposit_audit_log_action_check" check (action in ('create', 'update', 'delete')))
 * // create index "reposit_audit_log_entity_idx" on "app"."reposit_audit_log" ("entity", "entity_id", "at")
 * ```
 */
export function repositMigrations(options: RepositMigrationsOptions = {}): Record<string, Migration> {
  const schema = options.schema === undefined ? undefined : assertIdentifier('schema', options.schema);
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before any table type exists
  const schemaOf = (db: Kysely<any>) => (schema === undefined ? db.schema : db.schema.withSchema(schema));
  return {
    '20261123_120000_create_reposit_audit_log': {
      async up(db) {
        await schemaOf(db)
          .createTable(AUDIT_LOG_TABLE)
          .addColumn('id', 'bigint', (column) => column.generatedAlwaysAsIdentity().primaryKey())
          .addColumn('entity', 'text', (column) => column.notNull())
          .addColumn('entity_id', 'text', (column) => column.notNull())
          .addColumn('action', 'text', (column) => column.notNull())
          .addColumn('before', 'jsonb')
          .addColumn('after', 'jsonb')
          .addColumn('actor', 'text')
          .addColumn('at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
          .addCheckConstraint('reposit_audit_log_action_check', sql`action in ('create', 'update', 'delete')`)
          .execute();
        await schemaOf(db)
          .createIndex('reposit_audit_log_entity_idx')
          .on(AUDIT_LOG_TABLE)
          .columns(['entity', 'entity_id', 'at'])
          .execute();
      },
      async down(db) {
        await schemaOf(db).dropTable(AUDIT_LOG_TABLE).execute();
      },
    },
  };
}
