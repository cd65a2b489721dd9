import { createTestSchema } from '../../support/postgres.js';
import { describeTransactions } from './transactions-suite.js';

describeTransactions({
  createSchema: () => createTestSchema('tx'),
  manager: (schema) => ({ primary: { ...schema.connection, max: 5 } }),
});
