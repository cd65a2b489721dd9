import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/backends/memory/memory-backend.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { Widget, type WidgetInput } from '../../../src/testing/conformance.js';

describe('update regressions found by the property tests', () => {
  // fast-check seed 234832939: update(id, { name: undefined }) stored a widget without its required name.
  it('a patch field that is explicitly undefined leaves the field as it was', async () => {
    const repo = new BaseRepository<Widget, string, WidgetInput>({
      entity: Widget,
      backend: new MemoryBackend(Widget),
    });
    await repo.create({ id: 'w1', email: 'w1@example.com', name: 'Ada', age: 3, score: 1, active: true });
    const updated = await repo.update('w1', { name: undefined, age: undefined, score: 2 });
    expect(updated).toMatchObject({ name: 'Ada', age: 3, score: 2, version: 2 });
    expect(await repo.getById('w1')).toMatchObject({ name: 'Ada', age: 3, score: 2 });
    expect(Widget.schema.safeParse(await repo.getById('w1')).success).toBe(true);
  });
});
