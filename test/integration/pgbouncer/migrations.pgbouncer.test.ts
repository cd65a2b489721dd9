import pg from 'pg';
import { createPgBouncerRole, createPgBouncerSchema } from '../../support/pgbouncer.js';
import { describeMigrations } from '../postgres/migrations-suite.js';

describeMigrations({
  title: 'through PgBouncer (transaction pooling)',
  createSchema: () => createPgBouncerSchema('pgbmigrations'),
  async limitedPool(schema, timeoutMs) {
    // PgBouncer refuses `options`: the timeout is the setting of a role of its own.
    const role = await createPgBouncerRole(schema, { statement_timeout: `${timeoutMs}ms` });
    const pool = new pg.Pool({ ...role.connection, max: 1 });
    pool.on('error', () => {});
    return {
      pool,
      async close() {
        await pool.end();
        await role.drop();
      },
    };
  },
});
