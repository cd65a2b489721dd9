import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';

/**
 * A Kysely instance that only builds and compiles PostgreSQL statements; it has no
 * connection (its driver is Kysely's `DummyDriver`). The backend compiles with it and
 * runs `{ sql, parameters }` through a `SqlExecutor`, so that routing, transactions,
 * retries and error mapping stay in one place (the ConnectionManager).
 *
 * @example
 * ```ts
 * const db = createQueryBuilder();
 * const { sql, parameters } = db.selectFrom('users').selectAll().where('id', '=', 1).compile();
 * // sql: 'select * from "users" where "id" = $1', parameters: [1]
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: tables are configured at run time, not typed
export function createQueryBuilder(): Kysely<any> {
  return new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
}
