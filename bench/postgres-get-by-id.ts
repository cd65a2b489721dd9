/**
 * `getById` without a cache, through BaseRepository → PostgresBackend → ConnectionManager,
 * against raw pg with a named prepared statement (the baseline) and raw Kysely, at
 * concurrency 1 and 32, in one process. Run: `node --import tsx bench/postgres-get-by-id.ts`
 * (TEST_DATABASE_URL or the local default; BENCH_SECONDS to change the time per workload).
 * Prints Markdown for docs/benchmarks.md ("PostgreSQL").
 *
 * Two more rows show the layers of reposit's path: the ConnectionManager running the raw
 * statement, and the backend without the repository in front.
 *
 * Every side uses a pool of 10 connections and reads random ids of the same 10,000-row
 * table; each workload runs three times in rotated order and the median run is shown. Targets (issue 2): within 1.1x of raw pg at concurrency 1; at concurrency 32, at
 * least 2x raw pg's one-query-per-call throughput (reposit coalesces the calls of one tick
 * into one `= any($1)` statement).
 */

import os from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { z } from 'zod';
import { PostgresBackend } from '../src/backends/postgres/index.js';
import { ConnectionManager } from '../src/connection/index.js';
import { BaseRepository } from '../src/repository/base-repository.js';
import { defineEntity } from '../src/repository/entity.js';
import { createTestSchema } from '../test/support/postgres.js';
import { databaseUrl } from '../test/support/services.js';
import {
  benchSeconds,
  interleave,
  interleavedTable,
  type Measurement,
  machine,
  measure,
  table,
} from './harness.js';

const ROWS = 10_000;
const POOL = 10;
const ROUNDS = 3;

const User = defineEntity({
  name: 'user',
  schema: z.object({
    id: z.number().int(),
    email: z.string(),
    name: z.string(),
    age: z.number().int().nullable(),
    createdAt: z.date(),
    version: z.number().int(),
  }),
  id: 'id',
  version: 'version',
});

const schema = await createTestSchema('bench');
const columns = 'id, email, name, age, created_at as "createdAt", version';
try {
  await schema.sql(`
    create table users (id integer primary key, email text not null, name text not null, age integer,
      created_at timestamptz not null, version integer not null);
    insert into users select i, 'u' || i || '@example.com', 'user ' || i, 20 + i % 50, now(), 1
      from generate_series(1, ${ROWS}) as i;
    analyze users;`);

  // One pool for every side: separate pools talk to separate server processes, and on a
  // small virtual machine where each of them is scheduled differs by up to a third from one
  // process to the next, which would swamp a 10% comparison. Shared, every side uses the
  // same server connections (at concurrency 1, the same one) and only client cost differs.
  const raw = new pg.Pool({ connectionString: databaseUrl(), max: POOL });
  const rawText = `select ${columns} from "${schema.name}".users where id = $1`;
  const rawGet = (id: number) => raw.query({ name: 'bench_raw_by_id', text: rawText, values: [id] });

  // biome-ignore lint/suspicious/noExplicitAny: the bench table is not typed
  const kysely = new Kysely<any>({
    dialect: new PostgresDialect({ pool: raw }),
  });
  const kyselyGet = (id: number) =>
    kysely
      .withSchema(schema.name)
      .selectFrom('users')
      .select(['id', 'email', 'name', 'age', 'created_at as createdAt', 'version'])
      .where('id', '=', id)
      .executeTakeFirst();

  const connections = new ConnectionManager({ primary: raw });
  const backend = new PostgresBackend(connections, { entity: User, table: 'users', schema: schema.name });
  const users = new BaseRepository({ entity: User, backend });

  const randomId = () => 1 + Math.floor(Math.random() * ROWS);
  // Every side answers the same question; check once that they agree.
  const probe = await users.getById(42);
  const rawProbe = (await rawGet(42)).rows[0];
  if (probe?.email !== rawProbe?.email) throw new Error('reposit and raw pg disagree');

  const workloads: [string, () => Promise<unknown>][] = [
    ['raw pg, named prepared statement', () => rawGet(randomId())],
    ['raw Kysely', () => kyselyGet(randomId())],
    // The layers of reposit's path, to see where the time goes:
    [
      'ConnectionManager.query, same SQL, named',
      () => connections.query(rawText, [randomId()], { intent: 'read', name: 'bench_cm_by_id' }),
    ],
    ['PostgresBackend.findByIds([id])', () => backend.findByIds([randomId()])],
    ['reposit getById (no cache)', () => users.getById(randomId())],
  ];
  // Concurrency 1: the workloads take turns call by call, so load from other processes
  // cannot favour one of them (a 1.1x target is smaller than a busy machine's swings).
  const single = await interleave(
    workloads.map(([name, operation]) => [name, operation] as const),
    benchSeconds(2) * ROUNDS,
  );
  const results: Measurement[] = [];
  const baselines = new Map<Measurement, Measurement>();
  for (const concurrency of [32]) {
    // Rounds in rotated order, median kept: on a shared machine the load moves from one
    // workload to the next, and no side should always run first or last.
    const samples = workloads.map(() => [] as Measurement[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (let step = 0; step < workloads.length; step++) {
        const index = (step + round) % workloads.length;
        const [name, operation] = workloads[index]!;
        samples[index]!.push(await measure(name, operation, { concurrency }));
      }
    }
    const medians = samples.map(
      (runs) => [...runs].sort((a, b) => a.opsPerSecond - b.opsPerSecond)[Math.floor(runs.length / 2)]!,
    );
    results.push(...medians);
    for (const row of medians) baselines.set(row, medians[0]!);
  }

  console.log(`Machine: ${machine()}; load average (1 min) ${os.loadavg()[0]!.toFixed(1)}\n`);
  console.log(interleavedTable(single));
  console.log('');
  console.log(table(results, (row) => baselines.get(row)));

  await connections.close();
  await kysely.destroy(); // ends the shared pool
} finally {
  await schema.drop();
}
