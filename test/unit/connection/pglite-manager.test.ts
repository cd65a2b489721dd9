import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../../src/connection/connection-manager.js';
import { currentTransaction } from '../../../src/context/transaction-scope.js';
import { DuplicateError } from '../../../src/errors.js';
import { PglitePool } from '../../../src/testing/pglite-pool.js';
import { CaptureLogger } from '../../support/capture-logger.js';

// The ConnectionManager over an embedded PGlite (the demo's and users' unit-test setup):
// the pool is passed as `{ pool }`, has its own listener surface, and reports its own
// command tags.
let db: ConnectionManager;
let pool: PglitePool;

beforeAll(async () => {
  pool = new PglitePool(await PGlite.create());
  db = new ConnectionManager({ primary: { pool }, logger: new CaptureLogger() });
  await db.query('create table items (id int primary key, name text not null)', []);
});

afterAll(async () => {
  await db.close();
  await pool.end();
});

describe('ConnectionManager on PGlite', () => {
  it('runs statements, transactions, savepoints and hooks', async () => {
    const events: string[] = [];
    await db.transaction(async () => {
      await db.query('insert into items values ($1, $2)', [1, 'a']);
      currentTransaction()!.afterCommit(() => void events.push('committed'));
      await db.transaction(() => db.query('insert into items values ($1, $2)', [1, 'dup'])).catch(() => {});
      await db.query('insert into items values ($1, $2)', [2, 'b']);
    });
    const { rows } = await db.query<{ id: number }>('select id from items order by id', [], {
      intent: 'read',
    });
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
    expect(events).toEqual(['committed']);
  });

  it('maps PGlite errors like pg errors', async () => {
    const error = await db.query('insert into items values ($1, $2)', [1, 'again']).catch((e) => e);
    expect(error).toBeInstanceOf(DuplicateError);
    expect((error as DuplicateError).columns).toEqual(['id']);
  });

  it('rolls back on error and does not end a pool it did not create', async () => {
    await db
      .transaction(async () => {
        await db.query('insert into items values ($1, $2)', [3, 'c']);
        throw new Error('undo');
      })
      .catch(() => {});
    expect(
      (await db.query<{ n: number }>('select count(*)::int as n from items where id = 3', [])).rows[0]!.n,
    ).toBe(0);
    expect(db.stats().nodes[0]!.total).toBe(1);
  });
});
