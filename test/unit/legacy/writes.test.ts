import { afterEach, describe, expect, it } from 'vitest';
import {
  LegacyAdapter,
  MemoryOutboxStore,
  type MigrationPhase,
  outboxKey,
  type SecondaryWriteOptions,
} from '../../../src/backends/legacy/index.js';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { DuplicateError, UnavailableError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { Widget, widget } from '../../../src/testing/index.js';
import {
  FaultyBackend,
  type LegacyWidget,
  LegacyWidgetEntity,
  widgetMapper,
} from '../../support/legacy-widgets.js';

const adapters: LegacyAdapter<LegacyWidget, Widget, string, string>[] = [];
afterEach(async () => {
  for (const adapter of adapters.splice(0)) await adapter.close();
});

function setup(
  phase: MigrationPhase,
  secondaryWrites: SecondaryWriteOptions = {},
  primary?: 'legacy' | 'new',
) {
  const legacyStore = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity, { unique: [['E_MAIL']] });
  const targetStore = new MemoryBackend<Widget, string>(Widget, { unique: [['email']] });
  const legacy = new FaultyBackend(legacyStore);
  const target = new FaultyBackend(targetStore);
  const adapter = new LegacyAdapter({
    entity: Widget,
    legacy,
    target,
    mapper: widgetMapper,
    strategy: { name: 'test', initialPhase: phase, ...(primary ? { primary } : {}) },
    secondaryWrites: { retryIntervalMs: 0, backoffMs: 0, ...secondaryWrites },
  });
  adapters.push(adapter);
  const repo = new BaseRepository({ entity: Widget, backend: adapter, batchReads: false });
  return { adapter, repo, legacy, target, legacyStore, targetStore };
}

describe('writes by phase', () => {
  it('legacy-only writes legacy alone; new-only writes new alone', async () => {
    const onlyLegacy = setup('legacy-only');
    await onlyLegacy.repo.create(widget(1));
    expect(onlyLegacy.legacyStore.size).toBe(1);
    expect(onlyLegacy.targetStore.size).toBe(0);
    const onlyNew = setup('new-only');
    await onlyNew.repo.create(widget(1));
    expect(onlyNew.legacyStore.size).toBe(0);
    expect(onlyNew.targetStore.size).toBe(1);
  });

  it('dual-write keeps both sides equal through create, update, upsert and delete, in the legacy format on legacy', async () => {
    const { repo, legacyStore, targetStore } = setup('dual-write');
    await repo.createMany([widget(1), widget(2)]);
    await repo.update('w0001', { name: 'renamed', age: null });
    await repo.upsert({ ...widget(2), score: 7.5 });
    await repo.delete('w0002');
    const [legacyRow] = await legacyStore.findByIds(['w0001']);
    expect(legacyRow).toMatchObject({
      W_ID: 'w0001',
      W_NAME: 'renamed',
      AGE_YRS: '',
      E_MAIL: 'W0001@EXAMPLE.COM',
      REV: 2,
    });
    const [newRow] = await targetStore.findByIds(['w0001']);
    expect(newRow).toMatchObject({ id: 'w0001', name: 'renamed', age: null, version: 2 });
    expect(legacyStore.size).toBe(1);
    expect(targetStore.size).toBe(1);
  });

  it('with new primary, new decides (its unique clash wins) and legacy follows', async () => {
    const { repo, legacyStore, target } = setup('new-primary');
    await repo.create(widget(1));
    await expect(repo.create({ ...widget(2), email: 'w0001@example.com' })).rejects.toBeInstanceOf(
      DuplicateError,
    );
    expect(target.calls.insertMany).toBe(2);
    expect(legacyStore.size).toBe(1);
  });

  it("policy 'fail': a failed secondary write fails the call and rolls the primary write back", async () => {
    const { repo, target, legacyStore, targetStore } = setup('dual-write', { policy: 'fail' });
    await repo.create(widget(1));
    target.failing.add('upsert');
    const error = await repo.update('w0001', { name: 'lost' }).catch((e) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.message).toMatch(/new side rejected the write of widget w0001/);
    const [legacyRow] = await legacyStore.findByIds(['w0001']);
    expect(legacyRow).toMatchObject({ W_NAME: 'name 1', REV: 1 });
    expect((await targetStore.findByIds(['w0001']))[0]).toMatchObject({ name: 'name 1', version: 1 });
    target.failing.clear();
    await expect(repo.create(widget(2))).resolves.toMatchObject({ id: 'w0002' });
  });

  it("policy 'outbox': the caller succeeds, the id is queued, and a retry brings the secondary up to date", async () => {
    const { repo, adapter, target, targetStore } = setup('dual-write', { policy: 'outbox' });
    const queued: unknown[] = [];
    adapter.events.on('queued', ({ id }) => queued.push(id));
    await repo.create(widget(1));
    target.failing.add('findByIds');
    await repo.update('w0001', { name: 'first' });
    await repo.update('w0001', { name: 'second' });
    expect(queued).toEqual(['w0001', 'w0001']);
    expect(await adapter.metrics()).toMatchObject({ outboxPending: 1, secondaryFailures: 2 });
    expect(await adapter.drainOutbox()).toEqual({ delivered: 0, failed: 1 });
    target.failing.clear();
    expect(await adapter.drainOutbox()).toEqual({ delivered: 1, failed: 0 });
    expect((await targetStore.findByIds(['w0001']))[0]).toMatchObject({ name: 'second', version: 3 });
    expect(await adapter.metrics()).toMatchObject({ outboxPending: 0, outboxDelivered: 1 });
  });

  it('the outbox retries on its own timer', async () => {
    const { repo, target, targetStore } = setup('dual-write', { policy: 'outbox', retryIntervalMs: 20 });
    target.failing.add('insertMany');
    target.failing.add('findByIds');
    await repo.create(widget(1));
    expect(targetStore.size).toBe(0);
    target.failing.clear();
    await expect.poll(() => targetStore.size, { timeout: 2000 }).toBe(1);
  });

  it('a queued delete is delivered as a delete', async () => {
    const { repo, adapter, target, targetStore } = setup('dual-write', { policy: 'outbox' });
    await repo.create(widget(1));
    target.failing.add('delete');
    expect(await repo.delete('w0001')).toBe(true);
    expect(targetStore.size).toBe(1);
    target.failing.clear();
    await adapter.drainOutbox();
    expect(targetStore.size).toBe(0);
  });

  it('secondary writes are idempotent by id: a replayed outbox entry writes nothing', async () => {
    const outbox = new MemoryOutboxStore();
    const { repo, adapter, target, targetStore } = setup('dual-write', { policy: 'outbox', outbox });
    await repo.create(widget(1));
    const upserts = target.calls.upsert ?? 0;
    for (const attempt of [1, 2]) {
      await outbox.put({
        key: outboxKey('new', 'w0001'),
        side: 'new',
        id: 'w0001',
        attempts: attempt,
        lastError: 'replayed',
        enqueuedAt: new Date(attempt),
        nextAttemptAt: 0,
      });
      expect(await adapter.drainOutbox()).toEqual({ delivered: 1, failed: 0 });
    }
    expect(target.calls.upsert ?? 0).toBe(upserts);
    expect((await targetStore.findByIds(['w0001']))[0]).toMatchObject({ version: 1 });
  });

  it('a mirror after drift lands the primary’s exact version and createdAt', async () => {
    const { repo, adapter, target, targetStore } = setup('dual-write', { policy: 'outbox' });
    await repo.create(widget(1));
    await targetStore.update('w0001', { name: 'drifted' }, {});
    await targetStore.update('w0001', { name: 'drifted again' }, {});
    target.failing.add('findByIds');
    await repo.update('w0001', { name: 'fixed' });
    target.failing.clear();
    await adapter.drainOutbox();
    const [mirrored] = await targetStore.findByIds(['w0001']);
    expect(mirrored).toMatchObject({ name: 'fixed', version: 2 });
  });

  it('a batch of creates across two phases is written atomically', async () => {
    const { repo, legacyStore, targetStore } = setup('dual-write');
    await repo.create(widget(3));
    await expect(repo.createMany([widget(1), widget(2), widget(3)])).rejects.toBeInstanceOf(DuplicateError);
    expect(legacyStore.size).toBe(1);
    expect(targetStore.size).toBe(1);
  });
});

