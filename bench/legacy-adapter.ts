/**
 * What the LegacyAdapter costs per read, against its raw baseline — the same
 * MemoryBackend called directly — in the same process, and what the backfill achieves
 * against a raw `insertMany` of ready entities. Run: `node --import tsx bench/legacy-adapter.ts`
 * (BENCH_SECONDS shortens or lengthens each workload). Record the ratios in
 * docs/benchmarks.md ("Legacy adapter").
 *
 * Memory on both sides isolates the adapter's own work (routing, conversion and schema
 * validation of legacy records, shadow bookkeeping); with real stores the I/O dominates.
 */
import { BackfillJob, LegacyAdapter, type MigrationPhase } from '../src/backends/legacy/index.js';
import { MemoryBackend } from '../src/backends/memory/index.js';
import { Widget, widget } from '../src/testing/index.js';
import {
  type LegacyWidget,
  LegacyWidgetEntity,
  legacyWidget,
  widgetMapper,
} from '../test/support/legacy-widgets.js';
import { type Measurement, machine, measure, table } from './harness.js';

const ROWS = 1000;
const ids = Array.from({ length: ROWS }, (_, index) => widget(index).id);
const pick = (iteration: number) => [ids[(iteration * 7919) % ROWS]!];

async function stores() {
  const legacy = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
  const target = new MemoryBackend<Widget, string>(Widget);
  await legacy.insertMany(ids.map((_, index) => legacyWidget(index)));
  await target.insertMany(ids.map((_, index) => ({ ...widget(index), version: 1 })));
  return { legacy, target };
}

async function adapterIn(phase: MigrationPhase, primary: 'legacy' | 'new' = 'legacy', sampleRate = 1) {
  const { legacy, target } = await stores();
  return new LegacyAdapter({
    entity: Widget,
    legacy,
    target,
    mapper: widgetMapper,
    strategy: { name: 'bench', initialPhase: phase, primary },
    comparison: { sampleRate },
  });
}

const { legacy, target } = await stores();
const rows: Measurement[] = [];
const rawNew = await measure('raw MemoryBackend<Widget>.findByIds (baseline)', (_, i) =>
  target.findByIds(pick(i)),
);
const rawLegacy = await measure('raw MemoryBackend<LegacyWidget>.findByIds (baseline)', (_, i) =>
  legacy.findByIds(pick(i)),
);
rows.push(rawNew, rawLegacy);
const baselineOf = new Map<Measurement, Measurement>();
const add = (row: Measurement, baseline: Measurement) => {
  rows.push(row);
  baselineOf.set(row, baseline);
};

const newOnly = await adapterIn('new-only');
add(await measure('adapter new-only', (_, i) => newOnly.findByIds(pick(i))), rawNew);
const newPrimary = await adapterIn('new-primary');
add(
  await measure('adapter new-primary (breaker, fallback ready)', (_, i) => newPrimary.findByIds(pick(i))),
  rawNew,
);
const legacyOnly = await adapterIn('legacy-only');
add(
  await measure('adapter legacy-only (convert + validate)', (_, i) => legacyOnly.findByIds(pick(i))),
  rawLegacy,
);
const shadowNew = await adapterIn('shadow-read', 'new');
add(
  await measure('adapter shadow-read, new primary, legacy shadow', (_, i) => shadowNew.findByIds(pick(i))),
  rawNew,
);
const shadowLegacy = await adapterIn('shadow-read', 'legacy');
add(
  await measure('adapter shadow-read, legacy primary, new shadow', (_, i) => shadowLegacy.findByIds(pick(i))),
  rawLegacy,
);
const sampled = await adapterIn('shadow-read', 'legacy', 0.1);
add(
  await measure('adapter shadow-read, legacy primary, 10% sampled', (_, i) => sampled.findByIds(pick(i))),
  rawLegacy,
);
// A loop of in-memory reads never yields to the event loop, so the comparisons (queued
// with setImmediate) run only now; with real I/O they run between reads.
await new Promise((resolve) => setTimeout(resolve, 100));
const shadowReport = shadowLegacy.comparisonReport();
for (const adapter of [newOnly, newPrimary, legacyOnly, shadowNew, shadowLegacy, sampled])
  await adapter.close();

// Backfill of 20,000 records against inserting the same, already converted entities raw.
const BACKFILL = 20_000;
const source = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
await source.insertMany(Array.from({ length: BACKFILL }, (_, index) => legacyWidget(index)));
const prepared = Array.from({ length: BACKFILL }, (_, index) => ({ ...widget(index), version: 1 }));
const rawStarted = performance.now();
const rawTarget = new MemoryBackend<Widget, string>(Widget);
for (let start = 0; start < BACKFILL; start += 500)
  await rawTarget.insertMany(prepared.slice(start, start + 500));
const rawSeconds = (performance.now() - rawStarted) / 1000;
const result = await new BackfillJob({
  entity: Widget,
  legacy: source,
  target: new MemoryBackend<Widget, string>(Widget),
  mapper: widgetMapper,
  batchSize: 500,
}).run();

console.log(machine());
console.log(table(rows, (row) => baselineOf.get(row)));
console.log(
  `\nshadow comparisons recorded: ${shadowReport.matched} matched, ${shadowReport.mismatched} mismatched, ${shadowReport.timeouts} timed out`,
);
console.log(
  `backfill of ${BACKFILL}: ${Math.round(result.rowsPerSecond)} rows/s; raw insertMany of converted entities: ${Math.round(BACKFILL / rawSeconds)} rows/s; ratio ${(result.rowsPerSecond / (BACKFILL / rawSeconds)).toFixed(2)}x`,
);
