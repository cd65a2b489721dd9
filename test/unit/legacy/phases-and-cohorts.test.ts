import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  hashPercentageCohort,
  idBucket,
  idRangeCohort,
  LegacyAdapter,
  MigrationStateMachine,
  parallel,
  phaseBehaviour,
  phased,
  tenantCohort,
} from '../../../src/backends/legacy/index.js';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { withContext } from '../../../src/context/request-context.js';
import { ValidationError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { defineEntity, type EntityType } from '../../../src/repository/entity.js';
import { Widget, widget } from '../../../src/testing/index.js';
import { type LegacyWidget, LegacyWidgetEntity, widgetMapper } from '../../support/legacy-widgets.js';

describe('MigrationStateMachine', () => {
  it('moves one step at a time both ways and records every move', () => {
    const machine = new MigrationStateMachine();
    const seen: string[] = [];
    machine.events.on('transition', ({ from, to }) => seen.push(`${from}>${to}`));
    expect(machine.advance('start')).toBe('dual-write');
    expect(machine.moveTo('new-primary')).toBe('new-primary');
    expect(machine.retreat('mismatches')).toBe('shadow-read');
    expect(seen).toEqual([
      'legacy-only>dual-write',
      'dual-write>shadow-read',
      'shadow-read>new-primary',
      'new-primary>shadow-read',
    ]);
    expect(machine.history.at(-1)).toMatchObject({ reason: 'mismatches' });
  });

  it('refuses to step past either end, an unknown phase, and what the guard refuses', () => {
    expect(() => new MigrationStateMachine().retreat()).toThrow(ValidationError);
    expect(() => new MigrationStateMachine({ initial: 'new-only' }).advance()).toThrow(/no step forward/);
    expect(() => new MigrationStateMachine({ initial: 'sideways' as never })).toThrow(
      /Unknown migration phase/,
    );
    const guarded = new MigrationStateMachine({
      initial: 'dual-write',
      guard: (_from, to) => (to === 'new-primary' ? 'backfill not reconciled' : undefined),
    });
    expect(() => guarded.moveTo('new-only')).toThrow(
      /cannot move from shadow-read to new-primary: backfill not reconciled/,
    );
    expect(guarded.phase).toBe('shadow-read');
  });

  it('keeps legacy written in every phase but new-only (what makes each step reversible)', () => {
    const written = (['legacy-only', 'dual-write', 'shadow-read', 'new-primary', 'new-only'] as const).map(
      (phase) => {
        const behaviour = phaseBehaviour(phase);
        return [behaviour.writePrimary, behaviour.writeSecondary].includes('legacy');
      },
    );
    expect(written).toEqual([true, true, true, true, false]);
  });
});

describe('cohorts', () => {
  it('hash percentage is sticky, roughly the share asked, and only grows when widened', () => {
    const ids = Array.from({ length: 20_000 }, (_, index) => `id-${index}`);
    const ten = hashPercentageCohort<Widget, string>({ percent: 10 });
    const thirty = hashPercentageCohort<Widget, string>({ percent: 30 });
    const inTen = ids.filter((id) => ten.containsId(id));
    expect(inTen.length / ids.length).toBeGreaterThan(0.09);
    expect(inTen.length / ids.length).toBeLessThan(0.11);
    expect(inTen.every((id) => thirty.containsId(id))).toBe(true);
    expect(ids.filter((id) => ten.containsId(id))).toEqual(inTen);
    expect(idBucket('id-1', 'a')).not.toBe(idBucket('id-1', 'b'));
    expect(() => hashPercentageCohort({ percent: 101 })).toThrow(ValidationError);
  });

  it('id range is [from, to) and pushes down as conditions', () => {
    const cohort = idRangeCohort<Widget, string>({ idField: 'id', from: 'w0010', to: 'w0020' });
    expect(['w0009', 'w0010', 'w0019', 'w0020'].map((id) => cohort.containsId(id))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(cohort.conditions?.outside).toEqual({
      kind: 'or',
      conditions: [
        { kind: 'field', field: 'id', op: 'lt', value: 'w0010' },
        { kind: 'field', field: 'id', op: 'gte', value: 'w0020' },
      ],
    });
    expect(() => idRangeCohort({ idField: 'id' })).toThrow(ValidationError);
  });

  it('tenant takes the tenant from the id, else from the request context', () => {
    const byId = tenantCohort<{ tenant: string }, string>({
      field: 'tenant',
      tenants: ['acme'],
      tenantOfId: (id) => id.split(':')[0],
    });
    expect([byId.containsId('acme:1'), byId.containsId('globex:1')]).toEqual([true, false]);
    expect(byId.containsEntity({ tenant: 'acme' })).toBe(true);
    const byContext = tenantCohort<{ tenant: string }, string>({ field: 'tenant', tenants: ['acme'] });
    expect(byContext.containsId('1')).toBe(false);
    expect(withContext({ attributes: { tenant: 'acme' } }, () => byContext.containsId('1'))).toBe(true);
  });
});

describe('phased routing through the adapter', () => {
  const adapters: LegacyAdapter<LegacyWidget, Widget, string, string>[] = [];
  afterEach(async () => {
    for (const adapter of adapters.splice(0)) await adapter.close();
  });

  function setup() {
    const legacyStore = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
    const targetStore = new MemoryBackend<Widget, string>(Widget);
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy: legacyStore,
      target: targetStore,
      mapper: widgetMapper,
      strategy: phased({
        cohort: idRangeCohort({ idField: 'id', to: 'w0005' }),
        initialPhase: 'new-only',
        outsidePhase: 'legacy-only',
      }),
    });
    adapters.push(adapter);
    return {
      adapter,
      legacyStore,
      targetStore,
      repo: new BaseRepository({ entity: Widget, backend: adapter }),
    };
  }

  it('writes each id to its cohort’s side and reads a query across both', async () => {
    const { repo, legacyStore, targetStore, adapter } = setup();
    await repo.createMany(Array.from({ length: 10 }, (_, index) => widget(index)));
    expect(targetStore.size).toBe(5);
    expect(legacyStore.size).toBe(5);
    expect(adapter.phaseOf('w0004')).toBe('new-only');
    expect(adapter.phaseOf('w0005')).toBe('legacy-only');
    const rows = await repo.list({ orderBy: { score: 'desc' }, limit: 4, offset: 3 });
    expect(rows.map((row) => row.id)).toEqual(['w0006', 'w0005', 'w0004', 'w0003']);
    expect(await repo.count({ score: { gte: 3 } })).toBe(7);
  });

  it('widening the cohort moves ids without a restart', async () => {
    const { adapter } = setup();
    expect(adapter.phaseOf('w0007')).toBe('legacy-only');
    adapter.setCohort(idRangeCohort({ idField: 'id', to: 'w0010' }));
    expect(adapter.phaseOf('w0007')).toBe('new-only');
  });
});