describe('writes inside a caller’s transaction', () => {
  it("policy 'fail': a rolled-back transaction leaves neither side changed", async () => {
    const { repo, legacyStore, targetStore } = setup('dual-write');
    await repo.create(widget(1));
    await expect(
      repo.transaction(async () => {
        await repo.update('w0001', { name: 'inside' });
        await repo.create(widget(2));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(legacyStore.size).toBe(1);
    expect(targetStore.size).toBe(1);
    expect((await legacyStore.findByIds(['w0001']))[0]).toMatchObject({ W_NAME: 'name 1' });
    expect((await targetStore.findByIds(['w0001']))[0]).toMatchObject({ name: 'name 1' });
  });

  it("policy 'outbox': the secondary is written after the commit, and not at all after a rollback", async () => {
    const { repo, legacyStore, targetStore } = setup('dual-write', { policy: 'outbox' });
    let secondaryDuringTransaction = -1;
    await repo.transaction(async () => {
      await repo.create(widget(1));
      secondaryDuringTransaction = targetStore.size;
    });
    expect(secondaryDuringTransaction).toBe(0);
    expect(targetStore.size).toBe(1);
    await expect(
      repo.transaction(async () => {
        await repo.create(widget(2));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(legacyStore.size).toBe(1);
    expect(targetStore.size).toBe(1);
  });
});

describe('whether reads may reach a replica', () => {
  it('the adapter says no only when both of its backends say no', () => {
    const { adapter, legacyStore, targetStore } = setup('dual-write');
    // FaultyBackend leaves mayReadFromReplicas out: taken to say it may.
    expect(adapter.mayReadFromReplicas()).toBe(true);
    const direct = new LegacyAdapter({
      entity: Widget,
      legacy: legacyStore,
      target: targetStore,
      mapper: widgetMapper,
      strategy: { name: 'test', initialPhase: 'dual-write' },
    });
    adapters.push(direct);
    expect(direct.mayReadFromReplicas()).toBe(false);
  });
});
