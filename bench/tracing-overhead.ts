/**
 * What OpenTelemetry spans cost: the same reposit calls with tracing off and with a real
 * SDK recording every span (BasicTracerProvider, AsyncLocalStorage context manager, a
 * simple processor and an exporter that drops the spans), in one process, against raw pg
 * for the statement. Run: `node --import tsx bench/tracing-overhead.ts` (TEST_DATABASE_URL
 * or the local default; BENCH_SECONDS to change the time per workload). Each workload runs
 * three times in rotated order and the median run is shown; the ratio is against the first
 * row of its group.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import { MemoryBackend } from '../src/backends/memory/index.js';
import { CacheManager } from '../src/cache/cache-manager.js';
import { ConnectionManager } from '../src/connection/index.js';
import { configureTracing } from '../src/observability/tracing.js';
import { BaseRepository } from '../src/repository/base-repository.js';
import { Widget, type WidgetInput } from '../src/testing/conformance.js';
import { databaseUrl } from '../test/support/services.js';
import { type Measurement, machine, measure, table } from './harness.js';

const ROUNDS = 3;
let exported = 0;
const provider = new BasicTracerProvider({
  spanProcessors: [
    new SimpleSpanProcessor({
      export(spans, done) {
        exported += spans.length;
        done({ code: 0 });
      },
      shutdown: async () => {},
    }),
  ],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

const raw = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
const db = new ConnectionManager({ primary: { connectionString: databaseUrl(), max: 1 } });
const cache = new CacheManager({ namespace: 'bench-tracing' });
const widgets = new BaseRepository<Widget, string, WidgetInput>({
  entity: Widget,
  backend: new MemoryBackend<Widget, string>(Widget),
  cache: cache.forEntity<Widget, string>(Widget),
});
await widgets.create({ id: 'w1', email: 'w1@example.com', name: 'W', age: null, score: 1, active: true });

const groups: { name: string; run: () => Promise<unknown>; setup?: () => void }[][] = [
  [
    { name: 'raw pg: select $1::int', run: () => raw.query('select $1::int as n', [1]) },
    {
      name: 'ConnectionManager.query, tracing off',
      run: () => db.query('select $1::int as n', [1]),
      setup: () => configureTracing({ tracer: 'off' }),
    },
    {
      name: 'ConnectionManager.query, spans recorded',
      run: () => db.query('select $1::int as n', [1]),
      setup: () => configureTracing({ tracer: 'auto' }),
    },
  ],
  [
    {
      name: 'repository.getById L1 hit, tracing off',
      run: () => widgets.getById('w1'),
      setup: () => configureTracing({ tracer: 'off' }),
    },
    {
      name: 'repository.getById L1 hit, spans recorded',
      run: () => widgets.getById('w1'),
      setup: () => configureTracing({ tracer: 'auto' }),
    },
    {
      name: 'cache.getOrLoad L1 hit, tracing off',
      run: () => cache.getOrLoad('k', async () => 1),
      setup: () => configureTracing({ tracer: 'off' }),
    },
    {
      name: 'cache.getOrLoad L1 hit, spans recorded',
      run: () => cache.getOrLoad('k', async () => 1),
      setup: () => configureTracing({ tracer: 'auto' }),
    },
  ],
];

const rows: Measurement[] = [];
const baselines = new Map<Measurement, Measurement>();
try {
  for (const group of groups) {
    const samples: Measurement[][] = group.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < group.length; k++) {
        const index = (k + round) % group.length;
        const workload = group[index]!;
        workload.setup?.();
        samples[index]!.push(await measure(workload.name, () => workload.run()));
      }
    }
    const medians = samples.map((runs) => [...runs].sort((a, b) => a.opsPerSecond - b.opsPerSecond)[1]!);
    rows.push(...medians);
    for (const row of medians) baselines.set(row, medians[0]!);
  }
  console.log(`### Tracing overhead (${machine()})\n`);
  console.log(table(rows, (row) => baselines.get(row)));
  console.log(`\n${exported} spans exported.`);
} finally {
  configureTracing({ tracer: 'off' });
  await cache.close();
  await db.close();
  await raw.end();
  await provider.shutdown();
}