describe('the cut-over gate as a guard', () => {
  it('refuses shadow-read → new-primary until the gate is open, when asked to', async () => {
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy: new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity),
      target: new MemoryBackend<Widget, string>(Widget),
      mapper: widgetMapper,
      strategy: parallel(),
      requireGate: true,
      gate: { window: 3, maxMismatchRate: 0.5 },
    });
    const repo = new BaseRepository({ entity: Widget, backend: adapter, batchReads: false });
    await repo.create(widget(1));
    expect(() => adapter.machine.advance()).toThrow(/only 0 of 3 reads compared yet/);
    for (let index = 0; index < 3; index++) await repo.getById('w0001');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(adapter.machine.advance('gate open')).toBe('new-primary');
    await adapter.close();
  });
});

describe('tenant cohort through the adapter', () => {
  it('routes writes by the request context’s tenant and lists both tenants, each from its side', async () => {
    const Account = defineEntity({
      name: 'account',
      schema: z.object({ id: z.string(), tenant: z.string(), name: z.string() }),
      id: 'id',
    });
    type Account = EntityType<typeof Account>;
    const legacy = new MemoryBackend<Account, string>(Account);
    const target = new MemoryBackend<Account, string>(Account);
    const identity = {
      legacyIdField: 'id' as const,
      toEntity: (record: Account) => record,
      toLegacy: (entity: Account) => entity,
      toLegacyId: (id: string) => id,
      toEntityId: (id: string) => id,
    };
    const adapter = new LegacyAdapter({
      entity: Account,
      legacy,
      target,
      mapper: identity,
      strategy: phased({
        cohort: tenantCohort({ field: 'tenant', tenants: ['acme'] }),
        initialPhase: 'new-only',
        outsidePhase: 'legacy-only',
      }),
    });
    const repo = new BaseRepository({ entity: Account, backend: adapter, batchReads: false });
    await withContext({ attributes: { tenant: 'acme' } }, () =>
      repo.create({ id: 'a1', tenant: 'acme', name: 'Acme 1' }),
    );
    await withContext({ attributes: { tenant: 'globex' } }, () =>
      repo.create({ id: 'g1', tenant: 'globex', name: 'Globex 1' }),
    );
    expect([target.size, legacy.size]).toEqual([1, 1]);
    expect((await repo.list({ orderBy: { id: 'asc' } })).map((row) => row.id)).toEqual(['a1', 'g1']);
    expect(await repo.count({ name: { like: '%1' } })).toBe(2);
    expect(await withContext({ attributes: { tenant: 'acme' } }, () => repo.getById('a1'))).toMatchObject({
      name: 'Acme 1',
    });
    await adapter.close();
  });
});
