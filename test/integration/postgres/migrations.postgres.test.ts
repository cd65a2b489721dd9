import pg from 'pg';
import { createTestSchema } from '../../support/postgres.js';
import { describeMigrations } from './migrations-suite.js';

describeMigrations({
  title: 'on a real PostgreSQL',
  createSchema: () => createTestSchema('migrations'),
  async limitedPool(schema, timeoutMs) {
    const pool = new pg.Pool({
      ...schema.connection,
      options: `${schema.connection.options ?? ''} -c statement_timeout=${timeoutMs}`,
      max: 1,
    });
    return { pool, close: () => pool.end() };
  },
});
