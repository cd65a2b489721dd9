import type { Filter, ListQuery, Page, PageQuery } from './query.js';

/** Options of {@link Repository.update}. */
export interface UpdateOptions {
  /** Apply the patch only when the stored version equals this; else `ConflictError`. */
  readonly expectedVersion?: number;
}

/** Options of {@link Repository.stream}. */
export interface StreamOptions {
  /**
   * Rows fetched per round trip; memory stays bounded by this, however many rows match.
   * @default 500
   */
  readonly batchSize?: number;
}

/**
 * What every caller of a repository sees, whatever the backend.
 *
 * @typeParam T - the entity type
 * @typeParam ID - the id type
 * @typeParam C - the create input (generated fields optional)
 *
 * @example
 * ```ts
 * async function rename(users: Repository<User, number>, id: number, name: string) {
 *   const user = await users.getOrFail(id);
 *   return users.update(id, { name }, { expectedVersion: user.version });
 * }
 * ```
 */
export interface Repository<T extends object, ID, C = T> {
  /** Validates and stores a new entity. `DuplicateError` on a unique clash. */
  create(input: C): Promise<T>;
  /** Validates all inputs first, then stores them atomically in as few round trips as the backend allows. */
  createMany(inputs: readonly C[]): Promise<T[]>;
  /** The entity, or null. Read-through cache; concurrent calls are batched. */
  getById(id: ID): Promise<T | null>;
  /** The entities in the order asked, null where absent. */
  getByIds(ids: readonly ID[]): Promise<(T | null)[]>;
  /** The entity; `NotFoundError` when absent. */
  getOrFail(id: ID): Promise<T>;
  /** Applies a validated patch. `NotFoundError`, or `ConflictError` on a stale version. */
  update(id: ID, patch: Partial<Omit<T, never>>, options?: UpdateOptions): Promise<T>;
  /** Inserts or replaces the entity with the input's id. */
  upsert(input: C): Promise<T>;
  /** Removes the entity; false when it was not there. */
  delete(id: ID): Promise<boolean>;
  /** A keyset page: pass `cursor: null` first, then the previous page's `nextCursor`. */
  list(query: PageQuery<T>): Promise<Page<T>>;
  /** Entities matching a typed filter, sorted and bounded. */
  list(query?: ListQuery<T>): Promise<T[]>;
  /** Whether the entity exists. */
  exists(id: ID): Promise<boolean>;
  /** How many entities match. */
  count(filter?: Filter<T>): Promise<number>;
  /** Every matching entity, fetched in keyset batches with bounded memory. */
  stream(query?: Omit<ListQuery<T>, 'offset' | 'limit'>, options?: StreamOptions): AsyncIterable<T>;
}
