import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationRepository, DatabaseSource } from '../../../src/backends/config/index.js';
import { withContext } from '../../../src/context/request-context.js';
import { createPgBouncerSchema } from '../../support/pgbouncer.js';
import type { TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';
import { eventually } from '../config/helpers.js';

// The configuration database source through PgBouncer: loads and versioned writes (one
// transaction each, serialised by a transaction-scoped advisory lock) pass it; LISTEN
// needs a session of its own, so it goes to the primary directly (listenConnection).
const settings = z.object({
  db: z.object({ pool: z.object({ max: z.number().int().default(10) }).prefault({}) }),
});
let pgSchema: TestSchema;

beforeAll(async () => {
  pgSchema = await createPgBouncerSchema('pgbconfig');
});
afterAll(async () => {
  await pgSchema?.drop();
});

const start = (options: Partial<ConstructorParameters<typeof DatabaseSource>[0]> = {}) =>
  ConfigurationRepository.start({
    schema: settings,
    files: false,
    defaults: { db: {} },
    database: new DatabaseSource({
      connection: pgSchema.pool,
      schema: pgSchema.name,
      table: 'settings',
      ensureSchema: true,
      ...options,
    }),
  });

it('writes versions through PgBouncer, and a follower listening on a direct connection sees them', async () => {
  const writer = await start({ listen: false });
  const follower = await start({ listenConnection: databaseUrl() });
  try {
    const written = await withContext({ actor: 'ada' }, () => writer.set('db.pool.max', 42));
    expect(written).toMatchObject({
      version: 1,
      actor: 'ada',
      changes: [{ path: 'db.pool.max', newValue: 42 }],
    });
    await eventually(() => follower.get('db.pool.max') === 42, 3000);
    // Concurrent writers through the pooler still produce one version each.
    await Promise.all([1, 2, 3, 4].map((n) => writer.set('db.pool.max', 50 + n)));
    expect(writer.version).toBe(5);
    await eventually(() => follower.version === 5, 3000);
  } finally {
    await writer.close();
    await follower.close();
  }
});
