import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { Widget } from '../../../src/testing/index.js';

const widget = (id: string, email = `${id}@example.com`) => ({
  id,
  email,
  name: id,
  age: null,
  score: 1,
  active: true,
});

function setup() {
  const backend = new MemoryBackend(Widget, { unique: [['email']] });
  return { backend, widgets: new BaseRepository({ entity: Widget, backend }) };
}

describe('memory backend transactions', () => {
  it('a rollback undoes every create, update and delete made inside, and only those', async () => {
    const { backend, widgets } = setup();
    await widgets.createMany([widget('kept'), widget('changed'), widget('deleted')]);
    // A write from another async context, made while the transaction is open: not the
    // transaction's, so its rollback leaves it alone.
    let letOutsideWrite = () => {};
    const outsideWrite = new Promise<void>((resolve) => {
      letOutsideWrite = resolve;
    }).then(() => backend.insertMany([{ ...widget('outside'), createdAt: new Date(), version: 1 }]));
    await expect(
      widgets.transaction(async () => {
        await widgets.create(widget('created'));
        await widgets.update('changed', { name: 'inside' });
        await widgets.delete('deleted');
        letOutsideWrite();
        await outsideWrite;
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const ids = (await widgets.list({ orderBy: { id: 'asc' } })).map((w) => w.id);
    expect(ids).toEqual(['changed', 'deleted', 'kept', 'outside']);
    expect((await widgets.getById('changed'))?.name).toBe('changed');
  });

  it('a batch that clashes halfway adds nothing, against stored rows or within itself', async () => {
    const { backend, widgets } = setup();
    await widgets.create(widget('a'));
    await expect(widgets.createMany([widget('b'), widget('c', 'a@example.com')])).rejects.toMatchObject({
      code: 'E_DUPLICATE',
    });
    await expect(widgets.createMany([widget('d'), widget('d', 'other@example.com')])).rejects.toMatchObject({
      code: 'E_DUPLICATE',
    });
    expect(backend.size).toBe(1);
  });

  it('unique values follow every change: freed by a delete, an update or a rollback, taken by an update', async () => {
    const { widgets } = setup();
    await widgets.create(widget('a'));
    await widgets.create(widget('b'));
    await expect(widgets.update('b', { email: 'a@example.com' })).rejects.toMatchObject({
      code: 'E_DUPLICATE',
    });
    await widgets.update('a', { email: 'moved@example.com' });
    await widgets.update('b', { email: 'a@example.com' }); // freed by the update of a
    await expect(widgets.create(widget('c', 'moved@example.com'))).rejects.toMatchObject({
      code: 'E_DUPLICATE',
    });
    await widgets.delete('a');
    await widgets.create(widget('c', 'moved@example.com')); // freed by the delete
    await expect(
      widgets.transaction(async () => {
        await widgets.update('c', { email: 'tx@example.com' });
        await widgets.create(widget('d', 'moved@example.com'));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    // The rollback gave moved@ back to c and freed tx@.
    await expect(widgets.create(widget('e', 'moved@example.com'))).rejects.toMatchObject({
      code: 'E_DUPLICATE',
    });
    await widgets.create(widget('e', 'tx@example.com'));
  });
});
