import { AsyncLocalStorage } from 'node:async_hooks';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { DuplicateError, NotFoundError, ValidationError } from '../../errors.js';
import type { Backend } from '../../repository/backend.js';
import { applyQuery, compareValues, matches } from '../../repository/condition-evaluator.js';
import type { BackendQuery, Condition } from '../../repository/query.js';
import { decodeJson, encodeJson } from './json-codec.js';

/**
 * Options of {@link JsonFileBackend}.
 *
 * @example
 * ```ts
 * const options: JsonFileBackendOptions<LegacyCustomer> = { path: 'crm-export.json', idField: 'CUST_NO', unique: [['EMAIL_ADDR']] };
 * ```
 */
export interface JsonFileBackendOptions<L> {
  /** The JSON file: an array of records (created on the first write when absent). */
  readonly path: string;
  /** The record's id field. */
  readonly idField: keyof L & string;
  /**
   * Unique constraints, each a list of fields; a clash is a `DuplicateError`.
   * @default [] (only the id is unique)
   */
  readonly unique?: readonly (readonly (keyof L & string)[])[];
  /**
   * Keep `Date` and `bigint` values (tagged JSON). Off for a file in a plain legacy format
   * that other programs read.
   * @default false
   */
  readonly typedJson?: boolean;
  /** Pretty-print the file. @default false */
  readonly pretty?: boolean;
}

type Row = Record<string, unknown>;

/**
 * A store of records in one JSON file — the shape many legacy exports come in. Every
 * write rewrites the file atomically (a temporary file, then a rename), so a crash
 * leaves either the old file or the new one, never half of one. Writes are serialised
 * within the process; it is not meant for several writing processes at once. Records
 * are stored as given: no versions, no timestamps, no generated ids (a legacy store
 * knows none of that; {@link LegacyAdapter} supplies it).
 *
 * @example
 * ```ts
 * const legacy = new JsonFileBackend<LegacyCustomer, string>({ path: './data/customers.json', idField: 'CUST_NO', unique: [['EMAIL_ADDR']] });
 * ```
 */
