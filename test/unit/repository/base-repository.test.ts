import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  type AuditEntry,
  BaseRepository,
  type CommittedChange,
  defineEntity,
  type EntityCache,
  type EntityType,
  MemoryBackend,
  primaryReadsRequired,
  ValidationError,
  withContext,
} from '../../../src/index.js';

const Note = defineEntity({
  name: 'note',
  schema: z.object({
    id: z.number().int().positive(),
    title: z.string().min(1),
    body: z.string(),
    version: z.number().int(),
    updatedAt: z.date(),
  }),
  id: 'id',
  generated: ['id'],
  version: 'version',
  timestamps: { updatedAt: 'updatedAt' },
});
type Note = EntityType<typeof Note>;

function setup(options: Partial<ConstructorParameters<typeof BaseRepository<Note, number>>[0]> = {}) {
  const backend = new MemoryBackend(Note);
  const findByIds = vi.spyOn(backend, 'findByIds');
  const repo = new BaseRepository({ entity: Note, backend, ...options });
  return { backend, repo, findByIds };
}

describe('BaseRepository', () => {
  it('generates ids through the backend and maintains updatedAt', async () => {
    const { repo } = setup();
    const first = await repo.create({ title: 'a', body: '' });
    const second = await repo.create({ title: 'b', body: '' });
    expect([first.id, second.id]).toEqual([1, 2]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = await repo.update(first.id, { body: 'x' });
    expect(updated.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
  });

  it('coalesces the getById calls of one tick into one backend read', async () => {
    const { repo, findByIds } = setup();
    await repo.createMany([
      { title: 'a', body: '' },
      { title: 'b', body: '' },
      { title: 'c', body: '' },
    ]);
    findByIds.mockClear();
    const rows = await Promise.all([repo.getById(3), repo.getById(1), repo.getById(3), repo.getById(9)]);
    expect(rows.map((row) => row?.title ?? null)).toEqual(['c', 'a', 'c', null]);
    expect(findByIds).toHaveBeenCalledTimes(1);
    expect(findByIds.mock.calls[0]![0]).toEqual([3, 1, 9]);
  });

  it('does not coalesce when batching is off', async () => {
    const { repo, findByIds } = setup({ batchReads: false });
    await repo.create({ title: 'a', body: '' });
    findByIds.mockClear();
    await Promise.all([repo.getById(1), repo.getById(1)]);
    expect(findByIds).toHaveBeenCalledTimes(2);
  });

  it('runs hooks, and a before hook may replace the input', async () => {
    const calls: string[] = [];
    const { repo } = setup({
      hooks: {
        beforeCreate: (input) => ({ ...input, title: input.title.toUpperCase() }),
        afterCreate: (note) => void calls.push(`created ${note.id}`),
        afterUpdate: (note, previous) => void calls.push(`updated ${previous?.title} -> ${note.title}`),
        afterDelete: (id) => void calls.push(`deleted ${id}`),
      },
    });
    const note = await repo.create({ title: 'shout', body: '' });
    expect(note.title).toBe('SHOUT');
    await repo.update(note.id, { title: 'calm' });
    await repo.delete(note.id);
    expect(calls).toEqual(['created 1', 'updated SHOUT -> calm', 'deleted 1']);
  });

  it('a throwing hook aborts the write and rolls it back', async () => {
    const { repo } = setup({
      hooks: {
        afterCreate: () => {
          throw new Error('refused');
        },
      },
    });
    await expect(repo.create({ title: 'a', body: '' })).rejects.toThrow('refused');
    expect(await repo.count()).toBe(0);
  });

  it('emits events after the write, and a throwing listener does not break it', async () => {
    const { repo } = setup();
    const seen: string[] = [];
    repo.events.on('created', ({ entity }) => {
      seen.push(`created ${entity.id}`);
      throw new Error('listener bug');
    });
    repo.events.on('deleted', ({ id }) => void seen.push(`deleted ${id}`));
    const note = await repo.create({ title: 'a', body: '' });
    await repo.delete(note.id);
    expect(seen).toEqual(['created 1', 'deleted 1']);
  });

  it('emits no event for a rolled-back write', async () => {
    const { repo } = setup();
    const seen: number[] = [];
    repo.events.on('created', ({ entity }) => void seen.push(entity.id));
    await expect(
      repo.transaction(async () => {
        await repo.create({ title: 'a', body: '' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(seen).toEqual([]);
  });

  it('records an audit trail with the actor from the context', async () => {
    const entries: AuditEntry[] = [];
    const { repo } = setup({ audit: { record: async (batch) => void entries.push(...batch) } });
    await withContext({ actor: 'ada' }, async () => {
      const note = await repo.create({ title: 'a', body: '' });
      await repo.update(note.id, { body: 'changed' });
      await repo.delete(note.id);
    });
    expect(entries.map((entry) => [entry.action, entry.actor, entry.entityId])).toEqual([
      ['create', 'ada', '1'],
      ['update', 'ada', '1'],
      ['delete', 'ada', '1'],
    ]);
    expect(entries[1]!.before).toMatchObject({ body: '' });
    expect(entries[1]!.after).toMatchObject({ body: 'changed' });
    expect(entries[2]!.after).toBeNull();
  });

  it('a failing audit sink leaves nothing written', async () => {
    const { repo } = setup({
      audit: {
        record: async () => {
          throw new Error('audit store down');
        },
      },
    });
    await expect(repo.create({ title: 'a', body: '' })).rejects.toThrow('audit store down');
    expect(await repo.count()).toBe(0);
  });

  it('tells the cache about writes only after the transaction commits', async () => {
    const changes: CommittedChange<Note, number>[][] = [];
    const cache: EntityCache<Note, number> = {
      getByIds: async (ids, load) => {
        const loaded = await load(ids);
        return ids.map((id) => loaded.get(id) ?? null);
      },
      getQuery: (_key, load) => load(),
      afterCommit: async (batch) => void changes.push([...batch]),
    };
    const { repo } = setup({ cache });
    await repo.transaction(async () => {
      await repo.create({ title: 'a', body: '' });
      await repo.create({ title: 'b', body: '' });
      expect(changes).toEqual([]);
    });
    expect(changes.map((batch) => batch.map((change) => change.id))).toEqual([[1], [2]]);
    await expect(
      repo.transaction(async () => {
        await repo.update(1, { body: 'never' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(changes).toHaveLength(2);
  });

  it('answers a fresh cached hit synchronously, without batching or the backend, but never inside a transaction', async () => {
    const held = new Map<number, Note | null>();
    let slowReads = 0;
    const cache: EntityCache<Note, number> = {
      freshNow: (id) => held.get(id),
      getByIds: async (ids, load) => {
        slowReads++;
        const values = await load(ids);
        return ids.map((id) => values.get(id) ?? null);
      },
      getQuery: (_key, load) => load(),
      afterCommit: async () => {},
    };
    const { repo, findByIds } = setup({ cache });
    const note = await repo.create({ title: 'a', body: '' });
    held.set(note.id, { ...note, title: 'from cache' });
    held.set(99, null);
    findByIds.mockClear();
    expect((await repo.getById(note.id))?.title).toBe('from cache');
    expect(await repo.getById(99)).toBeNull();
    expect(slowReads).toBe(0);
    expect(findByIds).not.toHaveBeenCalled();
    await repo.transaction(async () => {
      expect((await repo.getById(note.id))?.title).toBe('a');
    });
    expect(findByIds).toHaveBeenCalledTimes(1);
  });

  it('rejects expectedVersion that is not a whole number', async () => {
    const { repo } = setup();
    const note = await repo.create({ title: 'a', body: '' });
    await expect(repo.update(note.id, { body: 'x' }, { expectedVersion: 1.5 })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('rejects filters nested too deep and oversized in-lists', async () => {
    const { repo } = setup({ limits: { maxDepth: 3, maxInList: 5 } });
    let filter: Record<string, unknown> = { title: 'x' };
    for (let depth = 0; depth < 6; depth++) filter = { and: [filter] };
    await expect(repo.list({ where: filter as never })).rejects.toBeInstanceOf(ValidationError);
    await expect(repo.list({ where: { id: { in: [1, 2, 3, 4, 5, 6] } } })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('names every problem of a bad filter at once', async () => {
    const { repo } = setup();
    const error = (await repo
      .list({ where: { nope: 1, title: 5, id: { gt: 'x' } } as never })
      .catch((e) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.paths).toEqual(['where.nope', 'where.title', 'where.id.gt']);
    expect(error.message).toContain('unknown field "nope"');
  });

  it('warm() loads ids through the cache and reports progress', async () => {
    const loaded: number[] = [];
    const cache: EntityCache<Note, number> = {
      getByIds: async (ids, load) => {
        loaded.push(...ids);
        const values = await load(ids);
        return ids.map((id) => values.get(id) ?? null);
      },
      getQuery: (_key, load) => load(),
      afterCommit: async () => {},
    };
    const { repo } = setup({ cache });
    await repo.createMany(Array.from({ length: 5 }, (_, index) => ({ title: `n${index}`, body: '' })));
    const progress: number[] = [];
    await repo.warm([1, 2, 3, 4, 5], ({ done }) => progress.push(done), 2);
    expect(loaded).toEqual([1, 2, 3, 4, 5]);
    expect(progress).toEqual([2, 4, 5]);
  });

  describe('loads for the cache', () => {
    const passThrough: EntityCache<Note, number> = {
      getByIds: async (ids, load) => {
        const values = await load(ids);
        return ids.map((id) => values.get(id) ?? null);
      },
      getQuery: (_key, load) => load(),
      afterCommit: async () => {},
    };

    /** A memory backend that says what `mayReadFromReplicas` says, and records whether each read was asked to use the primary. */
    function recordingBackend(mayReadFromReplicas: boolean | undefined) {
      const backend = new MemoryBackend(Note);
      const asked: Record<string, boolean[]> = { findByIds: [], find: [], count: [] };
      for (const method of ['findByIds', 'find', 'count'] as const) {
        const original = backend[method].bind(backend) as (...args: unknown[]) => Promise<unknown>;
        (backend as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          asked[method]!.push(primaryReadsRequired());
          return original(...args);
        };
      }
      (backend as unknown as Record<string, unknown>).mayReadFromReplicas =
        mayReadFromReplicas === undefined ? undefined : () => mayReadFromReplicas;
      return { backend, asked };
    }

    async function readEverything(repo: Pick<BaseRepository<Note, number>, 'getById' | 'list' | 'count'>) {
      await repo.getById(1);
      await repo.list({ where: { title: 'a' } });
      await repo.count({ title: 'a' });
    }

    it('read from the primary when the backend may read from replicas, or cannot tell', async () => {
      for (const answer of [true, undefined]) {
        const { backend, asked } = recordingBackend(answer);
        const repo = new BaseRepository({ entity: Note, backend, cache: passThrough });
        await repo.create({ title: 'a', body: '' });
        await readEverything(repo);
        expect(asked).toEqual({ findByIds: [true], find: [true], count: [true] });
      }
    });

    it('run as they are when no read of the backend can reach a replica', async () => {
      const { backend, asked } = recordingBackend(false);
      const repo = new BaseRepository({ entity: Note, backend, cache: passThrough });
      await repo.create({ title: 'a', body: '' });
      await readEverything(repo);
      expect(asked).toEqual({ findByIds: [false], find: [false], count: [false] });
    });

    it('the memory backend says so', () => {
      expect(new MemoryBackend(Note).mayReadFromReplicas()).toBe(false);
    });
  });
});
