import { z } from 'zod';
import { PostgresBackend } from '../src/backends/postgres/index.js';
import { ConnectionManager } from '../src/connection/index.js';
import { defineEntity, type EntityType } from '../src/repository/entity.js';
import { createTestSchema, type TestSchema } from '../test/support/postgres.js';

/** The entity of the cache-miss benchmarks: a small account row. */
export const Account = defineEntity({
  name: 'account',
  schema: z.object({ id: z.number().int(), email: z.string(), name: z.string(), version: z.number().int() }),
  id: 'id',
  version: 'version',
});

/**
 * A schema of its own holding `rows` accounts (ids 1..rows), and a PostgreSQL backend over
 * it. The caller closes `connections` and drops `schema`.
 *
 * @example
 * ```ts
 * const { schema, connections, backend } = await accountTable('bench_miss', databaseUrl, 400_000);
 * ```
 */
export async function accountTable(
  prefix: string,
  databaseUrl: string,
  rows: number,
): Promise<{
  schema: TestSchema;
  connections: ConnectionManager;
  backend: PostgresBackend<EntityType<typeof Account>, number>;
}> {
  const schema = await createTestSchema(prefix);
  await schema.sql(`
    create table accounts (id integer primary key, email text not null, name text not null, version integer not null);
    insert into accounts select i, 'u' || i || '@example.com', 'user ' || i, 1 from generate_series(1, ${rows}) as i;
    analyze accounts;`);
  const connections = new ConnectionManager({ primary: { connectionString: databaseUrl, max: 4 } });
  const backend = new PostgresBackend(connections, {
    entity: Account,
    table: 'accounts',
    schema: schema.name,
  });
  return { schema, connections, backend };
}
