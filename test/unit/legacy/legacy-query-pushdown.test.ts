import { describe, expect, it } from 'vitest';
import { LegacyAdapter, renameFields } from '../../../src/backends/legacy/index.js';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import type { Condition } from '../../../src/repository/query.js';
import { Widget } from '../../../src/testing/index.js';
import {
  FaultyBackend,
  type LegacyWidget,
  LegacyWidgetEntity,
  legacyWidget,
  widgetMapper,
} from '../../support/legacy-widgets.js';

const translate = renameFields({ id: 'W_ID', name: 'W_NAME' });
const field = (name: string, op: 'eq' | 'gt', value: unknown): Condition => ({
  kind: 'field',
  field: name,
  op,
  value,
});

describe('renameFields', () => {
  it('renames known fields, drops unknown ones from an and, and gives up on an or with one', () => {
    expect(translate(field('name', 'eq', 'x'))).toEqual(field('W_NAME', 'eq', 'x'));
    expect(translate(field('age', 'gt', 3))).toBeUndefined();
    expect(translate({ kind: 'and', conditions: [field('name', 'eq', 'x'), field('age', 'gt', 3)] })).toEqual(
      {
        kind: 'and',
        conditions: [field('W_NAME', 'eq', 'x')],
      },
    );
    expect(
      translate({ kind: 'or', conditions: [field('name', 'eq', 'x'), field('age', 'gt', 3)] }),
    ).toBeUndefined();
  });
});

describe('legacy queries narrowed by the legacy store', () => {
  async function setup() {
    const legacyStore = new MemoryBackend<LegacyWidget, string>(LegacyWidgetEntity);
    await legacyStore.insertMany(Array.from({ length: 30 }, (_, index) => legacyWidget(index)));
    const legacy = new FaultyBackend(legacyStore);
    const adapter = new LegacyAdapter({
      entity: Widget,
      legacy,
      target: new MemoryBackend<Widget, string>(Widget),
      mapper: { ...widgetMapper, toLegacyCondition: translate },
    });
    return { legacy, repo: new BaseRepository({ entity: Widget, backend: adapter }) };
  }

  it('sends a translatable filter to the legacy store and still applies the whole filter', async () => {
    const { legacy, repo } = await setup();
    const rows = await repo.list({
      where: { name: { in: ['name 3', 'name 4', 'name 5'] }, age: { gt: 23 } },
    });
    expect(rows.map((row) => row.id)).toEqual(['w0004', 'w0005']);
    // The age condition cannot be translated (a number on one side, text on the other): it is left to the adapter.
    expect(legacy.queries.at(-1)!.where).toEqual({
      kind: 'and',
      conditions: [{ kind: 'field', field: 'W_NAME', op: 'in', value: ['name 3', 'name 4', 'name 5'] }],
    });
    expect(await repo.count({ id: 'w0007' })).toBe(1);
    expect(legacy.queries.at(-1)!.where).toEqual({ kind: 'field', field: 'W_ID', op: 'eq', value: 'w0007' });
  });

  it('scans the whole legacy side when the filter cannot be translated, with the same answer', async () => {
    const { legacy, repo } = await setup();
    const rows = await repo.list({
      where: { or: [{ name: 'name 3' }, { age: 25 }] },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((row) => row.id)).toEqual(['w0003', 'w0005']);
    expect(legacy.queries.at(-1)!.where).toBeUndefined();
  });
});
