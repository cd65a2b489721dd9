import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../../src/connection/connection-manager.js';
import type { ConnectionManagerOptions } from '../../../src/connection/connection-options.js';
import { DatabaseError } from '../../../src/connection/database-error.js';
import type { PgPool } from '../../../src/connection/pg-pool.js';
import { currentTransaction } from '../../../src/context/transaction-scope.js';
import {
  ConflictError,
  ConnectionError,
  DuplicateError,
  RepositoryError,
  ValidationError,
} from '../../../src/errors.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import type { TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';

/**
 * How a file runs the ConnectionManager transaction suite: where its schema comes from
 * and how a manager reaches it.
 */
export interface TransactionSuiteSetup {
  createSchema(): Promise<TestSchema>;
  /** Options of a manager whose connections use the schema (the suite adds its logger and retry delays). */
  manager(schema: TestSchema): ConnectionManagerOptions;
  /** Behind a pooler in transaction mode: only transactions carry a statement timeout of reposit's. @default false */
  readonly transactionPooling?: boolean;
  /** Whether named prepared statements work on this path. @default true */
  readonly namedStatements?: boolean;
}

/**
 * Registers the ConnectionManager tests of queries, transactions, savepoints, retries and
 * after-commit hooks against the server `setup` describes.
 *
 * @example
 * ```ts
 * describeTransactions({ createSchema: () => createTestSchema('tx'), manager: (schema) => ({ primary: schema.connection }) });
 * ```
 */
