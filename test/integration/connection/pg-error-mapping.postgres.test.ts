import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../../src/connection/database-error.js';
import { mapPgError, type PgErrorContext } from '../../../src/connection/pg-error-mapping.js';
import {
  ConflictError,
  ConnectionError,
  DuplicateError,
  type RepositoryError,
  TimeoutError,
  ValidationError,
} from '../../../src/errors.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl, uniqueName } from '../../support/services.js';

let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema('errmap');
  await schema.sql(`
    create table users (id serial primary key, email text not null unique, name text not null,
      age int check (age >= 0) constraint age_sane check (age < 200));
    create table pairs (a int, b int, constraint pairs_a_b_key unique (a, b));
    create unique index users_lower_email on users (lower(email));
    create table posts (id serial primary key, user_id int not null references users(id));
    create table bookings (room int, during int4range,
      constraint bookings_no_overlap exclude using gist (during with &&));
    create table short (code varchar(3));
    create table accounts (id int primary key, balance int not null);
    insert into accounts values (1, 100), (2, 100);
    create table oncall (doctor text, on_duty boolean);
    insert into oncall values ('a', true), ('b', true);
  `);
});

afterAll(async () => {
  await schema.drop();
});

/** Runs `work`, expects it to fail, and returns the mapped error. */
async function mapped(work: () => Promise<unknown>, context: PgErrorContext = {}): Promise<RepositoryError> {
  try {
    await work();
  } catch (error) {
    return mapPgError(error, context);
  }
  throw new Error('expected the statement to fail');
}

/** A client of its own on the test schema, with an error listener so a kill cannot crash the run. */
async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: databaseUrl(), options: `-c search_path="${schema.name}"` });
  c.on('error', () => {});
  await c.connect();
  return c;
}

describe('integrity violations', () => {
  it('23505 unique violation → DuplicateError with constraint and columns, no values', async () => {
    await schema.sql(`insert into users (email, name) values ('taken@example.com', 'A')`);
    const error = await mapped(() =>
      schema.sql(`insert into users (email, name) values ('taken@example.com', 'B')`),
    );
    expect(error).toBeInstanceOf(DuplicateError);
    const duplicate = error as DuplicateError;
    expect(duplicate.code).toBe('E_DUPLICATE');
    expect(duplicate.constraint).toBe('users_email_key');
    expect(duplicate.columns).toEqual(['email']);
    expect(duplicate.message).toContain('email');
    expect(duplicate.message).not.toContain('taken@example.com');
    expect(JSON.stringify(duplicate)).not.toContain('taken@example.com');
  });

  it('23505 on a composite key names every column', async () => {
    await schema.sql('insert into pairs values (1, 2)');
    const error = (await mapped(() => schema.sql('insert into pairs values (1, 2)'))) as DuplicateError;
    expect(error).toBeInstanceOf(DuplicateError);
    expect(error.constraint).toBe('pairs_a_b_key');
    expect(error.columns).toEqual(['a', 'b']);
  });

  it('23505 on an expression index keeps the expression whole', async () => {
    await schema.sql(`insert into users (email, name) values ('Case@example.com', 'C')`);
    const error = (await mapped(() =>
      schema.sql(`insert into users (email, name) values ('case@EXAMPLE.com', 'D')`),
    )) as DuplicateError;
    expect(error).toBeInstanceOf(DuplicateError);
    expect(error.constraint).toBe('users_lower_email');
    expect(error.columns).toEqual(['lower(email)']);
    expect(error.message).not.toContain('example.com');
  });

  it('23P01 exclusion violation → DuplicateError', async () => {
    await schema.sql(`insert into bookings values (1, '[1,10)')`);
    const error = (await mapped(() =>
      schema.sql(`insert into bookings values (2, '[5,8)')`),
    )) as DuplicateError;
    expect(error).toBeInstanceOf(DuplicateError);
    expect(error.constraint).toBe('bookings_no_overlap');
    expect(error.columns).toEqual(['during']);
    expect(error.message).not.toContain('[5,8)');
  });

  it('23502 not-null violation → ValidationError on the column', async () => {
    const error = (await mapped(() =>
      schema.sql(`insert into users (email, name) values ('n@example.com', null)`),
    )) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('E_VALIDATION');
    expect(error.paths).toEqual(['name']);
    expect(error.issues[0]?.code).toBe('not_null');
  });

  it('23503 foreign-key violation → ValidationError on the referencing column', async () => {
    const error = (await mapped(() =>
      schema.sql('insert into posts (user_id) values (987654)'),
    )) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.paths).toEqual(['user_id']);
    expect(error.issues[0]?.code).toBe('foreign_key');
    expect(error.message).toContain('posts_user_id_fkey');
    expect(error.message).not.toContain('987654');
  });

  it('23503 on delete of a referenced row says it is still referenced', async () => {
    const { rows } = await schema.sql(
      `insert into users (email, name) values ('ref@example.com', 'R') returning id`,
    );
    await schema.sql('insert into posts (user_id) values ($1)', [rows[0].id]);
    const error = (await mapped(() =>
      schema.sql('delete from users where id = $1', [rows[0].id]),
    )) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/still referenced/);
  });

  it('23514 check violation → ValidationError on the constraint', async () => {
    const error = (await mapped(() =>
      schema.sql(`insert into users (email, name, age) values ('old@example.com', 'O', 250)`),
    )) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.paths).toEqual(['age_sane']);
    expect(error.issues[0]?.code).toBe('check');
  });

  it.each([
    ['22P02 invalid text representation', 'select $1::int', ['not-a-number'], '22P02'],
    ['22003 numeric value out of range', 'select $1::int', ['99999999999'], '22003'],
    ['22001 string too long', 'insert into short values ($1)', ['toolong'], '22001'],
    ['22007 invalid datetime format', 'select $1::date', ['yesterday-ish'], '22007'],
    ['22012 division by zero', 'select 1 / $1::int', ['0'], '22012'],
  ])('%s → ValidationError without the value', async (_label, sql, values, sqlstate) => {
    const error = (await mapped(() => schema.sql(sql, values))) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain(sqlstate);
    expect((error.cause as { code: string }).code).toBe(sqlstate);
    for (const value of values) if (value.length > 1) expect(error.message).not.toContain(value);
  });
});

