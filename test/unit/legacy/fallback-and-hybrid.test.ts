import { afterEach, describe, expect, it } from 'vitest';
import { hybrid, LegacyAdapter, type MigrationStrategy } from '../../../src/backends/legacy/index.js';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { ValidationError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { Widget, widget } from '../../../src/testing/index.js';
import {
  FaultyBackend,
  type LegacyWidget,
  LegacyWidgetEntity,
  legacyWidget,
  widgetMapper,
} from '../../support/legacy-widgets.js';

const adapters: LegacyAdapter<LegacyWidget, Widget, string, string>[] = [];
afterEach(async () => {
  for (const adapter of adapters.splice(0)) await adapter.close();
});

function setup(strategy: MigrationStrategy<Widget, string>, now?: () => number) {
  const legacyStore = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
  const targetStore = new MemoryBackend<Widget, string>(Widget, { unique: [['email']] });
  const target = new FaultyBackend(targetStore);
  const adapter = new LegacyAdapter({
    entity: Widget,
    legacy: legacyStore,
    target,
    mapper: widgetMapper,
    strategy,
    breaker: { failureThreshold: 2, resetAfterMs: 1000, ...(now ? { now } : {}) },
  });
  adapters.push(adapter);
  const repo = new BaseRepository({ entity: Widget, backend: adapter, batchReads: false });
  return { adapter, repo, legacyStore, targetStore, target };
}

describe('new-primary with legacy fallback', () => {
  it('serves reads from legacy when new fails, and counts them', async () => {
    const { repo, target, adapter } = setup({ name: 'np', initialPhase: 'new-primary' });
    await repo.createMany([widget(1), widget(2)]);
    const fallbacks: string[] = [];
    adapter.events.on('fallback', ({ operation }) => fallbacks.push(operation));
    target.failing.add('*');
    expect((await repo.getById('w0001'))?.name).toBe('name 1');
    expect((await repo.list({ orderBy: { id: 'asc' } })).map((row) => row.id)).toEqual(['w0001', 'w0002']);
    expect(fallbacks).toEqual(['findByIds', 'find']);
    expect(await adapter.metrics()).toMatchObject({ fallbacks: 2, breakerOpenFallbacks: 0, breaker: 'open' });
  });

  it('with the breaker open, does not call new at all; a trial call after the reset closes it', async () => {
    let clock = 0;
    const { repo, target, adapter } = setup({ name: 'np', initialPhase: 'new-primary' }, () => clock);
    await repo.create(widget(1));
    target.failing.add('*');
    await repo.getById('w0001');
    await repo.getById('w0001');
    const callsWhenOpened = target.calls.findByIds;
    expect((await repo.getById('w0001'))?.id).toBe('w0001');
    expect(await repo.count()).toBe(1);
    expect(target.calls.findByIds).toBe(callsWhenOpened);
    expect(await adapter.metrics()).toMatchObject({ fallbacks: 4, breakerOpenFallbacks: 2, breaker: 'open' });
    target.failing.clear();
    clock = 1000;
    expect((await repo.getById('w0001'))?.id).toBe('w0001');
    expect(target.calls.findByIds).toBe(callsWhenOpened! + 1);
    expect(await adapter.metrics()).toMatchObject({ breaker: 'closed', reads: { new: 1, legacy: 4 } });
  });

  it('writes do not fall back: a failing new side fails the write and legacy is untouched', async () => {
    const { repo, target, legacyStore } = setup({ name: 'np', initialPhase: 'new-primary' });
    target.failing.add('insertMany');
    await expect(repo.create(widget(1))).rejects.toThrow('injected failure');
    expect(legacyStore.size).toBe(0);
  });
});

describe('hybrid: lazy migration', () => {
  it('reads a miss from legacy and copies it to new, once', async () => {
    const { repo, legacyStore, targetStore, adapter } = setup(hybrid());
    await legacyStore.insertMany([legacyWidget(1), legacyWidget(2)]);
    const read = await repo.getById('w0001');
    expect(read).toMatchObject({ id: 'w0001', email: 'w0001@example.com', age: 21, active: true });
    expect((await targetStore.findByIds(['w0001']))[0]).toEqual(read);
    await repo.getById('w0001');
    expect(await adapter.metrics()).toMatchObject({ lazyMigrations: 1 });
    expect(targetStore.size).toBe(1);
  });

  it('lists the union: new’s copy wins, legacy-only records are included, none twice', async () => {
    const { repo, legacyStore } = setup(hybrid());
    await legacyStore.insertMany([legacyWidget(1), legacyWidget(2), legacyWidget(3)]);
    await repo.update('w0002', { name: 'migrated and renamed' });
    const rows = await repo.list({ orderBy: { id: 'asc' } });
    expect(rows.map((row) => [row.id, row.name])).toEqual([
      ['w0001', 'name 1'],
      ['w0002', 'migrated and renamed'],
      ['w0003', 'name 3'],
    ]);
    expect(await repo.count()).toBe(3);
    expect(await repo.count({ name: 'name 2' })).toBe(0);
    const page = await repo.list({ orderBy: { id: 'asc' }, limit: 2, offset: 1 });
    expect(page.map((row) => row.id)).toEqual(['w0002', 'w0003']);
  });

  it('updates and deletes a record that was only on legacy (migrating it first), and legacy follows', async () => {
    const { repo, legacyStore, targetStore } = setup(hybrid());
    await legacyStore.insertMany([legacyWidget(1), legacyWidget(2)]);
    const updated = await repo.update('w0001', { name: 'new name' }, { expectedVersion: 1 });
    expect(updated).toMatchObject({ name: 'new name', version: 2 });
    expect((await legacyStore.findByIds(['w0001']))[0]).toMatchObject({ W_NAME: 'new name', REV: 2 });
    expect(await repo.delete('w0002')).toBe(true);
    expect(await legacyStore.findByIds(['w0002'])).toEqual([]);
    expect(await targetStore.findByIds(['w0002'])).toEqual([]);
  });

  it('a record that does not convert goes to the dead-letter store with the reason and is never half-migrated', async () => {
    const { repo, legacyStore, targetStore, adapter } = setup(hybrid());
    await legacyStore.insertMany([
      legacyWidget(1, { E_MAIL: 'not an email' }),
      legacyWidget(2, { SCORE_TXT: 'n/a' }),
      legacyWidget(3),
    ]);
    const found = await repo.getByIds(['w0001', 'w0002', 'w0003']);
    expect(found.map((row) => row?.id ?? null)).toEqual([null, null, 'w0003']);
    expect(targetStore.size).toBe(1);
    const letters = await adapter.deadLetters.list();
    expect(
      letters.map((letter) => [letter.legacyId, letter.source, letter.issues.map((i) => i.path)]),
    ).toEqual([
      ['w0001', 'lazy-migration', ['email']],
      ['w0002', 'lazy-migration', ['score']],
    ]);
    expect(letters[0]!.reason).toMatch(/Invalid widget entity/);
    expect(letters[0]!.record).toMatchObject({ E_MAIL: 'not an email' });
    expect(await adapter.metrics()).toMatchObject({ deadLetters: 2, lazyMigrations: 1 });
  });

  it("with onInvalidRecord 'throw', a read of an unconvertible record fails with a ValidationError", async () => {
    const legacyStore = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
    await legacyStore.insertMany([legacyWidget(1, { IS_ACTIVE: 'Y', CREATED_TS: 'yesterday' })]);
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy: legacyStore,
      target: new MemoryBackend<Widget, string>(Widget),
      mapper: widgetMapper,
      legacyStore: { onInvalidRecord: 'throw' },
    });
    adapters.push(adapter);
    const error = await adapter.findByIds(['w0001']).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/Legacy widget w0001 does not convert/);
  });
});

describe('dead letters', () => {
  it('puts an unconvertible record once, however often it is read', async () => {
    const legacyStore = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
    await legacyStore.insertMany([legacyWidget(1, { SCORE_TXT: 'n/a' })]);
    const puts: unknown[] = [];
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy: legacyStore,
      target: new MemoryBackend<Widget, string>(Widget),
      mapper: widgetMapper,
      deadLetters: { put: async (letter) => void puts.push(letter.legacyId), list: async () => [] },
    });
    adapters.push(adapter);
    for (let read = 0; read < 3; read++) expect(await adapter.findByIds(['w0001'])).toEqual([]);
    expect(await adapter.count(undefined)).toBe(0);
    expect(puts).toEqual(['w0001']);
    expect(await adapter.metrics()).toMatchObject({ deadLetters: 1 });
  });
});
