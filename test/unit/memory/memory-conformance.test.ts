import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { runBackendConformance, Widget } from '../../../src/testing/index.js';

await runBackendConformance({
  name: 'memory',
  create: async () => ({ backend: new MemoryBackend(Widget, { unique: [['email']] }) }),
});
