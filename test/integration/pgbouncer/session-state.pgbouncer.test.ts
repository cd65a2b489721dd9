import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import { ConnectionManager, DatabaseError } from '../../../src/connection/index.js';
import { ConnectionError, DuplicateError, TimeoutError } from '../../../src/errors.js';
import { Widget } from '../../../src/testing/index.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { createPgBouncerSchema, pgbouncerAdmin, serverStatementTimeouts } from '../../support/pgbouncer.js';
import type { TestSchema } from '../../support/postgres.js';

// What transaction pooling changes for reposit: no session state survives a transaction,
// and what would rely on it fails with an error that says what to change.
const logger = new CaptureLogger();
let schema: TestSchema;
let serverDefault: string;

beforeAll(async () => {
  schema = await createPgBouncerSchema('pgbstate');
  await schema.sql('create table items (id int primary key)');
  serverDefault = (await serverStatementTimeouts(schema, 1))[0]!;
});
afterAll(async () => {
  await schema?.drop();
});

/** A manager through PgBouncer, closed after `work`. */
async function withManager<R>(
  options: Partial<ConstructorParameters<typeof ConnectionManager>[0]>,
  work: (db: ConnectionManager) => Promise<R>,
): Promise<R> {
  const db = new ConnectionManager({ primary: { ...schema.connection, max: 3 }, logger, ...options });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

describe('through PgBouncer in transaction pooling mode', () => {
  it('statements pass PgBouncer, in a pool of transaction mode', async () => {
    await withManager({ transactionPooling: true }, async (db) => {
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from items', []);
      expect(rows).toEqual([{ n: 0 }]);
    });
    const pools = await pgbouncerAdmin('show pools');
    expect(pools.find((pool) => pool.user === schema.name)).toMatchObject({
      database: 'test',
      pool_mode: 'transaction',
    });
  });

  it('without transactionPooling the connection is refused with a ConnectionError that says what to set', async () => {
    await withManager({}, async (db) => {
      const error = await db.query('select 1', []).catch((e) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('"statement_timeout"');
      expect(error.message).toContain('transactionPooling: true');
    });
    const withOptions = { primary: { ...schema.connection, options: '-c search_path=elsewhere' } };
    await withManager({ ...withOptions, transactionPooling: true }, async (db) => {
      const error = await db.query('select 1', []).catch((e) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toContain('"options"');
      expect(error.message).toContain('ALTER ROLE');
    });
  });

  it('statement timeouts hold inside transactions and per statement, and never outlive their transaction', async () => {
    await withManager({ transactionPooling: true, statementTimeoutMs: 150 }, async (db) => {
      const inTransaction = await db.transaction(() => db.query('select pg_sleep(2)', [])).catch((e) => e);
      expect(inTransaction).toBeInstanceOf(TimeoutError);
      expect((inTransaction.cause as { code: string }).code).toBe('57014'); // cancelled by the server
      // Outside a transaction a statement of its own timeout runs in a transaction of its own.
      const own = await db.query('select pg_sleep(2)', [], { timeoutMs: 100 }).catch((e) => e);
      expect(own).toBeInstanceOf(TimeoutError);
      expect((own.cause as { code: string }).code).toBe('57014');
      expect(own.timeoutMs).toBe(100);
      const written = await db.query('insert into items values ($1) returning id', [1], { timeoutMs: 5000 });
      expect(written.rows).toEqual([{ id: 1 }]);
      // Its failure rolls its own transaction back and leaves the connection usable.
      const again = await db.query('insert into items values ($1)', [1], { timeoutMs: 5000 }).catch((e) => e);
      expect(again).toBeInstanceOf(DuplicateError);
      expect((await db.query('select count(*)::int as n from items', [], { timeoutMs: 5000 })).rows).toEqual([
        { n: 1 },
      ]);
      await Promise.all(
        [1, 2, 3, 4, 5, 6].map((n) =>
          db.transaction(() => db.query('select pg_sleep(0.01)', [], { timeoutMs: 1000 + n })),
        ),
      );
    });
    expect(new Set(await serverStatementTimeouts(schema))).toEqual(new Set([serverDefault]));
    expect((await schema.sql('select id from items')).rows).toEqual([{ id: 1 }]);
  });

  it('a statement that cannot run in a transaction block runs with the default timeout only', async () => {
    await withManager({ transactionPooling: true }, async (db) => {
      await db.query('vacuum items', []);
      const error = await db.query('vacuum items', [], { timeoutMs: 5000 }).catch((e) => e);
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.sqlstate).toBe('25001');
    });
  });

  it('the hazard it avoids: a session SET through PgBouncer sticks to whichever server connection ran it', async () => {
    const other = await createPgBouncerSchema('pgbleak');
    // Your own pool sends no statement_timeout at connect, so PgBouncer lets it in; without
    // transactionPooling reposit then sets the timeout for the session.
    const pool = new pg.Pool({ ...other.connection, max: 1 });
    pool.on('error', () => {});
    try {
      const db = new ConnectionManager({ primary: pool, statementTimeoutMs: 4321, logger });
      await db.query('select 1', []);
      await db.close();
      expect(await serverStatementTimeouts(other)).toContain('4321ms');
    } finally {
      await pool.end();
      await other.drop();
    }
  });

  it("statements outside a transaction get the server's default: set it for the pooler's role", async () => {
    const strict = await createPgBouncerSchema('pgbstrict', { statement_timeout: '150ms' });
    try {
      const db = new ConnectionManager({
        primary: strict.connection,
        transactionPooling: true,
        statementTimeoutMs: 150,
        logger,
      });
      try {
        const error = await db.query('select pg_sleep(2)', []).catch((e) => e);
        expect(error).toBeInstanceOf(TimeoutError);
        expect((error.cause as { code: string }).code).toBe('57014');
      } finally {
        await db.close();
      }
    } finally {
      await strict.drop();
    }
  });

  it('named prepared statements fail with a DatabaseError that says to turn them off, unless PgBouncer keeps them', async () => {
    const config = await pgbouncerAdmin('show config');
    const maxPrepared = Number(config.find((row) => row.key === 'max_prepared_statements')?.value ?? 0);
    // A role of its own: a PgBouncer pool with no server connection yet.
    const named = await createPgBouncerSchema('pgbnamed');
    const db = new ConnectionManager({
      primary: { ...named.connection, max: 1 },
      transactionPooling: true,
      logger,
    });
    const holder = new pg.Client(named.connection);
    holder.on('error', () => {});
    try {
      await named.sql(
        'create table widgets (id text primary key, email text not null unique, name text not null, age integer, score double precision not null, active boolean not null, created_at timestamptz not null, version integer not null)',
      );
      const backend = new PostgresBackend(db, { entity: Widget, table: 'widgets', schema: named.name });
      expect(await backend.findByIds(['a'])).toEqual([]); // prepared on the pool's one server connection
      // Another client's open transaction holds that server connection, so PgBouncer gives
      // reposit's next statement a new one, where the statement was never prepared.
      await holder.connect();
      await holder.query('begin');
      await holder.query('select 1');
      const error = await backend.findByIds(['b']).catch((e) => e);
      if (maxPrepared > 0) {
        // PgBouncer 1.21+ with max_prepared_statements prepares it on every server connection.
        expect(error).toEqual([]);
        return;
      }
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.sqlstate).toBe('26000');
      expect(error.message).toContain('preparedStatements: false');
      // Turned off, the same read passes on any server connection.
      const unnamed = new PostgresBackend(db, {
        entity: Widget,
        table: 'widgets',
        schema: named.name,
        preparedStatements: false,
      });
      expect(await unnamed.findByIds(['b'])).toEqual([]);
    } finally {
      await holder.end().catch(() => {});
      await db.close();
      await named.drop();
    }
  });
});
