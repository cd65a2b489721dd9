import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import {
  currentTransaction,
  runInTransactionScope,
  type TransactionScope,
} from '../../context/transaction-scope.js';
import { ConflictError, DuplicateError, NotFoundError, ValidationError } from '../../errors.js';
import type { Backend, BackendUpdateOptions } from '../../repository/backend.js';
import type { RepositoryEntity } from '../../repository/base-repository.js';
import { applyQuery, matches } from '../../repository/condition-evaluator.js';
import type { Entity } from '../../repository/entity.js';
import { fieldKind } from '../../repository/field-kind.js';
import type { BackendQuery, Condition } from '../../repository/query.js';
import { UniqueIndex } from './unique-index.js';

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions<T> {
  /**
   * Unique constraints, each a list of fields; a clash is a `DuplicateError`, as in a database.
   * @default [] (only the id is unique)
   */
  readonly unique?: readonly (readonly (keyof T & string)[])[];
}

type Row = Record<string, unknown>;

/**
 * An in-memory {@link Backend} for unit tests and demos: the same contract and
 * semantics as the database backends (unique constraints, generated ids, optimistic
 * locking, soft delete, transactions that roll back), no I/O. Values are copied in and
 * out, so callers can never change stored rows by mutating what they hold.
 *
 * Transactions roll back by restoring a snapshot; they are not isolated from concurrent
 * work outside them.
 *
 * @example
 * ```ts
 * const users = new BaseRepository({ entity: User, backend: new MemoryBackend(User, { unique: [['email']] }) });
 * ```
 */
export class MemoryBackend<T extends object, ID> implements Backend<T, ID> {
  readonly kind = 'memory';
  readonly #rows = new Map<unknown, Row>();
  /**
   * The open transaction's undo log: each key it changed and the row the key held before
   * (undefined: none). Its own async context, so writes made inside another backend's
   * transaction nested in this one's are still logged.
   */
  readonly #undo = new AsyncLocalStorage<Map<unknown, Row | undefined>>();
  readonly #entity: Entity;
  readonly #unique: readonly (readonly string[])[];
  /** The visible rows under each unique constraint. */
  readonly #uniqueIndex: UniqueIndex;
  readonly #idField: string;
  readonly #numericId: boolean;
  #nextId = 1;

  constructor(entity: RepositoryEntity<T, ID, unknown>, options: MemoryBackendOptions<T> = {}) {
    this.#entity = entity as unknown as Entity;
    this.#idField = entity.idField;
    this.#unique = options.unique ?? [];
    this.#uniqueIndex = new UniqueIndex(this.#unique);
    const kind = fieldKind(entity.fieldSchema(entity.idField));
    this.#numericId = kind === 'number' || kind === 'bigint';
  }

  /** How many rows are stored (soft-deleted ones included). */
  get size(): number {
    return this.#rows.size;
  }