export class JsonFileBackend<L extends object, LID> implements Backend<L, LID> {
  readonly kind = 'json-file';
  readonly #path: string;
  readonly #idField: string;
  readonly #unique: readonly (readonly string[])[];
  readonly #encode: (value: unknown) => string;
  readonly #decode: (text: string) => unknown;
  readonly #transaction = new AsyncLocalStorage<{ rows: Map<string, Row> }>();
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: JsonFileBackendOptions<L>) {
    this.#path = options.path;
    this.#idField = options.idField;
    this.#unique = options.unique ?? [];
    const space = options.pretty ? 2 : undefined;
    this.#encode = options.typedJson
      ? (value) => encodeJson(value, space)
      : (value) => JSON.stringify(value, null, space);
    this.#decode = options.typedJson ? decodeJson : (text) => JSON.parse(text);
  }

  async insertMany(rows: readonly Partial<L>[]): Promise<L[]> {
    return this.#mutate((stored) => {
      const created: Row[] = [];
      for (const input of rows) {
        const row = { ...(input as Row) };
        const id = row[this.#idField];
        if (id === undefined || id === null)
          throw new ValidationError(`A record for ${this.#path} needs its id field "${this.#idField}"`);
        if (stored.has(key(id)))
          throw new DuplicateError(`A record with ${this.#idField} ${String(id)} already exists`, {
            id,
            constraint: 'primary key',
            columns: [this.#idField],
          });
        this.#checkUnique(stored, row);
        stored.set(key(id), row);
        created.push(row);
      }
      return created as L[];
    });
  }

  /** Never: one file. */
  mayReadFromReplicas(): boolean {
    return false;
  }

  async findByIds(ids: readonly LID[]): Promise<L[]> {
    const rows = await this.#rows();
    return ids.flatMap((id) => {
      const row = rows.get(key(id));
      return row ? [structuredClone(row) as L] : [];
    });
  }

  async find(query: BackendQuery): Promise<L[]> {
    return applyQuery((await this.#rows()).values(), query).map((row) => structuredClone(row) as L);
  }

  async count(where: Condition | undefined): Promise<number> {
    let count = 0;
    for (const row of (await this.#rows()).values()) if (matches(row, where)) count++;
    return count;
  }

  async update(id: LID, patch: Partial<L>): Promise<L> {
    return this.#mutate((stored) => {
      const current = stored.get(key(id));
      if (!current) throw new NotFoundError(`No record with ${this.#idField} ${String(id)}`, { id });
      const next = { ...current, ...(patch as Row), [this.#idField]: current[this.#idField] };
      this.#checkUnique(stored, next);
      stored.set(key(id), next);
      return next as L;
    });
  }

  async upsert(row: Partial<L>): Promise<L> {
    return this.#mutate((stored) => {
      const next = { ...(row as Row) };
      const id = next[this.#idField];
      if (id === undefined || id === null)
        throw new ValidationError(`A record for ${this.#path} needs its id field "${this.#idField}"`);
      this.#checkUnique(stored, next);
      stored.set(key(id), next);
      return next as L;
    });
  }

  async delete(id: LID): Promise<boolean> {
    return this.#mutate((stored) => stored.delete(key(id)));
  }

  /** Buffers the writes of `fn` and writes the file once at the end; nothing is written if it throws. */
  async runInTransaction<R>(fn: () => Promise<R>): Promise<R> {
    if (this.#transaction.getStore()) return fn();
    return this.#exclusive(async () => {
      const scope = { rows: await this.#load() };
      const result = await this.#transaction.run(scope, fn);
      await this.#save(scope.rows);
      return result;
    });
  }

  async #rows(): Promise<Map<string, Row>> {
    return this.#transaction.getStore()?.rows ?? this.#load();
  }

  async #mutate<R>(change: (rows: Map<string, Row>) => R): Promise<R> {
    const scope = this.#transaction.getStore();
    if (scope) {
      const staged = new Map(scope.rows);
      const result = change(staged);
      scope.rows = staged;
      return structuredClone(result);
    }
    return this.#exclusive(async () => {
      const rows = await this.#load();
      const result = change(rows);
      await this.#save(rows);
      return structuredClone(result);
    });
  }

  #exclusive<R>(work: () => Promise<R>): Promise<R> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => {});
    return next;
  }

  async #load(): Promise<Map<string, Row>> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    const parsed = this.#decode(text);
    if (!Array.isArray(parsed)) throw new ValidationError(`${this.#path} must hold a JSON array of records`);
    return new Map((parsed as Row[]).map((row) => [key(row[this.#idField]), row]));
  }

  async #save(rows: Map<string, Row>): Promise<void> {
    const temporary = `${this.#path}.${process.pid}.tmp`;
    await writeFile(temporary, this.#encode([...rows.values()]));
    await rename(temporary, this.#path);
  }

  #checkUnique(rows: Map<string, Row>, row: Row): void {
    const ownKey = key(row[this.#idField]);
    for (const fields of this.#unique) {
      if (fields.some((field) => row[field] === null || row[field] === undefined)) continue;
      for (const [otherKey, other] of rows) {
        if (otherKey === ownKey) continue;
        if (fields.every((field) => compareSame(other[field], row[field]))) {
          throw new DuplicateError(`A record with this ${fields.join(', ')} already exists`, {
            constraint: `unique(${fields.join(', ')})`,
            columns: fields,
          });
        }
      }
    }
  }
}

function compareSame(left: unknown, right: unknown): boolean {
  if (left === null || left === undefined || right === null || right === undefined) return false;
  return typeof left === typeof right && compareValues(left, right) === 0;
}

function key(id: unknown): string {
  return id instanceof Date ? `d:${id.getTime()}` : `${typeof id}:${String(id)}`;
}
