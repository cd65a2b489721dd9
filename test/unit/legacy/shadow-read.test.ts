import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ignoreFields,
  LegacyAdapter,
  parallel,
  type ShadowObservation,
} from '../../../src/backends/legacy/index.js';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { Widget, widget } from '../../../src/testing/index.js';
import {
  FaultyBackend,
  type LegacyWidget,
  LegacyWidgetEntity,
  legacyWidget,
  widgetMapper,
} from '../../support/legacy-widgets.js';

function setup(options: { timeoutMs?: number; sampleSize?: number; window?: number } = {}) {
  const legacyStore = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
  const legacy = new FaultyBackend(legacyStore);
  const target = new FaultyBackend(new MemoryBackend<Widget, string>(Widget, { unique: [['email']] }));
  const adapter = new LegacyAdapter({
    entity: Widget,
    legacy,
    target,
    mapper: widgetMapper,
    strategy: parallel(),
    comparison: {
      timeoutMs: options.timeoutMs ?? 100,
      sampleSize: options.sampleSize ?? 3,
      normalisers: [ignoreFields('version')],
    },
    gate: { window: options.window ?? 5, maxMismatchRate: 0.25 },
  });
  const repo = new BaseRepository({ entity: Widget, backend: adapter, batchReads: false });
  const observations: ShadowObservation[] = [];
  adapter.events.on('observation', (observation) => observations.push(observation));
  return { adapter, repo, legacy, legacyStore, target, observations };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('shadow reads (parallel strategy, legacy primary)', () => {
  let context: ReturnType<typeof setup>;
  beforeEach(() => {
    context = setup();
  });
  afterEach(async () => {
    await context.adapter.close();
  });

  it('returns the primary side’s value even when the shadow disagrees, and records the field diff', async () => {
    const { repo, target, observations, adapter } = context;
    await repo.create(widget(1));
    await target.update('w0001', { name: 'drifted' }, {});
    const read = await repo.getById('w0001');
    expect(read?.name).toBe('name 1');
    await settle();
    expect(observations).toHaveLength(1);
    expect(observations[0]).toMatchObject({
      operation: 'findByIds',
      outcome: 'mismatched',
      primary: 'legacy',
    });
    expect(observations[0]!.diffs).toEqual([{ path: '[w0001].name', legacy: 'name 1', new: 'drifted' }]);
    const report = adapter.comparisonReport();
    expect(report).toMatchObject({ matched: 0, mismatched: 1 });
    expect(report.timings.legacy.count).toBe(1);
    expect(report.timings.new.count).toBe(1);
  });

  it('counts matches, ignores normalised fields, and compares lists and counts too', async () => {
    const { repo, adapter, observations } = context;
    await repo.createMany([widget(1), widget(2)]);
    await repo.getById('w0001');
    await repo.list({ where: { active: true }, orderBy: { name: 'desc' } });
    await repo.count({ active: true });
    await settle();
    expect(observations.map((o) => [o.operation, o.outcome])).toEqual([
      ['findByIds', 'matched'],
      ['find', 'matched'],
      ['count', 'matched'],
    ]);
    expect(adapter.comparisonReport().matched).toBe(3);
  });

  it('reports a row only one side has, and a different count', async () => {
    const { repo, legacyStore, observations } = context;
    await repo.create(widget(1));
    await legacyStore.insertMany([legacyWidget(2)]);
    await repo.list({});
    await repo.count();
    await settle();
    expect(observations[0]!.diffs).toEqual([{ path: '[w0002]', legacy: 'present', new: null }]);
    expect(observations[1]!.diffs).toEqual([{ path: '$count', legacy: 2, new: 1 }]);
  });

  it('never waits for a slow shadow: answers at the primary’s speed and records a timeout', async () => {
    const { repo, target, observations, adapter } = context;
    await repo.create(widget(1));
    target.delayMs = 1000;
    const started = performance.now();
    expect((await repo.getById('w0001'))?.id).toBe('w0001');
    expect(performance.now() - started).toBeLessThan(500);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(observations.at(-1)?.outcome).toBe('timeout');
    expect(adapter.comparisonReport().timeouts).toBe(1);
  });

  it('never throws the shadow’s error into the caller', async () => {
    const { repo, target, observations } = context;
    await repo.create(widget(1));
    target.failing.add('findByIds');
    expect((await repo.getById('w0001'))?.id).toBe('w0001');
    await settle();
    expect(observations[0]).toMatchObject({ outcome: 'error', error: 'injected failure in findByIds' });
  });

  it('publishes after the caller has its answer, and a throwing subscriber changes nothing', async () => {
    const { repo, adapter, observations } = context;
    await repo.create(widget(1));
    adapter.events.on('observation', () => {
      throw new Error('subscriber bug');
    });
    const read = await repo.getById('w0001');
    expect(observations).toHaveLength(0);
    expect(read?.id).toBe('w0001');
    await settle();
    expect(observations).toHaveLength(1);
  });

  it('a comparator that mutates its input cannot change what the caller got', async () => {
    const { repo } = context;
    await repo.create(widget(1));
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy: context.legacy,
      target: context.target,
      mapper: widgetMapper,
      strategy: parallel(),
      comparison: {
        comparator: (legacy) => {
          if (legacy) legacy.name = 'mutated by comparator';
          return [];
        },
      },
    });
    const [read] = await adapter.findByIds(['w0001']);
    await settle();
    expect(read!.name).toBe('name 1');
    await adapter.close();
  });

  it('keeps only the latest mismatches, up to the sample size, with their context', async () => {
    const { repo, target, adapter } = context;
    await repo.createMany([widget(1), widget(2), widget(3), widget(4), widget(5)]);
    for (let index = 1; index <= 5; index++) await target.update(`w000${index}`, { score: 99 }, {});
    for (let index = 1; index <= 5; index++) await repo.getById(`w000${index}`);
    await settle();
    const report = adapter.comparisonReport();
    expect(report.mismatched).toBe(5);
    expect(report.sample.map((o) => o.input)).toEqual([['w0003'], ['w0004'], ['w0005']]);
    expect(report.sample[0]).toMatchObject({ phase: 'shadow-read', primary: 'legacy' });
  });

  it('opens the cut-over gate when the window is full and the mismatch rate is under the threshold', async () => {
    const { repo, target, adapter } = context;
    await repo.createMany([widget(1), widget(2)]);
    expect(adapter.gate.status()).toMatchObject({ open: false, samples: 0 });
    await target.update('w0002', { score: 99 }, {});
    await repo.getById('w0002');
    for (let index = 0; index < 4; index++) await repo.getById('w0001');
    await settle();
    expect(adapter.gate.status()).toMatchObject({ open: true, samples: 5, mismatchRate: 0.2 });
    await repo.getById('w0002');
    await settle();
    expect(adapter.gate.status()).toMatchObject({ open: true, mismatchRate: 0.2 });
    await repo.getById('w0002');
    await settle();
    const closed = adapter.gate.status();
    expect(closed).toMatchObject({ open: false, mismatchRate: 0.4 });
    expect(closed.reason).toMatch(/mismatch rate 40\.000%/);
  });
});

describe('shadow reads with new as the primary side', () => {
  it('returns new’s value and still reports diffs as legacy → new', async () => {
    const legacyStore = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
    const target = new MemoryBackend<Widget, string>(Widget);
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy: legacyStore,
      target,
      mapper: widgetMapper,
      strategy: parallel({ primary: 'new' }),
    });
    const observations: ShadowObservation[] = [];
    adapter.events.on('observation', (observation) => observations.push(observation));
    const repo = new BaseRepository({ entity: Widget, backend: adapter, batchReads: false });
    await repo.create(widget(1));
    await target.update('w0001', { name: 'new only' }, {});
    expect((await repo.getById('w0001'))?.name).toBe('new only');
    await settle();
    expect(observations[0]).toMatchObject({ primary: 'new', outcome: 'mismatched' });
    expect(observations[0]!.diffs).toContainEqual({
      path: '[w0001].name',
      legacy: 'name 1',
      new: 'new only',
    });
    await adapter.close();
  });
});
