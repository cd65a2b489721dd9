import { runBackendConformance } from '../../../src/testing/index.js';
import { createPgBouncerSchema } from '../../support/pgbouncer.js';
import { postgresConformanceTarget } from '../postgres/postgres-conformance-target.js';

// PgBouncer 1.18 (Debian bookworm) cannot keep named prepared statements across
// transactions, so the backend runs findByIds unnamed; see prepared-statements.pgbouncer.test.ts.
await runBackendConformance(
  postgresConformanceTarget({
    name: 'postgres through PgBouncer (transaction pooling)',
    createSchema: () => createPgBouncerSchema('pgbconformance'),
    manager: (schema) => ({ primary: schema.connection, transactionPooling: true }),
    preparedStatements: false,
  }),
);
