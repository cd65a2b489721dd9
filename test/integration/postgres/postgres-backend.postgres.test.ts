import { createTestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';
import { describePostgresBackend } from './postgres-backend-suite.js';

describePostgresBackend({
  title: 'on a real PostgreSQL',
  createSchema: () => createTestSchema('pgbackend'),
  manager: () => ({ primary: { connectionString: databaseUrl() } }),
});
