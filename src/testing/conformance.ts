import { z } from 'zod';
import { ConflictError, DuplicateError, NotFoundError, ValidationError } from '../errors.js';
import type { Backend } from '../repository/backend.js';
import { BaseRepository } from '../repository/base-repository.js';
import { defineEntity, type EntityType } from '../repository/entity.js';
import type { Filter } from '../repository/query.js';

/**
 * The entity every backend is checked with. Strings are lowercase ASCII so that no
 * collation can order them differently from another backend.
 *
 * Storage a backend needs for it (PostgreSQL shown):
 * ```sql
 * create table widgets (
 *   id text primary key, email text not null unique, name text not null,
 *   age integer, score double precision not null, active boolean not null,
 *   created_at timestamptz not null, version integer not null
 * );
 * ```
 *
 * @example
 * ```ts
 * const backend = new PostgresBackend(connections, { entity: Widget, table: 'widgets' });
 * ```
 */
export const Widget = defineEntity({
  name: 'widget',
  schema: z.object({
    id: z.string().min(1).max(64),
    email: z.email(),
    name: z.string().min(1),
    age: z.number().int().nullable(),
    score: z.number(),
    active: z.boolean(),
    createdAt: z.date(),
    version: z.number().int(),
  }),
  id: 'id',
  version: 'version',
  timestamps: { createdAt: 'createdAt' },
});

/** The conformance entity's type. */
export type Widget = EntityType<typeof Widget>;

/** A backend under test, with what it takes to dispose of it. */
export interface ConformanceInstance {
  readonly backend: Backend<Widget, string>;
  /** Drops what the instance created (a table, a sheet …). */
  teardown?(): Promise<void>;
}

/** What the conformance suite runs against. */
export interface ConformanceTarget {
  /** Shown in the test names, e.g. `postgres`. */
  readonly name: string;
  /**
   * A fresh, empty backend for the {@link Widget} entity, with a unique constraint on
   * `email`. Called before every test.
   */
  create(): Promise<ConformanceInstance>;
}

/**
 * Registers the backend conformance suite with vitest: every behaviour of the
 * `Backend` contract, checked through a `BaseRepository`. Third-party backends run it
 * too. Await it at the top level of a test file: vitest is loaded only then, so
 * `reposit/testing` can be required from CommonJS without it.
 *
 * @example
 * ```ts
 * import { runBackendConformance } from 'reposit/testing';
 * await runBackendConformance({ name: 'memory', create: async () => ({ backend: new MemoryBackend(Widget, { unique: [['email']] }) }) });
 * ```
 */
