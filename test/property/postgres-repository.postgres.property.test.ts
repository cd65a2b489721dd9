import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresBackend } from '../../src/backends/postgres/index.js';
import { ConnectionManager } from '../../src/connection/index.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { databaseUrl, uniqueName } from '../support/services.js';
import { type Probe, Probe as ProbeEntity, RUNS, watchProcess } from './hostile.js';
import {
  checkHostileCall,
  hostileCall,
  injections,
  type ProbeInput,
  validProbe,
} from './repository-operations.js';

/** The canary: its own schema, never named by the repository; its content must not change. */
const canarySchema = uniqueName('canary');
const canaryState = async (client: pg.Client) =>
  (
    await client.query(
      `select count(*)::int as rows, coalesce(string_agg(id || '=' || secret, ',' order by id), '') as content
         from "${canarySchema}".canary`,
    )
  ).rows[0] as { rows: number; content: string };

describe('BaseRepository on PostgresBackend under hostile calls (fast-check)', () => {
  let schema: TestSchema;
  let admin: pg.Client;
  let connections: ConnectionManager;
  let repo: BaseRepository<Probe, string, ProbeInput>;
  let canaryBefore: { rows: number; content: string };
  const codes = new Map<string, number>();
  const watcher = watchProcess();

  beforeAll(async () => {
    schema = await createTestSchema('hostile');
    admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    await admin.query(`
      create schema "${canarySchema}";
      create table "${canarySchema}".canary (id int primary key, secret text not null);
      insert into "${canarySchema}".canary values (1, 'alpha'), (2, 'beta'), (3, 'gamma');
    `);
    await schema.sql(`
      create table probes (
        id text primary key, name text not null, score double precision not null, rank integer,
        big bigint not null, active boolean not null, seen_at timestamptz not null,
        colour text not null, meta jsonb, version integer not null
      )`);
    canaryBefore = await canaryState(admin);
    const table = `"${canarySchema}".canary`;
    injections.push(
      `'; DELETE FROM ${table}; --`,
      `x'); UPDATE ${table} SET secret = 'owned'; --`,
      `'||(SELECT secret FROM ${table} LIMIT 1)||'`,
      `$$; TRUNCATE ${table}; $$`,
    );
    connections = new ConnectionManager({ primary: { connectionString: databaseUrl(), max: 2 } });
    const backend = new PostgresBackend<Probe, string>(connections, {
      entity: ProbeEntity,
      table: 'probes',
      schema: schema.name,
    });
    repo = new BaseRepository({ entity: ProbeEntity, backend, cursorSecret: 'pg-secret' });
    await repo.createMany([validProbe('p-1'), validProbe('p-2')]);
  });

  afterAll(async () => {
    watcher.stop();
    expect(watcher.count(), 'unhandled rejections or uncaught exceptions').toBe(0);
    await connections?.close();
    await admin?.query(`drop schema if exists "${canarySchema}" cascade`);
    await admin?.end();
    await schema?.drop();
  });

  it(`${RUNS} hostile calls give schema-valid results or typed errors, and never touch the canary`, async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(hostileCall, async (call) => {
        const code = await checkHostileCall(repo, call);
        const label = `${call.op}:${code ?? 'ok'}`;
        codes.set(label, (codes.get(label) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    expect(await canaryState(admin)).toEqual(canaryBefore);
    // The probe table is still the only table of its schema, and the repository still works.
    const tables = await schema.sql(
      'select table_name from information_schema.tables where table_schema = $1 order by 1',
      [schema.name],
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(['probes']);
    expect(await repo.getById('p-1')).not.toBeNull();
    for (const label of ['list:ok', 'create:ok', 'update:ok', 'page:ok', 'count:ok', 'getById:ok'])
      expect(codes.get(label) ?? 0, `${label} in ${JSON.stringify([...codes])}`).toBeGreaterThan(0);
    // No raw driver error: every failure was mapped to one of the typed codes.
    for (const label of codes.keys()) expect(label).toMatch(/:(ok|E_[A-Z_]+)$/);
    console.info(`postgres hostile run: ${RUNS} cases in ${seconds} s; ${JSON.stringify([...codes].sort())}`);
  }, 180_000);
});
