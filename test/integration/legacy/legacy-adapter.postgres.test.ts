import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackfillJob,
  hybrid,
  LegacyAdapter,
  type MigrationStrategy,
  parallel,
  reconcile,
} from '../../../src/backends/legacy/index.js';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import { ConnectionManager } from '../../../src/connection/index.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { runBackendConformance, Widget, widget } from '../../../src/testing/index.js';
import {
  type LegacyWidget,
  LegacyWidgetEntity,
  legacyWidget,
  widgetMapper,
} from '../../support/legacy-widgets.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';

// The legacy table lives in a schema of its own, with the old system's column names.
let legacySchema: TestSchema;
let newSchema: TestSchema;
let connections: ConnectionManager;
let tables = 0;

beforeAll(async () => {
  legacySchema = await createTestSchema('legacy_old');
  newSchema = await createTestSchema('legacy_new');
  connections = new ConnectionManager({ primary: { connectionString: databaseUrl() } });
});
afterAll(async () => {
  await connections?.close();
  await legacySchema?.drop();
  await newSchema?.drop();
});

const legacyColumns = Object.fromEntries(LegacyWidgetEntity.fields.map((field) => [field, field])) as Record<
  keyof LegacyWidget,
  string
>;

async function createTables(): Promise<{ legacyTable: string; newTable: string; drop: () => Promise<void> }> {
  tables += 1;
  const legacyTable = `WIDGET_MASTER_${tables}`;
  const newTable = `widgets_${tables}`;
  await legacySchema.sql(`
    create table "${legacyTable}" (
      "W_ID" varchar(64) primary key, "E_MAIL" varchar(200) not null unique, "W_NAME" varchar(200) not null,
      "AGE_YRS" varchar(8) not null, "SCORE_TXT" varchar(32) not null, "IS_ACTIVE" char(1) not null,
      "CREATED_TS" varchar(40) not null, "REV" integer not null
    )`);
  await newSchema.sql(`
    create table ${newTable} (
      id text primary key, email text not null unique, name text not null,
      age integer, score double precision not null, active boolean not null,
      created_at timestamptz not null, version integer not null
    )`);
  return {
    legacyTable,
    newTable,
    drop: async () => {
      await legacySchema.sql(`drop table "${legacyTable}"`);
      await newSchema.sql(`drop table ${newTable}`);
    },
  };
}

function backends(legacyTable: string, newTable: string) {
  return {
    legacy: new PostgresBackend<LegacyWidget, string>(connections, {
      entity: LegacyWidgetEntity,
      table: legacyTable,
      schema: legacySchema.name,
      columns: legacyColumns,
    }),
    target: new PostgresBackend<Widget, string>(connections, {
      entity: Widget,
      table: newTable,
      schema: newSchema.name,
    }),
  };
}

const strategies: Record<string, MigrationStrategy<Widget, string>> = {
  parallel: parallel(),
  'new-primary': { name: 'new-primary', initialPhase: 'new-primary' },
  hybrid: hybrid(),
};

for (const [name, strategy] of Object.entries(strategies)) {
  await runBackendConformance({
    name: `legacy adapter on PostgreSQL (${name})`,
    async create() {
      const { legacyTable, newTable, drop } = await createTables();
      const adapter = new LegacyAdapter({
        entity: Widget,
        ...backends(legacyTable, newTable),
        mapper: widgetMapper,
        strategy,
        comparison: { timeoutMs: 500 },
      });
      return {
        backend: adapter,
        // Not adapter.close(): the backends share the file's ConnectionManager.
        teardown: drop,
      };
    },
  });
}

describe('a PostgreSQL legacy table migrated to a new table', () => {
  it('backfills, reconciles, and keeps both tables equal through dual writes in one transaction', async () => {
    const { legacyTable, newTable, drop } = await createTables();
    const { legacy, target } = backends(legacyTable, newTable);
    await legacy.insertMany(Array.from({ length: 120 }, (_, index) => legacyWidget(index)));
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy,
      target,
      mapper: widgetMapper,
      strategy: parallel(),
    });
    const result = await new BackfillJob({
      entity: Widget,
      legacy,
      target,
      mapper: widgetMapper,
      batchSize: 50,
    }).run();
    expect(result).toMatchObject({ processed: 120, inserted: 120 });
    expect(await reconcile({ entity: Widget, legacy, target, mapper: widgetMapper })).toMatchObject({
      inSync: true,
    });

    const repo = new BaseRepository({ entity: Widget, backend: adapter });
    await repo.update('w0007', { name: 'renamed' });
    await repo.create(widget(500));
    await expect(
      repo.transaction(async () => {
        await repo.update('w0008', { name: 'rolled back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rows } = await legacySchema.sql(
      `select "W_ID", "W_NAME" from "${legacyTable}" where "W_ID" in ('w0007', 'w0008', 'w0500') order by 1`,
    );
    expect(rows).toEqual([
      { W_ID: 'w0007', W_NAME: 'renamed' },
      { W_ID: 'w0008', W_NAME: 'name 8' },
      { W_ID: 'w0500', W_NAME: 'name 500' },
    ]);
    expect(await reconcile({ entity: Widget, legacy, target, mapper: widgetMapper })).toMatchObject({
      inSync: true,
      matched: 121,
    });
    await drop();
  });
});
