import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PglitePool } from '../../../src/testing/index.js';

describe('PglitePool', () => {
  let pool: PglitePool;
  beforeAll(async () => {
    pool = new PglitePool(await PGlite.create());
    await pool.query('create table counters (id int primary key, n int not null)');
    await pool.query('insert into counters values (1, 0)');
  });
  afterAll(() => pool.end());

  it('answers in pg’s result shape', async () => {
    const selected = await pool.query<{ n: number }>({
      text: 'select n from counters where id = $1',
      values: [1],
    });
    expect(selected).toMatchObject({ rows: [{ n: 0 }], rowCount: 1, command: 'SELECT' });
    const updated = await pool.query('update counters set n = n where id = 1');
    expect(updated.rowCount).toBe(1);
  });

  it('gives the connection to one client at a time, so transactions never interleave', async () => {
    const increment = async () => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const { rows } = await client.query<{ n: number }>('select n from counters where id = 1');
        await new Promise((resolve) => setTimeout(resolve, 2));
        await client.query('update counters set n = $1 where id = 1', [rows[0]!.n + 1]);
        await client.query('commit');
      } finally {
        client.release();
      }
    };
    await Promise.all(Array.from({ length: 10 }, increment));
    const { rows } = await pool.query<{ n: number }>('select n from counters where id = 1');
    expect(rows[0]!.n).toBe(10);
    expect(pool.waitingCount).toBe(0);
  });

  it('raises PostgreSQL errors with their SQLSTATE', async () => {
    const error = await pool.query('insert into counters values (1, 0)').catch((e) => e);
    expect(error.code).toBe('23505');
  });

  it('refuses a released client', async () => {
    const client = await pool.connect();
    client.release();
    await expect(client.query('select 1')).rejects.toThrow('released');
  });
});