describe('concurrency failures', () => {
  it('40P01 deadlock between two real connections → retryable ConflictError', async () => {
    const [a, b] = [await client(), await client()];
    try {
      for (const c of [a, b]) await c.query(`set deadlock_timeout = '50ms'`);
      await a.query('begin');
      await b.query('begin');
      await a.query('update accounts set balance = balance - 1 where id = 1');
      await b.query('update accounts set balance = balance - 1 where id = 2');
      const results = await Promise.allSettled([
        a.query('update accounts set balance = balance + 1 where id = 2'),
        b.query('update accounts set balance = balance + 1 where id = 1'),
      ]);
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failures).toHaveLength(1);
      const error = mapPgError(failures[0]!.reason, { during: 'transaction' });
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.retryable).toBe(true);
      expect((error.cause as { code: string }).code).toBe('40P01');
    } finally {
      await a.query('rollback').catch(() => {});
      await b.query('rollback').catch(() => {});
      await a.end();
      await b.end();
    }
  });

  it('40001 serialization failure under SERIALIZABLE → retryable ConflictError', async () => {
    const [a, b] = [await client(), await client()];
    try {
      for (const c of [a, b]) {
        await c.query('begin isolation level serializable');
        await c.query('select count(*) from oncall where on_duty');
      }
      await a.query(`update oncall set on_duty = false where doctor = 'a'`);
      await b.query(`update oncall set on_duty = false where doctor = 'b'`);
      await a.query('commit');
      const error = await mapped(() => b.query('commit'), { during: 'commit' });
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.retryable).toBe(true);
      expect((error.cause as { code: string }).code).toBe('40001');
    } finally {
      await a.query('rollback').catch(() => {});
      await b.query('rollback').catch(() => {});
      await a.end();
      await b.end();
    }
  });

  it('55P03 lock_timeout → TimeoutError', async () => {
    const [a, b] = [await client(), await client()];
    try {
      await a.query('begin');
      await a.query('select * from accounts where id = 1 for update');
      await b.query(`set lock_timeout = '50ms'`);
      const error = await mapped(() => b.query('update accounts set balance = 0 where id = 1'), {
        timeoutMs: 50,
      });
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).timeoutMs).toBe(50);
      expect((error.cause as { code: string }).code).toBe('55P03');
      const nowait = await mapped(() => b.query('select * from accounts where id = 1 for update nowait'));
      expect(nowait).toBeInstanceOf(TimeoutError);
    } finally {
      await a.query('rollback').catch(() => {});
      await a.end();
      await b.end();
    }
  });

  it('57014 statement_timeout → TimeoutError', async () => {
    const c = await client();
    try {
      await c.query('set statement_timeout = 50');
      const error = await mapped(() => c.query('select pg_sleep(2)'), { timeoutMs: 50 });
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.message).toContain('50 ms');
      expect((error.cause as { code: string }).code).toBe('57014');
    } finally {
      await c.end();
    }
  });
});

