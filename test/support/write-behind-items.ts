import type pg from 'pg';
import type { WriteBehindOp } from '../../src/cache/redis/write-behind.js';

/** A row of the `items (id int PRIMARY KEY, value int)` table the write-behind tests flush to. */
export interface Item {
  id: number;
  value: number;
}

/**
 * Applies write-behind operations to the `items` table in one transaction, as a backend's
 * batch write does: all of the batch or none of it. Errors are pg's, unmapped.
 *
 * @example
 * ```ts
 * const queue = new WriteBehindQueue<Item, number>({ …, flush: (ops) => applyItems(pool, ops) });
 * ```
 */
export async function applyItems(pool: pg.Pool, ops: readonly WriteBehindOp<Item, number>[]): Promise<void> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    for (const op of ops) {
      if (op.op === 'upsert') {
        await client.query(
          'INSERT INTO items (id, value) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value',
          [op.value.id, op.value.value],
        );
      } else {
        await client.query('DELETE FROM items WHERE id = $1', [op.id]);
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    // A connection that cannot even roll back is not given back to the pool.
    broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    throw error;
  } finally {
    client.release(broken);
  }
}
