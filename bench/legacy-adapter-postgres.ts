/**
 * The LegacyAdapter's read cost over PostgreSQL, against its raw baseline — the same
 * PostgresBackend called directly — in the same process: both sides are tables in local
 * PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432), the legacy one with its old column
 * names. Run: `node --import tsx bench/legacy-adapter-postgres.ts`. Record the ratios in
 * docs/benchmarks.md ("Legacy adapter").
 */
import { LegacyAdapter, type MigrationPhase } from '../src/backends/legacy/index.js';
import { PostgresBackend } from '../src/backends/postgres/index.js';
import { ConnectionManager } from '../src/connection/index.js';
import { type Widget, Widget as WidgetEntity, widget } from '../src/testing/index.js';
import {
  type LegacyWidget,
  LegacyWidgetEntity,
  legacyWidget,
  widgetMapper,
} from '../test/support/legacy-widgets.js';
import { createTestSchema } from '../test/support/postgres.js';
import { databaseUrl } from '../test/support/services.js';
import { type Measurement, machine, measure, table } from './harness.js';

const ROWS = 1000;
const schema = await createTestSchema('bench_legacy');
const connections = new ConnectionManager({ primary: { connectionString: databaseUrl() } });
try {
  await schema.sql(`create table "WIDGET_MASTER" (
    "W_ID" varchar(64) primary key, "E_MAIL" varchar(200) not null unique, "W_NAME" varchar(200) not null,
    "AGE_YRS" varchar(8) not null, "SCORE_TXT" varchar(32) not null, "IS_ACTIVE" char(1) not null,
    "CREATED_TS" varchar(40) not null, "REV" integer not null)`);
  await schema.sql(`create table widgets (
    id text primary key, email text not null unique, name text not null, age integer,
    score double precision not null, active boolean not null, created_at timestamptz not null, version integer not null)`);
  const legacy = new PostgresBackend<LegacyWidget, string>(connections, {
    entity: LegacyWidgetEntity,
    table: 'WIDGET_MASTER',
    schema: schema.name,
    columns: Object.fromEntries(LegacyWidgetEntity.fields.map((field) => [field, field])),
  });
  const target = new PostgresBackend<Widget, string>(connections, {
    entity: WidgetEntity,
    table: 'widgets',
    schema: schema.name,
  });
  await legacy.insertMany(Array.from({ length: ROWS }, (_, index) => legacyWidget(index)));
  await target.insertMany(Array.from({ length: ROWS }, (_, index) => ({ ...widget(index), version: 1 })));
  const ids = Array.from({ length: ROWS }, (_, index) => widget(index).id);
  const pick = (iteration: number) => [ids[(iteration * 7919) % ROWS]!];
  const adapterIn = (phase: MigrationPhase, primary: 'legacy' | 'new' = 'legacy') =>
    new LegacyAdapter({
      entity: WidgetEntity,
      legacy,
      target,
      mapper: widgetMapper,
      strategy: { name: 'bench', initialPhase: phase, primary },
    });

  const rows: Measurement[] = [];
  const baselineOf = new Map<Measurement, Measurement>();
  const rawNew = await measure('raw PostgresBackend<Widget>.findByIds (baseline)', (_, i) =>
    target.findByIds(pick(i)),
  );
  const rawLegacy = await measure('raw PostgresBackend<LegacyWidget>.findByIds (baseline)', (_, i) =>
    legacy.findByIds(pick(i)),
  );
  rows.push(rawNew, rawLegacy);
  const add = async (
    name: string,
    adapter: LegacyAdapter<LegacyWidget, Widget, string, string>,
    baseline: Measurement,
  ) => {
    const row = await measure(name, (_, i) => adapter.findByIds(pick(i)));
    rows.push(row);
    baselineOf.set(row, baseline);
    return adapter;
  };
  await add('adapter new-primary', adapterIn('new-primary'), rawNew);
  await add('adapter legacy-only (convert + validate)', adapterIn('legacy-only'), rawLegacy);
  const shadowNew = await add(
    'adapter shadow-read, new primary, legacy shadow',
    adapterIn('shadow-read', 'new'),
    rawNew,
  );
  const shadowLegacy = await add(
    'adapter shadow-read, legacy primary, new shadow',
    adapterIn('shadow-read'),
    rawLegacy,
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  const report = shadowLegacy.comparisonReport();
  console.log(machine());
  console.log(table(rows, (row) => baselineOf.get(row)));
  console.log(
    `\nshadow (legacy primary): ${report.matched} matched, ${report.mismatched} mismatched, ${report.timeouts} timed out; legacy p50 ${report.timings.legacy.p50Ms.toFixed(2)} ms, new p50 ${report.timings.new.p50Ms.toFixed(2)} ms`,
  );
  void shadowNew;
} finally {
  await connections.close();
  await schema.drop();
}
