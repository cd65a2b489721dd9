import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationRepository } from '../../../src/backends/config/index.js';
import { ConflictError } from '../../../src/errors.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';

const schema = z.object({
  counter: z.number().int().default(0),
  flags: z.record(z.string(), z.number()).default({}),
});

describe('concurrent writers', () => {
  let pg: TestSchema;
  beforeAll(async () => {
    pg = await createTestSchema('cfg_conc');
  });
  afterAll(() => pg.drop());

  const open = (table: string) =>
    ConfigurationRepository.start({
      schema,
      files: false,
      database: { connection: pg.pool, schema: pg.name, table, ensureSchema: true },
    });

  it('loses no blind write: every key lands and versions are contiguous', async () => {
    const writers = await Promise.all(Array.from({ length: 6 }, () => open('blind')));
    try {
      await Promise.all(
        writers.map(async (config, w) => {
          for (let i = 0; i < 5; i++)
            await config.set(`flags.w${w}_${i}`, w * 10 + i, { actor: `writer-${w}` });
        }),
      );
      const { rows } = await pg.sql('SELECT version, changes FROM blind_versions ORDER BY version');
      expect(rows.map((r) => Number(r.version))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(rows.every((r) => r.changes.length === 1)).toBe(true);
      await writers[0]!.reload();
      const flags = writers[0]!.get('flags');
      expect(Object.keys(flags)).toHaveLength(30);
      for (let w = 0; w < 6; w++) for (let i = 0; i < 5; i++) expect(flags[`w${w}_${i}`]).toBe(w * 10 + i);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  it('read-modify-write with expectedVersion: every increment counts', async () => {
    const writers = await Promise.all(Array.from({ length: 6 }, () => open('counter')));
    try {
      await Promise.all(
        writers.map(async (config) => {
          for (let done = 0; done < 5; ) {
            const version = config.version;
            const value = config.get('counter');
            try {
              await config.set('counter', value + 1, { expectedVersion: version });
              done++;
            } catch (error) {
              if (!(error instanceof ConflictError)) throw error;
              await config.reload(); // catch up, then try again on the new state
            }
          }
        }),
      );
      const [reader] = writers;
      await reader!.reload();
      expect(reader!.get('counter')).toBe(30);
      expect(reader!.version).toBe(30);
      const history = await reader!.history('counter', { limit: 1000 });
      expect(history.map((v) => v.changes[0]!.newValue)).toEqual(
        Array.from({ length: 30 }, (_, i) => 30 - i),
      );
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  it('the version key stops a writer that bypasses the lock: reposit retries or reports the conflict', async () => {
    const config = await open('guard');
    /** Resolves once reposit's INSERT of the version waits on the outsider's uncommitted key. */
    const blockedOnVersionKey = async () => {
      for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
        const { rows } = await pg.sql(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
          [`INSERT INTO "${pg.name}"."guard_versions"%`],
        );
        if (rows[0].n === 1) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('the write never reached the version key');
    };
    /** Another tool claims `version` in an open transaction, then commits it after a pause. */
    const outsider = async (version: number) => {
      const client = await pg.pool.connect();
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO guard_versions (version, actor, changes, entries) VALUES ($1, 'outsider', '[]', '{}')`,
        [version],
      );
      return async () => {
        await client.query('COMMIT');
        client.release();
      };
    };
    try {
      // A blind write claims version 1 too, waits on the outsider's key, loses, and retries as 2.
      let commit = await outsider(1);
      const blind = config.set('counter', 5);
      await blockedOnVersionKey();
      await commit();
      expect(await blind).toMatchObject({ version: 2 });
      await config.reload();
      expect(config.get('counter')).toBe(5);

      // With expectedVersion the same loss is a ConflictError, and nothing is written.
      commit = await outsider(3);
      const optimistic = config.set('counter', 6, { expectedVersion: 2 }).catch((e: unknown) => e);
      await blockedOnVersionKey();
      await commit();
      expect(await optimistic).toMatchObject({ name: 'ConflictError', expectedVersion: 2, actualVersion: 3 });
      const { rows } = await pg.sql("SELECT count(*)::int AS n FROM guard WHERE value = '6'::jsonb");
      expect(rows[0].n).toBe(0);
    } finally {
      await config.close();
    }
  });

  it('a writer with a stale expectedVersion gets ConflictError and writes nothing', async () => {
    const a = await open('stale');
    const b = await open('stale');
    try {
      await a.set('counter', 1);
      await b.reload();
      const seenByB = b.version;
      await a.set('counter', 2);
      const error = await b.set('counter', 100, { expectedVersion: seenByB }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ expectedVersion: 1, actualVersion: 2, retryable: true });
      await b.reload();
      expect(b.get('counter')).toBe(2);
      const { rows } = await pg.sql('SELECT count(*)::int AS n FROM stale_versions');
      expect(rows[0].n).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
