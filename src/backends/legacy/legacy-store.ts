import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { Backend, BackendUpdateOptions } from '../../repository/backend.js';
import { applyQuery, matches } from '../../repository/condition-evaluator.js';
import type { BackendQuery, Condition } from '../../repository/query.js';
import { diffEntities } from './comparison.js';
import type { DeadLetterSource } from './dead-letter-store.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { MigrationStore } from './migration-store.js';
import type { RecordConverter } from './record-converter.js';

/**
 * The part of an entity definition the migration needs (what `defineEntity` returns).
 *
 * @example
 * ```ts
 * const entity: MigrationEntity<Customer> = Customer;
 * ```
 */
export interface MigrationEntity<T> {
  readonly name: string;
  readonly idField: keyof T & string;
  readonly versionField: string | undefined;
  readonly createdAtField: string | undefined;
  readonly softDeleteField: string | undefined;
  readonly generated: ReadonlySet<string>;
  /** Validates a converted record against the new entity's schema. */
  parseEntity(value: unknown): T;
}

/**
 * Options of the legacy store.
 *
 * @example
 * ```ts
 * new LegacyAdapter({ ..., legacyStore: { onInvalidRecord: 'throw', scanPageSize: 5000 } });
 * ```
 */
export interface LegacyStoreOptions {
  /**
   * What a read does with a legacy record that does not convert: leave it out (it is
   * dead-lettered either way) or fail the read with a `ValidationError`.
   * @default 'skip'
   */
  readonly onInvalidRecord?: 'skip' | 'throw';
  /** Rows per page when the legacy side is scanned for a query. @default 1000 */
  readonly scanPageSize?: number;
}

type Row = Record<string, unknown>;

/**
 * The legacy side of a migration, seen as the new entity: reads convert legacy records
 * (dead-lettering those that fail), writes convert entities back and store them whole.
 * The entity's semantics — version checks and increments, `createdAt` kept on upsert,
 * soft delete — are applied here, so a legacy store that knows none of them still
 * behaves like a reposit backend. Queries are evaluated in JavaScript over a keyset scan
 * of the legacy side, narrowed first by the legacy store when the mapper can translate
 * the filter (`toLegacyCondition`).
 *
 * @example
 * ```ts
 * const store = new LegacyStore(Customer, new JsonFileBackend({ path: 'customers.json', idField: 'CUST_NO' }), converter);
 * ```
 */
export class LegacyStore<L extends object, T extends object, ID, LID> implements MigrationStore<T, ID> {
  readonly side = 'legacy' as const;
  readonly runInTransaction?: <R>(fn: () => Promise<R>) => Promise<R>;
  readonly #entity: MigrationEntity<T>;
  readonly #backend: Backend<L, LID>;
  readonly #converter: RecordConverter<L, T, ID, LID>;
  readonly #onInvalid: 'skip' | 'throw';
  readonly #pageSize: number;
  readonly #locks = new KeyedMutex();

  constructor(
    entity: MigrationEntity<T>,
    backend: Backend<L, LID>,
    converter: RecordConverter<L, T, ID, LID>,
    options: LegacyStoreOptions = {},
  ) {
    this.#entity = entity;
    this.#backend = backend;
    this.#converter = converter;
    this.#onInvalid = options.onInvalidRecord ?? 'skip';
    this.#pageSize = options.scanPageSize ?? 1000;
    if (backend.runInTransaction) this.runInTransaction = (fn) => backend.runInTransaction!(fn);
  }

  async findByIds(ids: readonly ID[], source: DeadLetterSource = 'read'): Promise<T[]> {
    const mapper = this.#converter.mapper;
    const records = await this.#backend.findByIds(ids.map((id) => mapper.toLegacyId(id)));
    return (await this.#convert(records, source)).filter((entity) => this.#visible(entity));
  }

  async find(query: BackendQuery): Promise<T[]> {
    const all: T[] = [];
    for await (const batch of this.scan(query.where)) all.push(...batch);
    return applyQuery(all, query);
  }

  async count(where: Condition | undefined): Promise<number> {
    let count = 0;
    for await (const batch of this.scan(where))
      for (const entity of batch) if (matches(entity, where)) count++;
    return count;
  }

  /**
   * Every visible entity of the legacy side, in legacy id order, one page at a time. With
   * `where` and a mapper that can translate it, the legacy side filters first (the
   * translation may match more; the caller filters the converted entities again).
   */
  async *scan(where?: Condition): AsyncIterable<T[]> {
    const prefilter = where && this.#converter.mapper.toLegacyCondition?.(where);
    for await (const records of this.scanRecords(undefined, this.#pageSize, prefilter)) {
      yield (await this.#convert(records, 'read')).filter((entity) => this.#visible(entity));
    }
  }

  /** The raw legacy records in legacy id order, one page at a time, starting after `after`. */
  async *scanRecords(after?: LID, pageSize = this.#pageSize, where?: Condition): AsyncIterable<L[]> {
    const idField = this.#converter.mapper.legacyIdField;
    let last = after;
    for (;;) {
      const from: Condition | undefined =
        last === undefined ? undefined : { kind: 'field', field: idField, op: 'gt', value: last };
      const page = await this.#backend.find({
        where: from && where ? { kind: 'and', conditions: [where, from] } : (from ?? where),
        orderBy: [{ field: idField, direction: 'asc' }],
        limit: pageSize,
      });
      if (page.length > 0) yield page;
      if (page.length < pageSize) return;
      last = (page.at(-1) as Row)[idField] as LID;
    }
  }

  async insertMany(rows: readonly Partial<T>[]): Promise<T[]> {
    const records = rows.map((row) => this.#converter.toLegacy(row as T));
    return this.#atomically(async () => {
      const stored = await this.#backend.insertMany(records);
      return this.#convertStrict(stored);
    });
  }

