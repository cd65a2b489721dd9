import pg from 'pg';
import { redactSecrets } from '../../src/observability/redact.js';
import type { TestSchema } from './postgres.js';
import { databaseUrl, pgbouncerUrl, uniqueName } from './services.js';

/**
 * A schema of its own for one test file, reached through PgBouncer in transaction pooling
 * mode (scripts/start-pgbouncer.sh). PgBouncer refuses the `options` startup parameter and
 * a `SET search_path` would stick to one server connection, so the schema belongs to a
 * login role of the same name whose default search_path is the schema: every server
 * connection PgBouncer opens for that role starts in the schema (and with `roleSettings`,
 * e.g. `{ statement_timeout: '150ms' }`). `drop()` removes both.
 *
 * @example
 * ```ts
 * const schema = await createPgBouncerSchema('pgb');
 * const db = new ConnectionManager({ primary: schema.connection, transactionPooling: true });
 * ```
 */
export async function createPgBouncerSchema(
  prefix = 'pgb',
  roleSettings: Readonly<Record<string, string>> = {},
): Promise<TestSchema> {
  await assertPgBouncer();
  const name = uniqueName(prefix);
  await asAdmin(async (admin) => {
    await admin.query(`create role "${name}" login`);
    await admin.query(`create schema "${name}" authorization "${name}"`);
    await admin.query(`alter role "${name}" set search_path = "${name}"`);
    // As a superuser could (`CREATE SCHEMA IF NOT EXISTS` checks this even when the schema exists).
    const { rows } = await admin.query('select current_database() as db');
    await admin.query(`grant create on database "${rows[0].db}" to "${name}"`);
    // Before the role's first session: a server connection keeps the settings it started with.
    for (const [setting, value] of Object.entries(roleSettings)) {
      await admin.query(`alter role "${name}" set ${setting} = '${value}'`);
    }
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
 * Another login role that works on `schema` as its owner (member of the schema's role, and
 * `SET ROLE` to it at session start), with `roleSettings` of its own, e.g. a statement timeout.
 * Through PgBouncer each role is a pool of its own, so these settings never mix with the
 * schema's. `drop()` removes the role.
 *
 * @example
 * ```ts
 * const limited = await createPgBouncerRole(schema, { statement_timeout: '100ms' });
 * const pool = new pg.Pool(limited.connection);
 * ```
 */
export async function createPgBouncerRole(
  schema: TestSchema,
  roleSettings: Readonly<Record<string, string>>,
): Promise<{ readonly connection: { readonly connectionString: string }; drop(): Promise<void> }> {
  const name = uniqueName(`${schema.name.slice(0, 20)}_as`);
  await asAdmin(async (admin) => {
    await admin.query(`create role "${name}" login in role "${schema.name}"`);
    const settings = { role: schema.name, search_path: schema.name, ...roleSettings };
    for (const [setting, value] of Object.entries(settings)) {
      await admin.query(`alter role "${name}" set ${setting} = '${value}'`);
    }
  });
  const url = new URL(pgbouncerUrl());
  url.username = name;
  url.password = '';
  return {
    connection: { connectionString: url.toString() },
    drop: () => asAdmin(async (admin) => void (await admin.query(`drop role if exists "${name}"`))),
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
  let mode: unknown;
  try {
    const config = await pgbouncerAdmin('show config');
    mode = config.find((row) => row.key === 'pool_mode')?.value;
  } catch (error) {
    throw new Error(
      `PgBouncer at ${redactSecrets(pgbouncerUrl())} is not reachable (${(error as Error).message}). ` +
        'Start it with `bash scripts/start-pgbouncer.sh` or set TEST_PGBOUNCER_URL.',
    );
  }
  if (mode !== 'transaction') {
    throw new Error(
      `PgBouncer at ${redactSecrets(pgbouncerUrl())} runs pool_mode=${String(mode)}, not transaction`,
    );
  }
}

/**
 * Runs one command on PgBouncer's admin console (database `pgbouncer`, simple protocol
 * only, so no parameters) and returns its rows.
 *
 * @example
 * ```ts
 * const pools = await pgbouncerAdmin('show pools'); // [{ database: 'test', user: 'postgres', pool_mode: 'transaction', … }]
 * ```
 */
export async function pgbouncerAdmin(command: string): Promise<Record<string, unknown>[]> {
  const url = new URL(pgbouncerUrl());
  url.pathname = '/pgbouncer';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
  admin.on('error', () => {});
  await admin.connect();
  try {
    return (await admin.query(command)).rows;
  } finally {
    await admin.end().catch(() => {});
  }
}

/**
 * The `statement_timeout` of `count` server connections at once: that many transactions
 * held open together occupy that many distinct server connections of the schema's pool,
 * so a session setting left on any of them shows.
 *
 * @example
 * ```ts
 * expect(new Set(await serverStatementTimeouts(schema))).toEqual(new Set(['0']));
 * ```
 */
export async function serverStatementTimeouts(schema: TestSchema, count = 10): Promise<string[]> {
  const pool = new pg.Pool({ ...schema.connection, max: count });
  pool.on('error', () => {});
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  try {
    return await Promise.all(
      clients.map(async (client) => {
        await client.query('begin');
        const { rows } = await client.query('show statement_timeout');
        return rows[0].statement_timeout as string;
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.query('rollback').catch(() => {})));
    for (const client of clients) client.release();
    await pool.end();
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
