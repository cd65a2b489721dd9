import { randomUUID } from 'node:crypto';
import { ConflictError, DuplicateError, NotFoundError, ValidationError } from '../../errors.js';
import type { BackendUpdateOptions } from '../../repository/backend.js';
import { compareValues } from '../../repository/condition-evaluator.js';
import type { Entity } from '../../repository/entity.js';
import type { CellKind } from './cell-codec.js';
import { idKey } from './sheet-table.js';

/** An entity as a write batch plans it. */
export type Row = Record<string, unknown>;

/**
 * One row of a write batch's working state: the entity, where the batch's read found
 * it, and what the batch does to it.
 *
 * @example
 * ```ts
 * const entry: Entry = { entity: { id: 1 }, rowIndex: 4, deleted: false, dirty: true };
 * ```
 */
export interface Entry {
  entity: Row;
  /** Where the row was in this flush's read; undefined for rows this flush inserts. */
  readonly rowIndex: number | undefined;
  deleted: boolean;
  dirty: boolean;
  writeError?: unknown;
}

/**
 * One write a caller asked for.
 *
 * @example
 * ```ts
 * const op: WriteOp = { kind: 'delete', id: 42 };
 * ```
 */
export type WriteOp =
  | { kind: 'insert'; rows: readonly Row[] }
  | { kind: 'update'; id: unknown; patch: Row; options: BackendUpdateOptions }
  | { kind: 'upsert'; row: Row }
  | { kind: 'delete'; id: unknown };

/**
 * A write waiting for its batch, with what the batch decided for it.
 *
 * @example
 * ```ts
 * queue.push({ op, resolve, reject, touched: [] } satisfies QueuedOp);
 * ```
 */
export interface QueuedOp {
  readonly op: WriteOp;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  result?: unknown;
  error?: unknown;
  touched: Entry[];
}

/**
 * Plans a write batch in memory: applies each queued write to the batch's working state
 * (read fresh from the sheet), with the backend contract's rules — generated ids, initial
 * and incremented versions, `NotFoundError`, `ConflictError` on a stale version,
 * `DuplicateError` on a taken id or unique value, soft delete, upserts that keep
 * `createdAt` — so that a write that fails leaves the state untouched and the others go on.
 *
 * @example
 * ```ts
 * const planner = new WritePlanner(User, kinds, [['email']]);
 * queued.result = planner.apply(queued, state, inserted);
 * ```
 */