  async insertMany(rows: readonly Partial<T>[]): Promise<T[]> {
    // The new rows are staged apart and checked against the stored ones and each other,
    // then added: copying the whole store per insert made n inserts cost O(n²).
    const staged = new Map<unknown, Row>();
    const stagedIndex = new UniqueIndex(this.#unique);
    let nextId = this.#nextId;
    for (const input of rows) {
      const row = structuredClone(input) as Row;
      if (row[this.#idField] === undefined) row[this.#idField] = this.#generateId(nextId++);
      else if (this.#numericId && typeof row[this.#idField] === 'number')
        nextId = Math.max(nextId, (row[this.#idField] as number) + 1);
      this.#checkUnique(row, undefined, staged, stagedIndex);
      const key = this.#key(row[this.#idField]);
      staged.set(key, row);
      if (this.#visible(row)) stagedIndex.add(key, row);
    }
    for (const [key, row] of staged) this.#store(key, row);
    this.#nextId = nextId;
    return [...staged.values()].map((row) => structuredClone(row) as T);
  }

  async findByIds(ids: readonly ID[]): Promise<T[]> {
    const found: T[] = [];
    for (const id of ids) {
      const row = this.#rows.get(this.#key(id));
      if (row && this.#visible(row)) found.push(structuredClone(row) as T);
    }
    return found;
  }

  async find(query: BackendQuery): Promise<T[]> {
    return applyQuery(this.#visibleRows(), query).map((row) => structuredClone(row) as T);
  }

  async count(where: Condition | undefined): Promise<number> {
    let count = 0;
    for (const row of this.#visibleRows()) if (matches(row, where)) count++;
    return count;
  }

  async update(id: ID, patch: Partial<T>, options: BackendUpdateOptions): Promise<T> {
    const key = this.#key(id);
    const current = this.#rows.get(key);
    if (!current || !this.#visible(current)) throw NotFoundError.forId(this.#entity.name, id);
    const versionField = this.#entity.versionField;
    if (
      options.expectedVersion !== undefined &&
      versionField &&
      current[versionField] !== options.expectedVersion
    ) {
      throw new ConflictError(
        `${this.#entity.name} ${String(id)} is at version ${String(current[versionField])}, not ${options.expectedVersion}: it was changed by someone else`,
        {
          entity: this.#entity.name,
          id,
          expectedVersion: options.expectedVersion,
          actualVersion: current[versionField] as number,
        },
      );
    }
    const next: Row = { ...current, ...(structuredClone(patch) as Row) };
    if (versionField) next[versionField] = (current[versionField] as number) + 1;
    this.#checkUnique(next, key);
    this.#store(key, next);
    return structuredClone(next) as T;
  }

  async upsert(row: Partial<T>): Promise<T> {
    const input = structuredClone(row) as Row;
    const key = this.#key(input[this.#idField]);
    const current = this.#rows.get(key);
    if (!current || !this.#visible(current)) {
      if (current) this.#remove(key);
      const [created] = await this.insertMany([row]);
      return created!;
    }
    const next: Row = { ...current, ...input };
    const { versionField, createdAtField } = this.#entity;
    if (versionField) next[versionField] = (current[versionField] as number) + 1;
    if (createdAtField) next[createdAtField] = current[createdAtField];
    this.#checkUnique(next, key);
    this.#store(key, next);
    return structuredClone(next) as T;
  }

  async delete(id: ID): Promise<boolean> {
    const key = this.#key(id);
    const current = this.#rows.get(key);
    if (!current || !this.#visible(current)) return false;
    const softDelete = this.#entity.softDeleteField;
    if (softDelete) this.#store(key, { ...current, [softDelete]: new Date() });
    else this.#remove(key);
    return true;
  }

  /** Never: one copy of the data, in this process. */
  mayReadFromReplicas(): boolean {
    return false;
  }

  async runInTransaction<R>(fn: () => Promise<R>): Promise<R> {
    const outer = currentTransaction();
    if (outer?.owner === this) return fn();
    // An undo log of the keys the transaction changes, not a copy of the store: a copy per
    // transaction made every audited or hooked write O(n).
    const undo = new Map<unknown, Row | undefined>();
    const nextId = this.#nextId;
    const committed: (() => void | Promise<void>)[] = [];
    const rolledBack: (() => void | Promise<void>)[] = [];
    const scope: TransactionScope = {
      owner: this,
      afterCommit: (callback) => committed.push(callback),
      afterRollback: (callback) => rolledBack.push(callback),
    };
    let result: R;
    try {
      result = await this.#undo.run(undo, () => runInTransactionScope(scope, fn));
    } catch (error) {
      for (const [key, before] of undo) {
        this.#write(key, before);
      }
      this.#nextId = nextId;
      for (const callback of rolledBack) await callback();
      throw error;
    }
    for (const callback of committed) await callback();
    return result;
  }

  #store(key: unknown, row: Row): void {
    this.#remember(key);
    this.#write(key, row);
  }

  #remove(key: unknown): void {
    this.#remember(key);
    this.#write(key, undefined);
  }

  /** Puts a row under a key (undefined: none), keeping the unique index in step. */
  #write(key: unknown, row: Row | undefined): void {
    const before = this.#rows.get(key);
    if (before !== undefined && this.#visible(before)) this.#uniqueIndex.remove(key, before);
    if (row === undefined) {
      this.#rows.delete(key);
      return;
    }
    this.#rows.set(key, row);
    if (this.#visible(row)) this.#uniqueIndex.add(key, row);
  }

  /** Inside a transaction of this backend, notes what the key held before its first change. */
  #remember(key: unknown): void {
    const undo = this.#undo.getStore();
    if (undo !== undefined && !undo.has(key)) undo.set(key, this.#rows.get(key));
  }

  #generateId(next: number): unknown {
    const kind = fieldKind(this.#entity.fieldSchema(this.#idField));
    if (kind === 'number') return next;
    if (kind === 'bigint') return BigInt(next);
    if (kind === 'string') return randomUUID();
    throw new ValidationError(
      `${this.#entity.name}: the memory backend cannot generate an id of this type; pass one`,
      [],
      {
        entity: this.#entity.name,
      },
    );
  }

  /** Throws DuplicateError when the row clashes with a stored row or one of `staged` (rows being inserted with it). */
  #checkUnique(
    row: Row,
    ownKey: unknown,
    staged?: ReadonlyMap<unknown, Row>,
    stagedIndex?: UniqueIndex,
  ): void {
    const key = this.#key(row[this.#idField]);
    if (ownKey === undefined && (this.#rows.has(key) || staged?.has(key))) {
      throw new DuplicateError(`${this.#entity.name} ${String(row[this.#idField])} already exists`, {
        entity: this.#entity.name,
        id: row[this.#idField],
        constraint: 'primary key',
        columns: [this.#idField],
      });
    }
    const fields = this.#uniqueIndex.clash(row, ownKey ?? key) ?? stagedIndex?.clash(row, ownKey ?? key);
    if (fields !== undefined) {
      throw new DuplicateError(`${this.#entity.name} with this ${fields.join(', ')} already exists`, {
        entity: this.#entity.name,
        constraint: `unique(${fields.join(', ')})`,
        columns: fields,
      });
    }
  }

  *#visibleRows(): Iterable<Row> {
    for (const row of this.#rows.values()) if (this.#visible(row)) yield row;
  }

  #visible(row: Row): boolean {
    const softDelete = this.#entity.softDeleteField;
    return !softDelete || row[softDelete] === null || row[softDelete] === undefined;
  }

  #key(id: unknown): unknown {
    return id instanceof Date ? id.getTime() : id;
  }
}
