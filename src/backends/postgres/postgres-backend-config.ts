import type { Entity } from '../../repository/entity.js';

/**
 * An entity whose id type is `ID`, as {@link PostgresBackendConfig} accepts it (so the
 * backend's id type is inferred from the entity).
 *
 * @example
 * ```ts
 * const entity: EntityWithId<User, number> = User;
 * ```
 */
export type EntityWithId<T extends object, ID> = Omit<
  // biome-ignore lint/suspicious/noExplicitAny: any id field and generated set of T
  Entity<T, any, any>,
  'parseId'
> & {
  /** Validates an id and returns it typed; a `ValidationError` otherwise. */
  parseId(id: unknown): ID;
};

/**
 * Per-field column settings: the column name, and whether the column holds JSON.
 *
 * @example
 * ```ts
 * const columns = { email: 'email_address', tags: { name: 'tags', json: false } }; // tags is text[]
 * ```
 */
export interface ColumnOptions {
  /**
   * The column name.
   * @default the field name in snake_case (`createdAt` → `created_at`)
   */
  readonly name?: string;
  /**
   * `true`: the column is json/jsonb (values are sent as JSON text). `false`: arrays are
   * sent as PostgreSQL arrays (for `text[]`, `int[]` … columns).
   * @default undefined (objects, arrays and records are JSON, other values as they are)
   */
  readonly json?: boolean;
}

/**
 * Configuration of a {@link PostgresBackend}.
 *
 * @example
 * ```ts
 * const backend = new PostgresBackend(connections, {
 *   entity: User,
 *   table: 'users',
 *   schema: 'app',
 *   columns: { email: 'email_address' },
 * });
 * // select "id" as "id", "email_address" as "email", ... from "app"."users" where "id" = any($1)
 * ```
 */
export interface PostgresBackendConfig<T extends object, ID> {
  /** The entity stored in the table. */
  readonly entity: EntityWithId<T, ID>;
  /**
   * The table name (quoted as given; no dots).
   * @default the entity name in snake_case
   */
  readonly table?: string;
  /**
   * The schema of the table.
   * @default undefined (the connection's search_path)
   */
  readonly schema?: string;
  /**
   * Column names (a string) or {@link ColumnOptions} for fields whose column is not the
   * snake_case of the field name.
   * @default {}
   */
  readonly columns?: { readonly [F in keyof T & string]?: string | ColumnOptions };
  /**
   * At most this many rows per INSERT statement of `insertMany`. Rows are chunked
   * anyway so that one statement never carries more than 65,000 parameters (PostgreSQL's
   * limit is 65,535); all chunks commit or roll back together.
   * @default undefined (as many rows as fit in 65,000 parameters)
   */
  readonly maxRowsPerInsert?: number;
  /**
   * Run `findByIds` as a named (server-side prepared) statement, parsed and planned once
   * per connection. Turn it off behind a pooler that cannot keep prepared statements
   * across transactions (PgBouncer in transaction mode before 1.21, or with
   * `max_prepared_statements = 0`).
   * @default true
   */
  readonly preparedStatements?: boolean;
}