export function describeTransactions(setup: TransactionSuiteSetup): void {
  let schema: TestSchema;
  let db: ConnectionManager;
  const logger = new CaptureLogger();

  beforeAll(async () => {
    schema = await setup.createSchema();
    await schema.sql(`
    create table items (id int primary key, name text not null);
    create table oncall (doctor text primary key, on_duty boolean not null);
  `);
    db = new ConnectionManager({
      ...setup.manager(schema),
      logger,
      retryMinDelayMs: 5,
      retryMaxDelayMs: 20,
    });
  });

  afterAll(async () => {
    await db.close();
    await schema.drop();
  });

  beforeEach(async () => {
    await schema.sql(`truncate items; truncate oncall; insert into oncall values ('a', true), ('b', true)`);
  });

  const count = async () => Number((await schema.sql('select count(*)::int as n from items')).rows[0].n);

  describe('query', () => {
    it('runs parameterised statements on the primary and maps errors', async () => {
      const inserted = await db.query<{ id: number }>('insert into items values ($1, $2) returning id', [
        1,
        'one',
      ]);
      expect(inserted).toEqual({ rows: [{ id: 1 }], rowCount: 1 });
      const error = await db.query('insert into items values ($1, $2)', [1, 'again']).catch((e) => e);
      expect(error).toBeInstanceOf(DuplicateError);
      expect((error as DuplicateError).columns).toEqual(['id']);
    });

    it('rejects bad input with a ValidationError before any SQL', async () => {
      const cases: [unknown, unknown, unknown][] = [
        ['', [], {}],
        ['select 1', 'not-an-array', {}],
        ['select 1', [], { intent: 'sideways' }],
        ['select 1', [], { timeoutMs: -5 }],
        ['select 1', [], { timeoutMs: 1.5 }],
      ];
      for (const [sql, parameters, options] of cases) {
        const error = await db
          .query(sql as string, parameters as unknown[], options as object)
          .catch((e) => e);
        expect(error).toBeInstanceOf(ValidationError);
      }
      await expect(db.transaction(async () => 1, { isolation: 'chaos' as never })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(db.transaction(async () => 1, { retries: -1 })).rejects.toBeInstanceOf(ValidationError);
      expect(
        () => new ConnectionManager({ primary: { connectionString: databaseUrl() }, connectTimeoutMs: 0 }),
      ).toThrow(ValidationError);
      expect(() => new ConnectionManager({ primary: undefined as never })).toThrow(ValidationError);
      expect(() => new ConnectionManager({ primary: {}, transactionPooling: 'yes' as never })).toThrow(
        /transactionPooling/,
      );
      expect(() => new ConnectionManager({ primary: {}, replicas: 'replica' as never })).toThrow(
        ValidationError,
      );
    });

    it('enforces statement timeouts on the server, per manager and per statement', async () => {
      const strict = new ConnectionManager({ ...setup.manager(schema), statementTimeoutMs: 150, logger });
      const serverDefault = (await schema.sql('show statement_timeout')).rows[0].statement_timeout;
      try {
        const started = Date.now();
        const inTransaction = await strict
          .transaction(() => strict.query('select pg_sleep(2)', []))
          .catch((e) => e);
        expect(inTransaction.code).toBe('E_TIMEOUT');
        expect((inTransaction.cause as { code: string }).code).toBe('57014'); // the server cancelled, not the client
        expect(Date.now() - started).toBeLessThan(1800); // well before pg_sleep(2) would end
        if (!setup.transactionPooling) {
          // Behind a pooler in transaction mode this one gets the server's default (a test of its own).
          const error = await strict.query('select pg_sleep(2)', []).catch((e) => e);
          expect((error.cause as { code: string }).code).toBe('57014');
        }
        // A per-statement limit overrides the default, then the default comes back.
        const longer = await strict.query<{ s: string }>('select pg_sleep(0.3)::text as s', [], {
          timeoutMs: 2000,
        });
        expect(longer.rowCount).toBe(1);
        const inside = await strict.transaction(() =>
          strict.query<{ statement_timeout: string }>('show statement_timeout', []),
        );
        expect(inside.rows[0]!.statement_timeout).toBe('150ms');
        // Behind a pooler in transaction mode no setting of reposit's outlives its transaction.
        const { rows } = await strict.query<{ statement_timeout: string }>('show statement_timeout', []);
        expect(rows[0]!.statement_timeout).toBe(setup.transactionPooling ? serverDefault : '150ms');
        const shorter = await strict.query('select pg_sleep(1)', [], { timeoutMs: 50 }).catch((e) => e);
        expect(shorter.code).toBe('E_TIMEOUT');
        expect(shorter.timeoutMs).toBe(50);
      } finally {
        await strict.close();
      }
    });

    it('never waits forever to connect', async () => {
      const unreachable = new ConnectionManager({
        // Nothing listens on port 1: refused at once. The silent-server case (connect timeout) is in
        // pg-error-mapping.postgres.test.ts and the proxy tests.
        primary: { host: '127.0.0.1', port: 1, user: 'postgres', database: 'test' },
        connectTimeoutMs: 300,
        logger,
      });
      try {
        const error = await unreachable.query('select 1', []).catch((e) => e);
        expect(error).toBeInstanceOf(ConnectionError);
        expect(error.node).toBe('primary');
      } finally {
        await unreachable.close();
      }
    });
  });

  describe('transaction', () => {
    it('runs every query inside fn on one connection and commits', async () => {
      const result = await db.transaction(async () => {
        await db.query('insert into items values (1, $1)', ['a']);
        const first = await db.query<{ pid: number; tx: string }>(
          'select pg_backend_pid() as pid, txid_current()::text as tx',
          [],
          { intent: 'read' },
        );
        await db.query('insert into items values (2, $1)', ['b']);
        const second = await db.query<{ pid: number; tx: string }>(
          'select pg_backend_pid() as pid, txid_current()::text as tx',
          [],
        );
        // Not visible to others before COMMIT.
        expect(await count()).toBe(0);
        return [first.rows[0], second.rows[0]];
      });
      expect(result[0]).toEqual(result[1]);
      expect(await count()).toBe(2);
    });

    it('rolls back when fn throws, and rethrows exactly what fn threw', async () => {
      const thrown = { not: 'an Error' };
      const error = await db
        .transaction(async () => {
          await db.query('insert into items values (1, $1)', ['a']);
          throw thrown;
        })
        .catch((e) => e);
      expect(error).toBe(thrown);
      expect(await count()).toBe(0);
    });

    it('uses the isolation level and read-only mode asked for', async () => {
      const level = await db.transaction(
        async () =>
          (await db.query<{ transaction_isolation: string }>('show transaction_isolation', [])).rows[0]!
            .transaction_isolation,
        { isolation: 'serializable' },
      );
      expect(level).toBe('serializable');
      const error = await db
        .transaction(() => db.query('insert into items values (1, $1)', ['a']), { readOnly: true })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error.cause as { code: string }).code).toBe('25006');
    });

    it('nested calls are savepoints: an inner failure rolls back only the inner work', async () => {
      await db.transaction(async () => {
        await db.query('insert into items values (1, $1)', ['outer']);
        const inner = await db
          .transaction(async () => {
            await db.query('insert into items values (2, $1)', ['inner']);
            throw new Error('inner failed');
          })
          .catch((e: Error) => e.message);
        expect(inner).toBe('inner failed');
        await db.transaction(async () => {
          await db.query('insert into items values (3, $1)', ['inner ok']);
        });
      });
      const { rows } = await schema.sql('select id from items order by id');
      expect(rows.map((r) => r.id)).toEqual([1, 3]);
    });

    it('a database error inside a savepoint leaves the outer transaction usable', async () => {
      await db.transaction(async () => {
        await db.query('insert into items values (1, $1)', ['a']);
        const error = await db
          .transaction(() => db.query('insert into items values (1, $1)', ['dup']))
          .catch((e) => e);
        expect(error).toBeInstanceOf(DuplicateError);
        await db.query('insert into items values (2, $1)', ['b']);
      });
      expect(await count()).toBe(2);
    });

    it('reports a COMMIT that PostgreSQL turned into ROLLBACK (fn swallowed a failed statement)', async () => {
      const error = await db
        .transaction(async () => {
          await db.query('insert into items values (1, $1)', ['a']);
          await db.query('insert into items values (1, $1)', ['dup']).catch(() => {});
        })
        .catch((e) => e);
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.sqlstate).toBe('25P02');
      expect(await count()).toBe(0);
    });

    it('refuses statements that outlive their transaction', async () => {
      let late: Promise<unknown> = Promise.resolve();
      await db.transaction(async () => {
        late = new Promise((resolve) => setTimeout(resolve, 30)).then(() => db.query('select 1', []));
      });
      const error = (await late.catch((e: unknown) => e)) as RepositoryError;
      expect(error).toBeInstanceOf(RepositoryError);
      expect(error.code).toBe('E_TRANSACTION_STATE');
    });

    it('refuses nested transactions started concurrently on the same connection', async () => {
      const results = await db.transaction(async () =>
        Promise.allSettled([
          db.transaction(() => db.query('insert into items values (1, $1)', ['first'])),
          db.transaction(() => db.query('insert into items values (2, $1)', ['second'])),
        ]),
      );
      expect(results[0]!.status).toBe('fulfilled');
      expect(results[1]!.status).toBe('rejected');
      expect(((results[1] as PromiseRejectedResult).reason as RepositoryError).code).toBe(
        'E_TRANSACTION_STATE',
      );
      expect(await count()).toBe(1);
    });

    // Through PgBouncer before 1.21 they fail with a typed error instead (prepared-statements.pgbouncer.test.ts).
    if (setup.namedStatements !== false) {
      it('runs named (prepared) statements, also inside transactions', async () => {
        for (const id of [1, 2]) {
          await db.query('insert into items values ($1, $2)', [id, 'named'], { name: 'reposit_test_insert' });
        }
        await db.transaction(() =>
          db.query('insert into items values ($1, $2)', [3, 'named'], { name: 'reposit_test_insert' }),
        );
        expect(await count()).toBe(3);
      });
    }

    it('does not join the transaction of another manager', async () => {
      const other = new ConnectionManager({
        ...setup.manager(schema),
        primary: schema.pool as PgPool,
        logger,
      });
      try {
        await db.transaction(async () => {
          await db.query('insert into items values (1, $1)', ['a']);
          const seen = await other.query<{ n: number }>('select count(*)::int as n from items', []);
          expect(seen.rows[0]!.n).toBe(0);
          expect(currentTransaction()?.owner).toBe(db);
        });
      } finally {
        await other.close();
      }
    });
  });

  describe('transaction retries', () => {
    /** Makes the manager's serializable transaction fail with 40001 on its first attempt only. */
    async function writeSkew(retries: number) {
      const rival = new pg.Client(schema.connection);
      rival.on('error', () => {});
      await rival.connect();
      await rival.query('begin isolation level serializable');
      await rival.query('select count(*) from oncall where on_duty');
      let attempts = 0;
      try {
        const result = await db.transaction(
          async () => {
            attempts++;
            await db.query('select count(*) from oncall where on_duty', []);
            await db.query(`update oncall set on_duty = false where doctor = 'a'`, []);
            if (attempts === 1) {
              await rival.query(`update oncall set on_duty = false where doctor = 'b'`);
              await rival.query('commit');
            }
            return attempts;
          },
          { isolation: 'serializable', retries },
        );
        return { result, attempts };
      } catch (error) {
        return { error, attempts };
      } finally {
        await rival.end();
      }
    }

    it('re-runs the whole function after a serialization failure (40001)', async () => {
      const outcome = await writeSkew(3);
      expect(outcome.attempts).toBe(2);
      expect(outcome.result).toBe(2);
      const { rows } = await schema.sql('select doctor from oncall where on_duty');
      expect(rows).toEqual([]);
      expect(logger.matching('transaction conflict').length).toBeGreaterThan(0);
    });

    it('gives up after `retries` and throws the ConflictError', async () => {
      const outcome = await writeSkew(0);
      expect(outcome.attempts).toBe(1);
      expect(outcome.error).toBeInstanceOf(ConflictError);
      expect((outcome.error as ConflictError).retryable).toBe(true);
    });

    it('never retries non-retryable conflicts or outcome-unknown errors', async () => {
      for (const error of [
        new ConflictError('stale version', { expectedVersion: 1, actualVersion: 2 }),
        new ConnectionError('lost during commit', { outcomeUnknown: true }),
      ]) {
        let attempts = 0;
        const thrown = await db
          .transaction(async () => {
            attempts++;
            throw error;
          })
          .catch((e) => e);
        expect(thrown).toBe(error);
        expect(attempts).toBe(1);
      }
    });

    it('only the outermost transaction retries', async () => {
      let inner = 0;
      let outer = 0;
      const error = await db
        .transaction(
          async () => {
            outer++;
            await db.transaction(async () => {
              inner++;
              throw new ConflictError('deadlock', { retryable: true });
            });
          },
          { retries: 2 },
        )
        .catch((e) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(outer).toBe(3);
      expect(inner).toBe(3);
    });
  });

  describe('after-commit hooks', () => {
    it('run after the outermost COMMIT, with the data visible to others', async () => {
      const seen: number[] = [];
      await db.transaction(async () => {
        await db.query('insert into items values (1, $1)', ['a']);
        currentTransaction()!.afterCommit(async () => {
          seen.push(await count());
        });
        await db.transaction(async () => {
          currentTransaction()!.afterCommit(async () => {
            seen.push(await count());
          });
        });
        expect(seen).toEqual([]);
      });
      expect(seen).toEqual([1, 1]);
    });

    it('are dropped on rollback, and after-rollback hooks run instead', async () => {
      const events: string[] = [];
      await db
        .transaction(async () => {
          currentTransaction()!.afterCommit(() => void events.push('commit'));
          currentTransaction()!.afterRollback(() => void events.push('rollback'));
          throw new Error('no');
        })
        .catch(() => {});
      expect(events).toEqual(['rollback']);
    });

    it('of a rolled-back savepoint are dropped while the outer transaction commits', async () => {
      const events: string[] = [];
      await db.transaction(async () => {
        currentTransaction()!.afterCommit(() => void events.push('outer'));
        await db
          .transaction(async () => {
            currentTransaction()!.afterCommit(() => void events.push('inner'));
            throw new Error('inner');
          })
          .catch(() => {});
      });
      expect(events).toEqual(['outer']);
    });

    it('run once per successful attempt only, and a failing hook does not fail the transaction', async () => {
      const events: string[] = [];
      const value = await db.transaction(async () => {
        currentTransaction()!.afterCommit(() => {
          throw new Error('hook broke');
        });
        currentTransaction()!.afterCommit(() => void events.push('second'));
        return 'done';
      });
      expect(value).toBe('done');
      expect(events).toEqual(['second']);
      expect(logger.matching('after-commit hook failed').length).toBeGreaterThan(0);
    });
  });
}
