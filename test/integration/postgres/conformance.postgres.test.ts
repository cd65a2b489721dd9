import { runBackendConformance } from '../../../src/testing/index.js';
import { createTestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';
import { postgresConformanceTarget } from './postgres-conformance-target.js';

await runBackendConformance(
  postgresConformanceTarget({
    name: 'postgres',
    createSchema: () => createTestSchema('pgconformance'),
    manager: () => ({ primary: { connectionString: databaseUrl() } }),
  }),
);