describe('connection failures', () => {
  it('57P01 pg_terminate_backend of a running query → retryable ConnectionError', async () => {
    const victim = await client();
    const killer = await client();
    try {
      const { rows } = await victim.query('select pg_backend_pid() as pid');
      const running = victim.query('select pg_sleep(5)');
      // The rejection can arrive while the killer's query is still awaited; mark it handled
      // now so it is not reported as unhandled before `mapped` awaits it.
      running.catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 100));
      await killer.query('select pg_terminate_backend($1)', [rows[0].pid]);
      const error = await mapped(() => running, { node: 'primary', during: 'read' });
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.retryable).toBe(true);
      expect((error as ConnectionError).outcomeUnknown).toBe(false);
      expect((error as ConnectionError).node).toBe('primary');
      expect((error.cause as { code: string }).code).toBe('57P01');
    } finally {
      await victim.end().catch(() => {});
      await killer.end();
    }
  });

  it('53300 too many connections (role CONNECTION LIMIT) → retryable ConnectionError', async () => {
    const role = uniqueName('limited');
    await schema.sql(`create role ${role} login connection limit 1`);
    const url = new URL(databaseUrl());
    url.username = role;
    const first = new pg.Client({ connectionString: url.toString() });
    first.on('error', () => {});
    try {
      await first.connect();
      const second = new pg.Client({ connectionString: url.toString() });
      second.on('error', () => {});
      const error = await mapped(() => second.connect(), { during: 'connect' });
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.retryable).toBe(true);
      expect((error.cause as { code: string }).code).toBe('53300');
    } finally {
      await first.end().catch(() => {});
      await schema.sql(`drop role ${role}`);
    }
  });

  it('25006 write in a read-only transaction → ConnectionError', async () => {
    const c = await client();
    try {
      await c.query('begin read only');
      const error = await mapped(() => c.query('update accounts set balance = 1'));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toContain('read-only');
      expect((error.cause as { code: string }).code).toBe('25006');
    } finally {
      await c.query('rollback');
      await c.end();
    }
  });

  it('28000 a role that may not log in → ConnectionError, not retryable', async () => {
    const role = uniqueName('nologin');
    await schema.sql(`create role ${role} nologin`);
    try {
      const url = new URL(databaseUrl());
      url.username = role;
      const c = new pg.Client({ connectionString: url.toString() });
      const error = await mapped(() => c.connect(), { during: 'connect' });
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.retryable).toBe(false);
      expect((error.cause as { code: string }).code).toBe('28000');
    } finally {
      await schema.sql(`drop role ${role}`);
    }
  });

  it('3D000 unknown database → ConnectionError, not retryable', async () => {
    const url = new URL(databaseUrl());
    url.pathname = `/${uniqueName('nodb')}`;
    const c = new pg.Client({ connectionString: url.toString() });
    const error = await mapped(() => c.connect(), { during: 'connect' });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.retryable).toBe(false);
    expect((error.cause as { code: string }).code).toBe('3D000');
  });

  it('ECONNREFUSED → ConnectionError without the password of the connection string', async () => {
    const refused = new pg.Client({
      connectionString: 'postgres://app:supersecret-pw@127.0.0.1:1/test',
      connectionTimeoutMillis: 2000,
    });
    const error = await mapped(() => refused.connect(), { node: 'replica:0', during: 'connect' });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('refused');
    expect(`${error.message} ${JSON.stringify(error)} ${error.stack}`).not.toContain('supersecret-pw');
  });

  describe('against a local server that misbehaves', () => {
    let silent: net.Server;
    let hangUp: net.Server;
    const sockets = new Set<net.Socket>();
    const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

    beforeAll(async () => {
      silent = net.createServer((socket) => sockets.add(socket));
      hangUp = net.createServer((socket) => socket.destroy());
      await Promise.all([silent, hangUp].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([silent, hangUp].map((s) => new Promise((r) => s.close(r))));
    });

    it('"Connection terminated due to connection timeout" (pool) and "timeout expired" (client) → ConnectionError', async () => {
      const connectionString = `postgres://postgres:pw-in-url@127.0.0.1:${portOf(silent)}/test`;
      const pool = new pg.Pool({ connectionString, connectionTimeoutMillis: 150 });
      const fromPool = await mapped(() => pool.connect(), { during: 'connect' });
      await pool.end();
      expect((fromPool.cause as Error).message).toBe('Connection terminated due to connection timeout');
      const c = new pg.Client({ connectionString, connectionTimeoutMillis: 150 });
      const fromClient = await mapped(() => c.connect(), { during: 'connect' });
      expect((fromClient.cause as Error).message).toBe('timeout expired');
      for (const error of [fromPool, fromClient]) {
        expect(error).toBeInstanceOf(ConnectionError);
        expect(error.retryable).toBe(true);
        expect(error.message).toMatch(/timed out/);
        expect(error.message).not.toContain('pw-in-url');
      }
    });

    it('"Connection terminated unexpectedly" → retryable ConnectionError, outcome unknown during COMMIT', async () => {
      const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${portOf(hangUp)}/test` });
      c.on('error', () => {});
      let raw: unknown;
      try {
        await c.connect();
      } catch (error) {
        raw = error;
      }
      expect((raw as Error).message).toBe('Connection terminated unexpectedly');
      const duringRead = mapPgError(raw, { during: 'read' }) as ConnectionError;
      expect(duringRead).toBeInstanceOf(ConnectionError);
      expect(duringRead.retryable).toBe(true);
      expect(duringRead.outcomeUnknown).toBe(false);
      // The same loss while a COMMIT was in flight: nobody knows whether it committed.
      const duringCommit = mapPgError(raw, { during: 'commit' }) as ConnectionError;
      expect(duringCommit.outcomeUnknown).toBe(true);
      expect(duringCommit.retryable).toBe(false);
    });
  });

  it('"timeout exceeded when trying to connect" (pool exhausted) → ConnectionError', async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1, connectionTimeoutMillis: 100 });
    const held = await pool.connect();
    try {
      const error = await mapped(() => pool.connect(), { node: 'primary', during: 'connect' });
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toContain('primary');
    } finally {
      held.release();
      await pool.end();
    }
  });

  it('"Query read timeout" (client-side query_timeout) → TimeoutError for a read', async () => {
    const c = new pg.Client({ connectionString: databaseUrl(), query_timeout: 100 });
    c.on('error', () => {});
    await c.connect();
    try {
      const error = await mapped(() => c.query('select pg_sleep(1)'), { during: 'read', timeoutMs: 100 });
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error.cause as Error).message).toBe('Query read timeout');
    } finally {
      await c.end().catch(() => {});
    }
  });

  it('a pool used after end() → UnavailableError', async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl() });
    await pool.end();
    const error = await mapped(() => pool.query('select 1'));
    expect(error.code).toBe('E_UNAVAILABLE');
  });
});

describe('codes PostgreSQL cannot be made to raise on demand', () => {
  // 08007 (transaction_resolution_unknown) and 40003 (statement_completion_unknown) are
  // only reported when the server loses track of a commit; there is no SQL that raises
  // them, so these tests map an error object that carries the code, as pg would deliver it.
  it.each(['08007', '40003'])('%s → ConnectionError with outcomeUnknown, never retryable', (code) => {
    const error = mapPgError(Object.assign(new Error('resolution unknown'), { code, severity: 'ERROR' }), {
      node: 'primary',
    }) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.outcomeUnknown).toBe(true);
    expect(error.retryable).toBe(false);
  });

  // 08xxx protocol-level failures and 57P02/57P03 (crash shutdown, server starting up)
  // need a broken server; the mapping is checked on error objects carrying the code.
  it.each(['08000', '08003', '08006', '08P01', '57P02', '57P03'])(
    '%s → retryable ConnectionError',
    (code) => {
      const error = mapPgError(Object.assign(new Error('x'), { code, severity: 'FATAL' }));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.retryable).toBe(true);
    },
  );

  it('an 08xxx loss during COMMIT is outcome-unknown', () => {
    const error = mapPgError(Object.assign(new Error('x'), { code: '08006', severity: 'FATAL' }), {
      during: 'commit',
    }) as ConnectionError;
    expect(error.outcomeUnknown).toBe(true);
    expect(error.retryable).toBe(false);
  });

  it('ECONNRESET during an autocommit write is outcome-unknown, during a read retryable', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect((mapPgError(reset, { during: 'write' }) as ConnectionError).outcomeUnknown).toBe(true);
    expect(mapPgError(reset, { during: 'read' }).retryable).toBe(true);
  });
});

describe('everything else', () => {
  it('an unknown table → DatabaseError (E_DATABASE) with the SQLSTATE', async () => {
    const error = await mapped(() => schema.sql('select * from no_such_table'));
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.code).toBe('E_DATABASE');
    expect((error as DatabaseError).sqlstate).toBe('42P01');
    expect(error.message).toContain('42P01');
  });

  it('a reposit error passes through unchanged, a non-error value is wrapped', () => {
    const original = new TimeoutError('x');
    expect(mapPgError(original)).toBe(original);
    const wrapped = mapPgError('boom');
    expect(wrapped).toBeInstanceOf(DatabaseError);
    expect(wrapped.cause).toBe('boom');
  });

  it('a message carrying a connection string is redacted', () => {
    const error = mapPgError(new Error('could not parse postgres://u:hunter2@h/db'));
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('postgres://u:***@h/db');
  });
});