export async function runBackendConformance(target: ConformanceTarget): Promise<void> {
  const { afterEach, beforeEach, describe, expect, it } = await import('vitest');
  describe(`${target.name} backend conformance`, () => {
    let instance: ConformanceInstance;
    let repo: BaseRepository<Widget, string, WidgetInput>;

    beforeEach(async () => {
      instance = await target.create();
      repo = new BaseRepository({ entity: Widget, backend: instance.backend, cursorSecret: 'conformance' });
    });
    afterEach(async () => {
      await instance.teardown?.();
    });

    const seed = async (count: number, overrides: (index: number) => Partial<WidgetInput> = () => ({})) =>
      repo.createMany(Array.from({ length: count }, (_, index) => widget(index, overrides(index))));

    describe('create and read', () => {
      it('creates an entity, sets its version to 1 and reads it back equal', async () => {
        const created = await repo.create(widget(1));
        expect(created).toMatchObject({ id: 'w0001', email: 'w0001@example.com', age: 21, version: 1 });
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(await repo.getById('w0001')).toEqual(created);
        expect(await repo.exists('w0001')).toBe(true);
      });

      it('answers null for an absent id, and getOrFail throws NotFoundError', async () => {
        expect(await repo.getById('absent')).toBeNull();
        expect(await repo.exists('absent')).toBe(false);
        await expect(repo.getOrFail('absent')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('rejects invalid input with every problem listed, and writes nothing', async () => {
        const error = await repo
          .create({ ...widget(1), email: 'not-an-email', score: 'high' as never })
          .catch((e) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).paths.sort()).toEqual(['email', 'score']);
        expect(await repo.count()).toBe(0);
      });

      it('rejects unknown fields in the input', async () => {
        await expect(repo.create({ ...widget(1), isAdmin: true } as never)).rejects.toBeInstanceOf(
          ValidationError,
        );
      });

      it('keeps getByIds in the order asked, with null for absent ids and repeats', async () => {
        await seed(3);
        const found = await repo.getByIds(['w0002', 'absent', 'w0000', 'w0002']);
        expect(found.map((row) => row?.id ?? null)).toEqual(['w0002', null, 'w0000', 'w0002']);
      });

      it('coalesces concurrent getById calls and answers each correctly', async () => {
        await seed(5);
        const ids = ['w0004', 'w0001', 'absent', 'w0001', 'w0003'];
        const found = await Promise.all(ids.map((id) => repo.getById(id)));
        expect(found.map((row) => row?.id ?? null)).toEqual(['w0004', 'w0001', null, 'w0001', 'w0003']);
      });

      it('rejects an id of the wrong type before touching the backend', async () => {
        await expect(repo.getById(42 as never)).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('uniqueness and atomic batches', () => {
      it('raises DuplicateError for a taken id or a taken unique value', async () => {
        await repo.create(widget(1));
        await expect(repo.create(widget(1))).rejects.toBeInstanceOf(DuplicateError);
        await expect(repo.create({ ...widget(2), email: 'w0001@example.com' })).rejects.toBeInstanceOf(
          DuplicateError,
        );
        expect(await repo.count()).toBe(1);
      });

      it('creates many at once, in input order', async () => {
        const created = await seed(25);
        expect(created.map((row) => row.id)).toEqual(
          Array.from({ length: 25 }, (_, index) => widgetId(index)),
        );
        expect(await repo.count()).toBe(25);
      });

      it('writes nothing when one input of a batch is invalid, and names its index', async () => {
        const inputs = [widget(1), { ...widget(2), email: 'broken' }, widget(3)];
        const error = await repo.createMany(inputs).catch((e) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).paths).toEqual(['1.email']);
        expect(await repo.count()).toBe(0);
      });

      it('writes nothing when one row of a batch clashes', async () => {
        await repo.create(widget(7));
        await expect(repo.createMany([widget(1), widget(2), widget(7)])).rejects.toBeInstanceOf(
          DuplicateError,
        );
        expect(await repo.count()).toBe(1);
      });
    });

    describe('update, upsert and delete', () => {
      it('applies a patch and increments the version', async () => {
        await repo.create(widget(1));
        const updated = await repo.update('w0001', { name: 'renamed', age: null });
        expect(updated).toMatchObject({ id: 'w0001', name: 'renamed', age: null, version: 2 });
        expect(await repo.getById('w0001')).toEqual(updated);
      });

      it('checks expectedVersion: a stale version is a ConflictError with both versions', async () => {
        await repo.create(widget(1));
        await repo.update('w0001', { name: 'first' }, { expectedVersion: 1 });
        const error = await repo.update('w0001', { name: 'second' }, { expectedVersion: 1 }).catch((e) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ expectedVersion: 1, actualVersion: 2 });
        expect((await repo.getOrFail('w0001')).name).toBe('first');
      });

      it('tells a missing row (NotFoundError) from a stale version', async () => {
        await expect(repo.update('absent', { name: 'x' }, { expectedVersion: 1 })).rejects.toBeInstanceOf(
          NotFoundError,
        );
        await expect(repo.update('absent', { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
      });

      it('rejects an invalid patch, a patch of the id and a patch of the version', async () => {
        await repo.create(widget(1));
        await expect(repo.update('w0001', { email: 'nope' })).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.update('w0001', { id: 'other' } as never)).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.update('w0001', { version: 9 })).rejects.toBeInstanceOf(ValidationError);
        expect(await repo.getOrFail('w0001')).toMatchObject({ email: 'w0001@example.com', version: 1 });
      });

      it('raises DuplicateError when a patch takes another row’s unique value', async () => {
        await seed(2);
        await expect(repo.update('w0001', { email: 'w0000@example.com' })).rejects.toBeInstanceOf(
          DuplicateError,
        );
      });

      it('upserts: inserts when absent, replaces when present (keeping createdAt, bumping version)', async () => {
        const inserted = await repo.upsert(widget(1));
        expect(inserted.version).toBe(1);
        const replaced = await repo.upsert({
          ...widget(1),
          name: 'replaced',
          createdAt: new Date('2000-01-01T00:00:00Z'),
        });
        expect(replaced).toMatchObject({ name: 'replaced', version: 2 });
        expect(replaced.createdAt.getTime()).toBe(inserted.createdAt.getTime());
        expect(await repo.count()).toBe(1);
      });

      it('deletes: true once, then false; the entity is gone', async () => {
        await repo.create(widget(1));
        expect(await repo.delete('w0001')).toBe(true);
        expect(await repo.delete('w0001')).toBe(false);
        expect(await repo.getById('w0001')).toBeNull();
        expect(await repo.count()).toBe(0);
      });
    });

    describe('filters', () => {
      beforeEach(async () => {
        await seed(10, (index) => ({
          age: index % 3 === 0 ? null : 20 + index,
          active: index % 2 === 0,
          score: index / 2,
        }));
      });
      const ids = async (where: Filter<Widget>) =>
        (await repo.list({ where, orderBy: { id: 'asc' } })).map((row) => Number(row.id.slice(1)));

      it('eq, ne and null equality (ne and notIn include nulls)', async () => {
        expect(await ids({ age: 21 })).toEqual([1]);
        expect(await ids({ age: null })).toEqual([0, 3, 6, 9]);
        expect(await ids({ age: { ne: 21 } })).toEqual([0, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(await ids({ age: { ne: null } })).toEqual([1, 2, 4, 5, 7, 8]);
        expect(await ids({ age: { isNull: false } })).toEqual([1, 2, 4, 5, 7, 8]);
        expect(await ids({ active: true })).toEqual([0, 2, 4, 6, 8]);
      });

      it('in and notIn, including empty lists', async () => {
        expect(await ids({ age: { in: [21, 24, 99] } })).toEqual([1, 4]);
        expect(await ids({ age: { notIn: [21, 24] } })).toEqual([0, 2, 3, 5, 6, 7, 8, 9]);
        expect(await ids({ age: { in: [] } })).toEqual([]);
        expect(await ids({ age: { notIn: [] } })).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      });

      it('ranges never match nulls; operators on one field combine with AND', async () => {
        expect(await ids({ age: { gt: 24 } })).toEqual([5, 7, 8]);
        expect(await ids({ age: { gte: 22, lt: 27 } })).toEqual([2, 4, 5]);
        expect(await ids({ score: { lte: 1 } })).toEqual([0, 1, 2]);
        expect(await ids({ createdAt: { gte: new Date('2024-01-01T00:00:05Z') } })).toEqual([5, 6, 7, 8, 9]);
      });

      it('like and ilike with SQL patterns', async () => {
        expect(await ids({ email: { like: 'w000_@example.com' } })).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(await ids({ name: { like: 'name 1%' } })).toEqual([1]);
        expect(await ids({ name: { ilike: 'NAME 2' } })).toEqual([2]);
        expect(await ids({ name: { like: 'NAME 2' } })).toEqual([]);
      });

      it('and / or', async () => {
        expect(await ids({ or: [{ age: 21 }, { age: 22 }], active: true })).toEqual([2]);
        expect(
          await ids({ and: [{ active: false }, { or: [{ age: null }, { score: { gt: 4 } }] }] }),
        ).toEqual([3, 9]);
        expect(await ids({ or: [] })).toEqual([]);
      });

      it('count honours the filter', async () => {
        expect(await repo.count({ active: true })).toBe(5);
        expect(await repo.count({ age: null })).toBe(4);
        expect(await repo.count()).toBe(10);
      });

      it('treats hostile strings as plain values', async () => {
        const hostile = "w0001'; drop table widgets; --";
        expect(await ids({ id: hostile })).toEqual([]);
        expect(await ids({ name: { like: "%' or '1'='1" } })).toEqual([]);
        expect(await repo.count()).toBe(10);
      });

      it('rejects unknown fields, unknown operators and values of the wrong type', async () => {
        await expect(repo.list({ where: { nope: 1 } as never })).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.list({ where: { age: { between: [1, 2] } } as never })).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(repo.list({ where: { age: 'old' } as never })).rejects.toBeInstanceOf(ValidationError);
        await expect(
          repo.list({ where: { createdAt: { gt: '2024-01-01' } } as never }),
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.list({ orderBy: { nope: 'asc' } as never })).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(repo.list({ limit: -1 })).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('order, pages and streams', () => {
      it('sorts by several keys, with limit and offset', async () => {
        await seed(6, (index) => ({ score: index % 2 }));
        const rows = await repo.list({
          orderBy: [{ field: 'score', direction: 'desc' }, { field: 'id' }],
          limit: 3,
          offset: 1,
        });
        expect(rows.map((row) => row.id)).toEqual(['w0003', 'w0005', 'w0000']);
      });

      it('walks keyset pages over ties exactly once each', async () => {
        await seed(23, (index) => ({ score: index % 4 }));
        const seen: string[] = [];
        let page = await repo.list({ orderBy: { score: 'desc' }, limit: 5, cursor: null });
        for (;;) {
          seen.push(...page.items.map((row) => row.id));
          if (!page.nextCursor) break;
          page = await repo.list({ orderBy: { score: 'desc' }, limit: 5, cursor: page.nextCursor });
        }
        expect(seen).toHaveLength(23);
        expect(new Set(seen).size).toBe(23);
        const all = await repo.list({
          orderBy: [
            { field: 'score', direction: 'desc' },
            { field: 'id', direction: 'desc' },
          ],
        });
        expect(seen).toEqual(all.map((row) => row.id));
      });

      it('rejects a tampered cursor and a cursor of another sort order', async () => {
        await seed(4);
        const page = await repo.list({ limit: 2, cursor: null });
        const cursor = page.nextCursor!;
        const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'BB' : 'AA'}`;
        await expect(repo.list({ limit: 2, cursor: tampered })).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.list({ orderBy: { name: 'asc' }, limit: 2, cursor })).rejects.toBeInstanceOf(
          ValidationError,
        );
      });

      it('rejects keyset pages sorted by a nullable field', async () => {
        await expect(repo.list({ orderBy: { age: 'asc' }, limit: 2, cursor: null })).rejects.toBeInstanceOf(
          ValidationError,
        );
      });

      it('streams every matching row in order, in small batches', async () => {
        await seed(17, (index) => ({ active: index % 3 !== 0 }));
        const streamed: string[] = [];
        for await (const row of repo.stream(
          { where: { active: true }, orderBy: { name: 'desc' } },
          { batchSize: 4 },
        ))
          streamed.push(row.id);
        const expected = (await repo.list({ where: { active: true }, orderBy: { name: 'desc' } })).map(
          (row) => row.id,
        );
        expect(streamed).toEqual(expected);
        expect(streamed).toHaveLength(11);
      });
    });

    describe('transactions', () => {
      it('rolls back every write of a failed transaction (where the backend has transactions)', async () => {
        if (!instance.backend.runInTransaction) {
          await expect(repo.transaction(async () => 1)).resolves.toBe(1);
          return;
        }
        await repo.create(widget(1));
        const failure = repo.transaction(async () => {
          await repo.create(widget(2));
          await repo.update('w0001', { name: 'changed' });
          throw new Error('abort');
        });
        await expect(failure).rejects.toThrow('abort');
        expect(await repo.getById('w0002')).toBeNull();
        expect((await repo.getOrFail('w0001')).name).toBe('name 1');
      });
    });
  });
}

/** The create input of the conformance entity. */
export type WidgetInput = Omit<Widget, 'version' | 'createdAt'> &
  Partial<Pick<Widget, 'version' | 'createdAt'>>;

/** The id of the n-th conformance widget: `w0000`, `w0001` … */
export function widgetId(index: number): string {
  return `w${String(index).padStart(4, '0')}`;
}

/**
 * A valid conformance widget input, deterministic per index.
 *
 * @example
 * ```ts
 * await repo.create(widget(3, { active: false }));
 * ```
 */
export function widget(index: number, overrides: Partial<WidgetInput> = {}): WidgetInput {
  const id = widgetId(index);
  return {
    id,
    email: `${id}@example.com`,
    name: `name ${index}`,
    age: 20 + index,
    score: index,
    active: true,
    createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, index)),
    ...overrides,
  };
}