  async update(id: ID, patch: Partial<T>, options: BackendUpdateOptions): Promise<T> {
    return this.#locks.run(lockKey(id), async () => {
      const current = await this.#current(id);
      if (!current) throw NotFoundError.forId(this.#entity.name, id);
      const versionField = this.#entity.versionField;
      const currentVersion = versionField ? (current as Row)[versionField] : undefined;
      if (
        versionField &&
        options.expectedVersion !== undefined &&
        currentVersion !== options.expectedVersion
      ) {
        throw new ConflictError(
          `${this.#entity.name} ${String(id)} is at version ${String(currentVersion)}, not ${options.expectedVersion}: it was changed by someone else`,
          {
            entity: this.#entity.name,
            id,
            expectedVersion: options.expectedVersion,
            actualVersion: currentVersion as number,
          },
        );
      }
      const next: Row = { ...(current as Row), ...(patch as Row) };
      if (versionField) next[versionField] = (currentVersion as number) + 1;
      return this.#replace(next);
    });
  }

  async upsert(row: Partial<T>): Promise<T> {
    const id = (row as Row)[this.#entity.idField] as ID;
    return this.#locks.run(lockKey(id), async () => {
      const current = await this.#current(id);
      if (!current) {
        const [created] = await this.insertMany([row]);
        return created!;
      }
      const next: Row = { ...(row as Row) };
      const { versionField, createdAtField } = this.#entity;
      if (versionField) next[versionField] = ((current as Row)[versionField] as number) + 1;
      if (createdAtField) next[createdAtField] = (current as Row)[createdAtField];
      return this.#replace(next);
    });
  }

  async delete(id: ID): Promise<boolean> {
    return this.#locks.run(lockKey(id), async () => {
      const softDelete = this.#entity.softDeleteField;
      if (!softDelete) return this.#backend.delete(this.#converter.mapper.toLegacyId(id));
      const current = await this.#current(id);
      if (!current) return false;
      await this.#replace({ ...(current as Row), [softDelete]: new Date() });
      return true;
    });
  }

  async mirror(id: ID, entity: T | null): Promise<void> {
    const legacyId = this.#converter.mapper.toLegacyId(id);
    if (entity === null) {
      await this.delete(id);
      return;
    }
    const record = this.#converter.toLegacy(entity);
    const [current] = await this.#backend.findByIds([legacyId]);
    if (current && diffEntities(current as Row, record as Row).length === 0) return;
    await this.#backend.upsert(record);
  }

  async #current(id: ID): Promise<T | undefined> {
    const [record] = await this.#backend.findByIds([this.#converter.mapper.toLegacyId(id)]);
    if (!record) return undefined;
    const [entity] = await this.#convertStrict([record]);
    return entity && this.#visible(entity) ? entity : undefined;
  }

  async #replace(next: Row): Promise<T> {
    const valid = this.#entity.parseEntity(next);
    const stored = await this.#backend.upsert(this.#converter.toLegacy(valid));
    const [entity] = await this.#convertStrict([stored]);
    return entity!;
  }

  async #convert(records: readonly L[], source: DeadLetterSource): Promise<T[]> {
    const entities: T[] = [];
    for (const record of records) {
      const result = await this.#converter.toEntity(record, source);
      if (result.ok) entities.push(result.entity);
      else if (this.#onInvalid === 'throw') throw this.#invalid(record, result.reason);
    }
    return entities;
  }

  // Writes must not carry on over a record that does not convert: the caller would get
  // an entity that does not match what is stored.
  async #convertStrict(records: readonly L[]): Promise<T[]> {
    const entities: T[] = [];
    for (const record of records) {
      const result = await this.#converter.toEntity(record, 'read');
      if (!result.ok) throw this.#invalid(record, result.reason);
      entities.push(result.entity);
    }
    return entities;
  }

  #invalid(record: L, reason: string): ValidationError {
    const legacyId = (record as Row)[this.#converter.mapper.legacyIdField];
    return new ValidationError(
      `Legacy ${this.#entity.name} ${String(legacyId)} does not convert to the new schema (see the dead-letter store): ${reason}`,
      [],
      { entity: this.#entity.name },
    );
  }

  #visible(entity: T): boolean {
    const softDelete = this.#entity.softDeleteField;
    if (!softDelete) return true;
    const value = (entity as Row)[softDelete];
    return value === null || value === undefined;
  }

  async #atomically<R>(work: () => Promise<R>): Promise<R> {
    return this.runInTransaction ? this.runInTransaction(work) : work();
  }
}

function lockKey(id: unknown): string {
  return id instanceof Date ? `d:${id.getTime()}` : `${typeof id}:${String(id)}`;
}
