import pg from 'pg';
import { databaseUrl, uniqueName } from './services.js';

/** A schema of its own for one test file, dropped by `drop()`. */
export interface TestSchema {
  readonly name: string;
  /** A pool whose connections use the schema by default (search_path). */
  readonly pool: pg.Pool;
  /** Connection settings (for a ConnectionManager node) whose connections use the schema by default. */
  readonly connection: { readonly connectionString: string; readonly options?: string };
  /** Runs SQL on the schema's pool. */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

/** Creates a fresh schema and a pool whose search_path points at it. */
export async function createTestSchema(prefix = 't', url = databaseUrl()): Promise<TestSchema> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${name}"`);
  await admin.end();
  const connection = { connectionString: url, options: `-c search_path="${name}"` };
  const pool = new pg.Pool({ ...connection, max: 10 });
  pool.on('error', () => {});
  return {
    name,
    pool,
    connection,
    sql: (text, values) => pool.query(text, values),
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await client.end();
    },
  };
}
