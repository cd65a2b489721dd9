import { afterAll, beforeAll } from 'vitest';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import { ConnectionManager, type ConnectionManagerOptions } from '../../../src/connection/index.js';
import { type ConformanceTarget, Widget } from '../../../src/testing/index.js';
import type { TestSchema } from '../../support/postgres.js';

/**
 * How a file runs the backend conformance suite on PostgreSQL: where its schema comes from,
 * how its ConnectionManager reaches the server, and the backend's prepared-statement setting.
 */
export interface PostgresConformanceSetup {
  readonly name: string;
  createSchema(): Promise<TestSchema>;
  manager(schema: TestSchema): ConnectionManagerOptions;
  /** @default true */
  readonly preparedStatements?: boolean;
}

/**
 * The conformance target for PostgresBackend: a table per test in the file's own schema
 * (tests stay independent and never wait on each other's locks). Registers the file's
 * beforeAll/afterAll; pass the result to `runBackendConformance`.
 *
 * @example
 * ```ts
 * await runBackendConformance(postgresConformanceTarget({ name: 'postgres', createSchema, manager }));
 * ```
 */
export function postgresConformanceTarget(setup: PostgresConformanceSetup): ConformanceTarget {
  let schema: TestSchema;
  let connections: ConnectionManager;
  let tables = 0;
  beforeAll(async () => {
    schema = await setup.createSchema();
    connections = new ConnectionManager(setup.manager(schema));
  });
  afterAll(async () => {
    await connections?.close();
    await schema?.drop();
  });
  return {
    name: setup.name,
    async create() {
      tables += 1;
      const table = `widgets_${tables}`;
      await schema.sql(`
        create table ${table} (
          id text primary key, email text not null unique, name text not null,
          age integer, score double precision not null, active boolean not null,
          created_at timestamptz not null, version integer not null
        )`);
      return {
        backend: new PostgresBackend(connections, {
          entity: Widget,
          table,
          schema: schema.name,
          preparedStatements: setup.preparedStatements,
        }),
        teardown: async () => {
          await schema.sql(`drop table ${table}`);
        },
      };
    },
  };
}
