import pg from 'pg';
import type { TestSchema } from './postgres.js';
import { databaseUrl, pgbouncerUrl, uniqueName } from './services.js';

/**
 * A schema of its own for one test file, reached through PgBouncer in transaction pooling
 * mode (scripts/start-pgbouncer.sh). PgBouncer refuses the `options` startup parameter and
 * a `SET search_path` would stick to one server connection, so the schema belongs to a
 * login role of the same name whose default search_path is the schema: every server
 * connection PgBouncer opens for that role starts in the schema. `drop()` removes both.
 *
 * @example
 * ```ts
 * const schema = await createPgBouncerSchema('pgb');
 * const db = new ConnectionManager({ primary: schema.connection, transactionPooling: true });
 * ```
 */
export async function createPgBouncerSchema(prefix = 'pgb'): Promise<TestSchema> {
  await assertPgBouncer();
  const name = uniqueName(prefix);
  await asAdmin(async (admin) => {
    await admin.query(`create role "${name}" login`);
    await admin.query(`create schema "${name}" authorization "${name}"`);
    await admin.query(`alter role "${name}" set search_path = "${name}"`);
  });
  const url = new URL(pgbouncerUrl());
  url.username = name;
  url.password = '';
  const connection = { connectionString: url.toString() };
  const pool = new pg.Pool({ ...connection, max: 10 });
  pool.on('error', () => {});
  return {
    name,
    pool,
    connection,
    sql: (text, values) => pool.query(text, values),
    async drop() {
      await pool.end();
      await asAdmin(async (admin) => {
        await admin.query(`drop schema if exists "${name}" cascade`);
        await admin.query(`drop owned by "${name}"`);
        await admin.query(`drop role if exists "${name}"`);
      });
    },
  };
}

/**
 * Fails with instructions when nothing, or something other than PgBouncer in transaction
 * mode, answers at the PgBouncer URL (its admin console says which pool mode it runs).
 *
 * @example
 * ```ts
 * beforeAll(() => assertPgBouncer());
 * ```
 */
export async function assertPgBouncer(): Promise<void> {
  const url = new URL(pgbouncerUrl());
  url.pathname = '/pgbouncer';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  admin.on('error', () => {});
  let mode: unknown;
  try {
    await admin.connect();
    // The admin console speaks the simple protocol only: no parameters.
    const { rows } = await admin.query('show config');
    mode = rows.find((row: { key: string }) => row.key === 'pool_mode')?.value;
  } catch (error) {
    throw new Error(
      `PgBouncer at ${redact(pgbouncerUrl())} is not reachable (${(error as Error).message}). ` +
        'Start it with `bash scripts/start-pgbouncer.sh` or set TEST_PGBOUNCER_URL.',
    );
  } finally {
    await admin.end().catch(() => {});
  }
  if (mode !== 'transaction') {
    throw new Error(`PgBouncer at ${redact(pgbouncerUrl())} runs pool_mode=${String(mode)}, not transaction`);
  }
}

async function asAdmin(work: (admin: pg.Client) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl() });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
