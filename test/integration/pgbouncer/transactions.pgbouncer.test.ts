import { createPgBouncerSchema } from '../../support/pgbouncer.js';
import { describeTransactions } from '../connection/transactions-suite.js';

describeTransactions({
  createSchema: () => createPgBouncerSchema('pgbtx'),
  manager: (schema) => ({ primary: { ...schema.connection, max: 5 }, transactionPooling: true }),
  transactionPooling: true,
  // PgBouncer 1.18 cannot keep them across transactions: prepared-statements.pgbouncer.test.ts.
  namedStatements: false,
});
