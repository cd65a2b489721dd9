import {
  hashPercentageCohort,
  hybrid,
  JsonFileBackend,
  LegacyAdapter,
  type MigrationStrategy,
  parallel,
  phased,
  renameFields,
} from '../../../src/backends/legacy/index.js';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { runBackendConformance, Widget } from '../../../src/testing/index.js';
import { type LegacyWidget, temporaryDirectory, widgetMapper } from '../../support/legacy-widgets.js';

const strategies: Record<string, MigrationStrategy<Widget, string>> = {
  'parallel, legacy primary': parallel(),
  'parallel, new primary': parallel({ primary: 'new' }),
  'new-primary with legacy fallback': { name: 'new-primary', initialPhase: 'new-primary' },
  'hybrid (lazy migration)': hybrid(),
  'phased, 50% hash cohort at new-primary, rest dual-write': phased({
    cohort: hashPercentageCohort({ percent: 50 }),
    initialPhase: 'new-primary',
  }),
  'legacy-only': { name: 'legacy-only', initialPhase: 'legacy-only' },
  'new-only': { name: 'new-only', initialPhase: 'new-only' },
};

for (const [name, strategy] of Object.entries(strategies)) {
  await runBackendConformance({
    name: `legacy adapter (${name})`,
    create: async () => {
      const directory = await temporaryDirectory();
      const adapter = new LegacyAdapter({
        entity: Widget,
        legacy: new JsonFileBackend<LegacyWidget, string>({
          path: `${directory.path}/widgets.json`,
          idField: 'W_ID',
          unique: [['E_MAIL']],
        }),
        target: new MemoryBackend(Widget, { unique: [['email']] }),
        mapper: widgetMapper,
        strategy,
        comparison: { timeoutMs: 200 },
      });
      return {
        backend: adapter,
        teardown: async () => {
          await adapter.close();
          await directory.remove();
        },
      };
    },
  });
}

// Queries narrowed by the legacy store (names and ids are stored alike on both sides).
await runBackendConformance({
  name: 'legacy adapter (legacy-only, filters pushed to the legacy store)',
  create: async () => {
    const directory = await temporaryDirectory();
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy: new JsonFileBackend<LegacyWidget, string>({
        path: `${directory.path}/widgets.json`,
        idField: 'W_ID',
        unique: [['E_MAIL']],
      }),
      target: new MemoryBackend(Widget, { unique: [['email']] }),
      mapper: { ...widgetMapper, toLegacyCondition: renameFields({ id: 'W_ID', name: 'W_NAME' }) },
      strategy: { name: 'legacy-only', initialPhase: 'legacy-only' },
    });
    return {
      backend: adapter,
      teardown: async () => {
        await adapter.close();
        await directory.remove();
      },
    };
  },
});
