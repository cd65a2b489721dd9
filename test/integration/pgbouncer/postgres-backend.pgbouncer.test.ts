import { createPgBouncerSchema } from '../../support/pgbouncer.js';
import { describePostgresBackend } from '../postgres/postgres-backend-suite.js';

describePostgresBackend({
  title: 'through PgBouncer (transaction pooling)',
  createSchema: () => createPgBouncerSchema('pgbbackend'),
  manager: (schema) => ({ primary: schema.connection, transactionPooling: true }),
  // PgBouncer 1.18 cannot keep named prepared statements across transactions.
  preparedStatements: false,
});
