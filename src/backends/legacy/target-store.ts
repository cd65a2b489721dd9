import type { Backend, BackendUpdateOptions } from '../../repository/backend.js';
import type { BackendQuery, Condition } from '../../repository/query.js';
import { diffEntities } from './comparison.js';
import type { MigrationEntity } from './legacy-store.js';
import type { MigrationStore } from './migration-store.js';

type Row = Record<string, unknown>;

/**
 * The new side of a migration: the target backend as it is, plus an idempotent `mirror`.
 *
 * @example
 * ```ts
 * const store = new TargetStore(Customer, new MemoryBackend(Customer));
 * ```
 */
export class TargetStore<T extends object, ID> implements MigrationStore<T, ID> {
  readonly side = 'new' as const;
  readonly runInTransaction?: <R>(fn: () => Promise<R>) => Promise<R>;
  readonly #entity: MigrationEntity<T>;
  readonly #backend: Backend<T, ID>;

  constructor(entity: MigrationEntity<T>, backend: Backend<T, ID>) {
    this.#entity = entity;
    this.#backend = backend;
    if (backend.runInTransaction) this.runInTransaction = (fn) => backend.runInTransaction!(fn);
  }

  insertMany(rows: readonly Partial<T>[]): Promise<T[]> {
    return this.#backend.insertMany(rows);
  }
  findByIds(ids: readonly ID[]): Promise<T[]> {
    return this.#backend.findByIds(ids);
  }
  find(query: BackendQuery): Promise<T[]> {
    return this.#backend.find(query);
  }
  count(where: Condition | undefined): Promise<number> {
    return this.#backend.count(where);
  }
  update(id: ID, patch: Partial<T>, options: BackendUpdateOptions): Promise<T> {
    return this.#backend.update(id, patch, options);
  }
  upsert(row: Partial<T>): Promise<T> {
    return this.#backend.upsert(row);
  }
  delete(id: ID): Promise<boolean> {
    return this.#backend.delete(id);
  }

  async mirror(id: ID, entity: T | null): Promise<void> {
    if (entity === null) {
      await this.#backend.delete(id);
      return;
    }
    const [current] = await this.#backend.findByIds([id]);
    if (current && diffEntities(current as Row, entity as Row).length === 0) return;
    if (!current || this.#upsertLandsExactly(current as Row, entity as Row)) {
      await this.#backend.upsert(entity);
      return;
    }
    // An upsert keeps the stored createdAt and makes the version current + 1; after drift
    // that is not the primary's value, so the row is replaced instead.
    const replace = async () => {
      await this.#backend.delete(id);
      await this.#backend.upsert(entity);
    };
    await (this.runInTransaction ? this.runInTransaction(replace) : replace());
  }

  #upsertLandsExactly(current: Row, entity: Row): boolean {
    const { versionField, createdAtField } = this.#entity;
    if (versionField && (current[versionField] as number) + 1 !== entity[versionField]) return false;
    if (
      createdAtField &&
      diffEntities({ at: current[createdAtField] }, { at: entity[createdAtField] }).length > 0
    )
      return false;
    return true;
  }
}
