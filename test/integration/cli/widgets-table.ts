import { widget } from '../../../src/testing/index.js';
import type { TestSchema } from '../../support/postgres.js';

/** Creates the conformance widgets table in a test schema. */
export async function createWidgetsTable(schema: TestSchema): Promise<void> {
  await schema.sql(`create table widgets (
    id text primary key, email text not null unique, name text not null, age integer,
    score double precision not null, active boolean not null, created_at timestamptz not null,
    version integer not null)`);
}

/** Inserts widgets `from`..`to` (inclusive) with plain SQL, version 1. */
export async function insertWidgets(schema: TestSchema, from: number, to: number): Promise<void> {
  for (let index = from; index <= to; index++) {
    const w = widget(index);
    await schema.sql(
      'insert into widgets (id, email, name, age, score, active, created_at, version) values ($1, $2, $3, $4, $5, $6, $7, 1)',
      [w.id, w.email, w.name, w.age, w.score, w.active, w.createdAt],
    );
  }
}