export class WritePlanner<T extends object> {
  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: any id and generated-field types are accepted.
    readonly entity: Entity<T, any, any>,
    readonly kinds: ReadonlyMap<string, CellKind>,
    readonly unique: readonly (readonly string[])[],
  ) {}

  /** Whether a row is not soft-deleted. */
  visible(row: Row): boolean {
    const field = this.entity.softDeleteField;
    return field === undefined || row[field] === null || row[field] === undefined;
  }

  /** The identity of a row: its id as text. */
  keyOf(row: Row): string {
    return idKey(row[this.entity.idField]);
  }

  /** Applies one queued write to the flush's working state; throws without touching it. */
  apply(queued: QueuedOp, state: Map<string, Entry>, inserted: Entry[]): unknown {
    const { op } = queued;
    const entity = this.entity;
    const live = (key: string): Entry | undefined => {
      const entry = state.get(key);
      return entry && !entry.deleted && this.visible(entry.entity) ? entry : undefined;
    };
    const insert = (row: Row): Entry => {
      const entry: Entry = { entity: row, rowIndex: undefined, deleted: false, dirty: true };
      state.set(this.keyOf(row), entry);
      inserted.push(entry);
      queued.touched.push(entry);
      return entry;
    };
    switch (op.kind) {
      case 'insert': {
        const prepared: Row[] = [];
        const keys = new Set<string>();
        for (const input of op.rows) {
          const row = this.#complete(input, state, prepared);
          const key = this.keyOf(row);
          if (keys.has(key) || state.get(key)?.deleted === false) {
            throw new DuplicateError(`${entity.name} ${key} already exists`, {
              entity: entity.name,
              id: row[entity.idField],
              constraint: 'primary key',
              columns: [entity.idField],
            });
          }
          keys.add(key);
          this.#checkUnique(state, row, key, prepared);
          prepared.push(row);
        }
        return prepared.map((row) => insert(row).entity);
      }
      case 'update': {
        const key = idKey(op.id);
        const entry = live(key);
        if (!entry) throw NotFoundError.forId(entity.name, op.id);
        const versionField = entity.versionField;
        const current = versionField ? (entry.entity[versionField] as number) : undefined;
        if (op.options.expectedVersion !== undefined && current !== op.options.expectedVersion) {
          throw new ConflictError(
            `${entity.name} ${key} is at version ${current}, not ${op.options.expectedVersion}`,
            {
              entity: entity.name,
              id: op.id,
              expectedVersion: op.options.expectedVersion,
              actualVersion: current,
            },
          );
        }
        const next: Row = { ...entry.entity, ...op.patch, [entity.idField]: entry.entity[entity.idField] };
        if (versionField) next[versionField] = (current ?? 0) + 1;
        this.#checkUnique(state, next, key, []);
        entry.entity = this.#validate(next);
        entry.dirty = true;
        queued.touched.push(entry);
        return entry.entity;
      }
      case 'upsert': {
        const key = this.keyOf(op.row);
        const entry = state.get(key);
        if (entry && !entry.deleted && this.visible(entry.entity)) {
          const next: Row = { ...entry.entity, ...op.row };
          const { versionField, createdAtField } = entity;
          if (versionField)
            next[versionField] = ((entry.entity[versionField] as number | undefined) ?? 0) + 1;
          if (createdAtField) next[createdAtField] = entry.entity[createdAtField];
          this.#checkUnique(state, next, key, []);
          entry.entity = this.#validate(next);
          entry.dirty = true;
          queued.touched.push(entry);
          return entry.entity;
        }
        const row = this.#complete(op.row, state, []);
        this.#checkUnique(state, row, key, []);
        if (entry?.rowIndex !== undefined) {
          // The id's old row was emptied (or soft-deleted) earlier: write into it again.
          entry.entity = row;
          entry.deleted = false;
          entry.dirty = true;
          queued.touched.push(entry);
          return row;
        }
        return insert(row).entity;
      }
      case 'delete': {
        const key = idKey(op.id);
        const entry = live(key);
        if (!entry) return false;
        const softDelete = entity.softDeleteField;
        if (softDelete) entry.entity = { ...entry.entity, [softDelete]: new Date() };
        else if (entry.rowIndex === undefined) {
          state.delete(key);
          inserted.splice(inserted.indexOf(entry), 1);
        } else entry.deleted = true;
        entry.dirty = true;
        queued.touched.push(entry);
        return true;
      }
    }
  }

  /** Fills in a generated id and the initial version, and validates the whole row. */
  #complete(input: Row, state: Map<string, Entry>, pending: readonly Row[]): Row {
    const entity = this.entity;
    const row: Row = { ...input };
    const idField = entity.idField;
    if (row[idField] === undefined || row[idField] === null) {
      if (!entity.generated.has(idField)) {
        throw ValidationError.fromIssues(`Invalid ${entity.name}`, [
          { path: idField, message: 'the id is required', code: 'invalid_type' },
        ]);
      }
      if (this.kinds.get(idField) === 'number') {
        let max = 0;
        for (const entry of state.values()) max = Math.max(max, Number(entry.entity[idField]) || 0);
        for (const other of pending) max = Math.max(max, Number(other[idField]) || 0);
        row[idField] = max + 1;
      } else row[idField] = randomUUID();
    }
    const versionField = entity.versionField;
    if (versionField && (row[versionField] === undefined || row[versionField] === null))
      row[versionField] = 1;
    for (const field of entity.fields) {
      if (row[field] === undefined && entity.isNullable(field)) row[field] = null;
    }
    return this.#validate(row);
  }

  /** Throws `DuplicateError` when a row takes a unique value another live row holds. */
  #checkUnique(state: Map<string, Entry>, row: Row, ownKey: string, pending: readonly Row[]): void {
    for (const fields of this.unique) {
      if (fields.some((field) => row[field] === null || row[field] === undefined)) continue;
      const clashes = (other: Row) => fields.every((field) => compareValues(other[field], row[field]) === 0);
      const taken =
        pending.some(clashes) ||
        [...state.entries()].some(([key, e]) => key !== ownKey && !e.deleted && clashes(e.entity));
      if (taken) {
        throw new DuplicateError(`${this.entity.name} with this ${fields.join(', ')} already exists`, {
          entity: this.entity.name,
          constraint: `unique(${fields.join(', ')})`,
          columns: fields,
        });
      }
    }
  }

  #validate(row: Row): Row {
    return this.entity.parseEntity(row) as Row;
  }
}
