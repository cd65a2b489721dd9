import { afterAll, beforeAll } from 'vitest';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import { ConnectionManager } from '../../../src/connection/index.js';
import { runBackendConformance, Widget } from '../../../src/testing/index.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';

let schema: TestSchema;
let connections: ConnectionManager;
let tables = 0;

beforeAll(async () => {
  schema = await createTestSchema('pgconformance');
  connections = new ConnectionManager({ primary: { connectionString: databaseUrl() } });
});
afterAll(async () => {
  await connections?.close();
  await schema?.drop();
});

await runBackendConformance({
  name: 'postgres',
  async create() {
    // A table per test: tests stay independent and never wait on each other's locks.
    tables += 1;
    const table = `widgets_${tables}`;
    await schema.sql(`
      create table ${table} (
        id text primary key, email text not null unique, name text not null,
        age integer, score double precision not null, active boolean not null,
        created_at timestamptz not null, version integer not null
      )`);
    return {
      backend: new PostgresBackend(connections, { entity: Widget, table, schema: schema.name }),
      teardown: async () => {
        await schema.sql(`drop table ${table}`);
      },
    };
  },
});
