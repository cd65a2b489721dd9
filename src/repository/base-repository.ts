import { withPrimaryReads } from '../context/primary-reads.js';
import { currentContext } from '../context/request-context.js';
import { currentTransaction } from '../context/transaction-scope.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { activeTracer, SPAN_KIND, type TraceSpan, traced } from '../observability/tracing.js';
import { TypedEvents } from '../observability/typed-events.js';
import type { AuditAction, AuditEntry, AuditSink } from './audit.js';
import type { Backend } from './backend.js';
import type { Entity } from './entity.js';
import type { CommittedChange, EntityCache } from './entity-cache.js';
import type { RepositoryEvents, RepositoryHooks } from './hooks.js';
import { IdBatcher } from './id-batcher.js';
import { KeysetCursor } from './keyset-cursor.js';
import type { BackendQuery, Condition, Filter, ListQuery, NormalizedSort, Page, PageQuery } from './query.js';
import { isPlainObject, type QueryLimits, QueryNormalizer } from './query-normalizer.js';
import type { Repository, StreamOptions, UpdateOptions } from './repository.js';

/** What a repository logs: warnings about work that failed after a write committed. */
export interface RepositoryLogger {
  /** Logs a warning with its context. */
  warn(object: Record<string, unknown>, message: string): void;
}

/**
 * An entity as a repository of entity type `T`, id `ID` and create input `C` takes it
 * (what `defineEntity` returns).
 *
 * @example
 * ```ts
 * const entity: RepositoryEntity<User, number, UserInput> = User;
 * ```
 */
export type RepositoryEntity<T extends object, ID, C> = Omit<
  Entity<T, keyof T & string, keyof T & string>,
  'parseId' | '__createInput'
> & {
  /** Validates an id and returns it typed; a `ValidationError` otherwise. */
  parseId(id: unknown): ID;
  readonly __createInput?: C;
};

/** Options of {@link BaseRepository}. */
export interface RepositoryOptions<T extends object, ID, C> {
  /** The entity, from `defineEntity`. */
  readonly entity: RepositoryEntity<T, ID, C>;
  /** Where the entities are stored. */
  readonly backend: Backend<T, ID>;
  /**
   * The cache, usually `cacheManager.forEntity(entity)`.
   * @default undefined (no caching)
   */
  readonly cache?: EntityCache<T, ID>;
  /** Lifecycle hooks. @default {} */
  readonly hooks?: RepositoryHooks<T, ID, C>;
  /**
   * Records every create, update and delete in the same transaction as the write.
   * @default undefined (no audit trail)
   */
  readonly audit?: AuditSink;
  /**
   * Signs keyset cursors (HMAC-SHA256) so that tampered cursors are rejected. Without it
   * cursors are still fully validated.
   * @default undefined
   */
  readonly cursorSecret?: string;
  /** Bounds on queries. @default DEFAULT_QUERY_LIMITS */
  readonly limits?: Partial<QueryLimits>;
  /**
   * Coalesce the `getById` calls of one tick into one backend read.
   * @default true
   */
  readonly batchReads?: boolean;
  /** Page size of `list({ cursor })` when no limit is given. @default 50 */
  readonly defaultPageSize?: number;
  /** @default a logger that drops everything */
  readonly logger?: RepositoryLogger;
}

const silentLogger: RepositoryLogger = { warn() {} };

/**
 * The repository every entity gets: validation (zod), typed errors, read-through
 * caching, batched reads, keyset pagination, hooks, events and audit, over any
 * {@link Backend}. Extend it to add domain queries.
 *
 * @example
 * ```ts
 * const users = new BaseRepository({ entity: User, backend: new MemoryBackend(User) });
 * const ada = await users.create({ email: 'ada@example.com', name: 'Ada' });
 * await users.update(ada.id, { name: 'Ada L.' }, { expectedVersion: ada.version });
 * const page = await users.list({ where: { name: { ilike: 'ada%' } }, limit: 20, cursor: null });
 *
 * class UserRepository extends BaseRepository<User, number, UserInput> {
 *   findByEmail(email: string) { return this.list({ where: { email }, limit: 1 }).then((rows) => rows[0] ?? null); }
 * }
 * ```
 */
export class BaseRepository<T extends object, ID = unknown, C = T> implements Repository<T, ID, C> {
  /** Events emitted after writes commit. */
  readonly events: TypedEvents<RepositoryEvents<T, ID>>;
  protected readonly entity: RepositoryEntity<T, ID, C>;
  protected readonly backend: Backend<T, ID>;
  readonly #cache: EntityCache<T, ID> | undefined;
  readonly #hooks: RepositoryHooks<T, ID, C>;
  readonly #audit: AuditSink | undefined;
  readonly #normalizer: QueryNormalizer;
  readonly #cursor: KeysetCursor;
  readonly #batcher: IdBatcher<ID, T> | undefined;
  readonly #defaultPageSize: number;
  readonly #logger: RepositoryLogger;
  readonly #idField: string;
  readonly #transactional: boolean;
  readonly #spanAttributes: Record<string, string>;

  constructor(options: RepositoryOptions<T, ID, C>) {
    this.entity = options.entity;
    this.backend = options.backend;
    this.#cache = options.cache;
    this.#hooks = options.hooks ?? {};
    this.#audit = options.audit;
    this.#logger = options.logger ?? silentLogger;
    this.#normalizer = new QueryNormalizer(options.entity as Entity, options.limits);
    this.#cursor = new KeysetCursor(options.entity.name, this.#normalizer, options.cursorSecret);
    this.#defaultPageSize = options.defaultPageSize ?? 50;
    this.#idField = options.entity.idField;
    this.#spanAttributes = { 'reposit.entity': options.entity.name };
    this.#batcher =
      options.batchReads === false
        ? undefined
        : new IdBatcher<ID, T>(
            (ids) => this.#readMany(ids),
            (id) => id,
          );
    this.#transactional = Boolean(this.#audit || Object.keys(this.#hooks).length > 0);
    this.events = new TypedEvents((error, event) =>
      this.#logger.warn({ err: error, event, entity: this.entity.name }, 'repository event listener threw'),
    );
  }

  /** The entity's name. */
  get name(): string {
    return this.entity.name;
  }

  create(input: C): Promise<T> {
    return this.#traced('create', () => this.#create(input));
  }

  async #create(input: C): Promise<T> {
    const [created] = await this.#insert([input], 'create');
    return created!;
  }

  createMany(inputs: readonly C[]): Promise<T[]> {
    return this.#traced('createMany', () => this.#createMany(inputs));
  }

  async #createMany(inputs: readonly C[]): Promise<T[]> {
    if (!Array.isArray(inputs))
      throw new ValidationError(`createMany of ${this.entity.name} takes an array of inputs`, [], {
        entity: this.entity.name,
      });
    if (inputs.length === 0) return [];
    return this.#insert(inputs, 'createMany');
  }

  getById(id: ID): Promise<T | null> {
    return this.#traced('getById', (span) => this.#getById(id, span));
  }

  // Not async: the batcher's promise is handed back as it is (an async function would wrap
  // it in one more promise, and ticks of the event loop are most of a getById's own cost).
  #getById(id: ID, span: TraceSpan | undefined): Promise<T | null> {
    try {
      const parsed = this.entity.parseId(id);
      if (currentTransaction()) return this.#readOne(parsed);
      const cached = this.#cache?.freshNow?.(parsed);
      if (cached !== undefined) {
        // A synchronous L1 hit gets no cache span of its own: it is recorded here.
        span?.setAttribute('reposit.cache.hit_level', 'l1');
        return Promise.resolve(cached);
      }
      return this.#batcher ? this.#batcher.load(parsed) : this.#readOne(parsed);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #readOne(id: ID): Promise<T | null> {
    return (await this.#readMany([id]))[0] ?? null;
  }

  getByIds(ids: readonly ID[]): Promise<(T | null)[]> {
    return this.#traced('getByIds', () => this.#getByIds(ids));
  }

  async #getByIds(ids: readonly ID[]): Promise<(T | null)[]> {
    if (!Array.isArray(ids))
      throw new ValidationError(`getByIds of ${this.entity.name} takes an array of ids`, [], {
        entity: this.entity.name,
      });
    if (ids.length === 0) return [];
    const parsed = ids.map((id) => this.entity.parseId(id));
    const unique = [...new Set(parsed)];
    const values = await this.#readMany(unique);
    const byId = new Map(unique.map((id, index) => [id, values[index] ?? null]));
    return parsed.map((id) => byId.get(id) ?? null);
  }

  getOrFail(id: ID): Promise<T> {
    return this.#traced('getOrFail', () => this.#getOrFail(id));
  }

  async #getOrFail(id: ID): Promise<T> {
    const found = await this.getById(id);
    if (found === null) throw NotFoundError.forId(this.entity.name, id);
    return found;
  }

  exists(id: ID): Promise<boolean> {
    return this.#traced('exists', () => this.#exists(id));
  }

  async #exists(id: ID): Promise<boolean> {
    return (await this.getById(id)) !== null;
  }

  update(id: ID, patch: Partial<T>, options: UpdateOptions = {}): Promise<T> {
    return this.#traced('update', () => this.#update(id, patch, options));
  }

  async #update(id: ID, patch: Partial<T>, options: UpdateOptions): Promise<T> {
    const parsedId = this.entity.parseId(id);
    const expectedVersion = this.#expectedVersion(options, parsedId);
    const replaced = (await this.#hooks.beforeUpdate?.(parsedId, patch)) ?? patch;
    const versionField = this.entity.versionField;
    if (isPlainObject(replaced) && versionField && versionField in replaced) {
      throw ValidationError.fromIssues(
        `Invalid ${this.entity.name} update patch`,
        [
          {
            path: versionField,
            message: 'the version is maintained by the repository; pass { expectedVersion } instead',
            code: 'read_only',
          },
        ],
        { entity: this.entity.name, id: parsedId },
      );
    }
    const valid = this.entity.parsePatch(replaced) as Partial<T> & Record<string, unknown>;
    // `{ name: undefined }` means "leave name alone" (as in Kysely's set()); passed on, a
    // backend that spreads the patch would erase a required field.
    for (const key of Object.keys(valid)) if (valid[key] === undefined) delete valid[key];
    const updatedAt = this.entity.updatedAtField;
    if (updatedAt && valid[updatedAt] === undefined)
      (valid as Record<string, unknown>)[updatedAt] = new Date();
    const needsPrevious = Boolean(this.#audit || this.#hooks.afterUpdate);
    const { entity, previous } = await this.#write(async () => {
      const previous = needsPrevious ? await this.#readFresh(parsedId) : null;
      const entity = await this.backend.update(parsedId, valid, {
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
      });
      await this.#record('update', [{ id: parsedId, before: previous, after: entity }]);
      await this.#hooks.afterUpdate?.(entity, previous);
      return { entity, previous };
    });
    await this.#afterCommit([{ id: parsedId, value: entity }], () =>
      this.events.emit('updated', { entity, previous }),
    );
    return entity;
  }

  upsert(input: C): Promise<T> {
    return this.#traced('upsert', () => this.#upsert(input));
  }

  async #upsert(input: C): Promise<T> {
    const row = this.#prepareCreate(input, 0);
    const id = (row as Record<string, unknown>)[this.#idField];
    if (id === undefined) {
      throw ValidationError.fromIssues(
        `Invalid ${this.entity.name} upsert input`,
        [
          {
            path: this.#idField,
            message: 'upsert needs the id of the entity to insert or replace',
            code: 'invalid_type',
          },
        ],
        { entity: this.entity.name },
      );
    }
    const parsedId = id as ID;
    const { entity, previous } = await this.#write(async () => {
      const previous = this.#audit ? await this.#readFresh(parsedId) : null;
      const entity = await this.backend.upsert(row);
      await this.#record(previous ? 'update' : 'create', [{ id: parsedId, before: previous, after: entity }]);
      return { entity, previous };
    });
    await this.#afterCommit([{ id: parsedId, value: entity }], () =>
      this.events.emit('updated', { entity, previous }),
    );
    return entity;
  }

  delete(id: ID): Promise<boolean> {
    return this.#traced('delete', () => this.#delete(id));
  }

  async #delete(id: ID): Promise<boolean> {
    const parsedId = this.entity.parseId(id);
    await this.#hooks.beforeDelete?.(parsedId);
    const needsPrevious = Boolean(this.#audit || this.#hooks.afterDelete);
    const { deleted, previous } = await this.#write(async () => {
      const previous = needsPrevious ? await this.#readFresh(parsedId) : null;
      const deleted = await this.backend.delete(parsedId);
      if (deleted) {
        await this.#record('delete', [{ id: parsedId, before: previous, after: null }]);
        await this.#hooks.afterDelete?.(parsedId, previous);
      }
      return { deleted, previous };
    });
    if (deleted)
      await this.#afterCommit([{ id: parsedId, value: null }], () =>
        this.events.emit('deleted', { id: parsedId, previous }),
      );
    return deleted;
  }

  list(query: PageQuery<T>): Promise<Page<T>>;
  list(query?: ListQuery<T>): Promise<T[]>;
  list(query: ListQuery<T> | PageQuery<T> = {}): Promise<T[] | Page<T>> {
    return this.#traced('list', () => this.#list(query));
  }

  async #list(query: ListQuery<T> | PageQuery<T>): Promise<T[] | Page<T>> {
    if (!isPlainObject(query))
      throw new ValidationError(`list of ${this.entity.name} takes a query object`, [], {
        entity: this.entity.name,
      });
    if ('cursor' in query) return this.#page(query as unknown as PageQuery<T>);
    const where = this.#normalizer.filter(query.where);
    const orderBy = this.#normalizer.orderBy(query.orderBy);
    const bounds = this.#normalizer.bounds(query.limit, query.offset);
    return this.#find({ where, orderBy, ...bounds });
  }

  count(filter?: Filter<T>): Promise<number> {
    return this.#traced('count', () => this.#count(filter));
  }

  async #count(filter?: Filter<T>): Promise<number> {
    const where = this.#normalizer.filter(filter);
    if (!this.#cache || currentTransaction()) return this.backend.count(where);
    return this.#cache.getQuery(`count:${canonical(where)}`, () =>
      this.#loadForCache(() => this.backend.count(where)),
    );
  }

  async *stream(
    query: Omit<ListQuery<T>, 'offset' | 'limit'> = {},
    options: StreamOptions = {},
  ): AsyncIterable<T> {
    const batchSize = options.batchSize ?? 500;
    this.#normalizer.bounds(batchSize, undefined);
    const where = this.#normalizer.filter(query.where);
    const orderBy = this.#keysetOrder(query.orderBy);
    let after: Condition | undefined;
    for (;;) {
      const batch = await this.backend.find({ where: and(where, after), orderBy, limit: batchSize });
      for (const row of batch) yield row;
      if (batch.length < batchSize) return;
      const last = batch.at(-1) as Record<string, unknown>;
      after = KeysetCursor.conditionAfter(
        orderBy,
        orderBy.map((key) => last[key.field]),
      );
    }
  }

  /**
   * Loads these ids into the cache (no-op without one), in chunks, reporting progress.
   *
   * @example
   * ```ts
   * await users.warm(hotIds, ({ done, total }) => bar.update(done / total));
   * ```
   */
  async warm(
    ids: readonly ID[],
    onProgress?: (progress: { done: number; total: number }) => void,
    chunkSize = 500,
  ): Promise<void> {
    for (let start = 0; start < ids.length; start += chunkSize) {
      await this.getByIds(ids.slice(start, start + chunkSize));
      onProgress?.({ done: Math.min(start + chunkSize, ids.length), total: ids.length });
    }
  }

  /**
   * Runs `fn` so that every repository call inside it commits or rolls back together,
   * when the backend supports transactions (PostgreSQL does; prefer the
   * ConnectionManager's `transaction()` for options such as isolation).
   *
   * @example
   * ```ts
   * await users.transaction(async () => { await users.update(a, ...); await users.update(b, ...); });
   * ```
   */
  transaction<R>(fn: () => Promise<R>): Promise<R> {
    return this.backend.runInTransaction ? this.backend.runInTransaction(fn) : fn();
  }

  /** A `repository.<operation>` span, the parent of the cache and storage spans the call makes. */
  #traced<R>(operation: string, work: (span: TraceSpan | undefined) => Promise<R>): Promise<R> {
    if (activeTracer() === undefined) return work(undefined);
    return traced(`repository.${operation}`, SPAN_KIND.internal, this.#spanAttributes, work);
  }

  async #page(query: PageQuery<T>): Promise<Page<T>> {
    const where = this.#normalizer.filter(query.where);
    const orderBy = this.#keysetOrder(query.orderBy);
    const { limit = this.#defaultPageSize } = this.#normalizer.bounds(query.limit, undefined);
    const after = query.cursor === null ? undefined : this.#cursor.after(query.cursor, orderBy);
    const rows = await this.#find({ where: and(where, after), orderBy, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    const nextCursor =
      rows.length > limit && last ? this.#cursor.encode(orderBy, last as Record<string, unknown>) : null;
    return { items, nextCursor };
  }

  #keysetOrder(orderBy: unknown): NormalizedSort[] {
    const normalized = this.#normalizer.orderBy(orderBy);
    const nullable = normalized.filter((key) => this.entity.isNullable(key.field));
    if (nullable.length > 0) {
      throw ValidationError.fromIssues(
        `Invalid ${this.entity.name} sort for keyset pagination`,
        nullable.map((key) => ({
          path: `orderBy.${key.field}`,
          message: 'keyset pagination needs non-nullable sort fields',
          code: 'invalid_field',
        })),
        { entity: this.entity.name },
      );
    }
    return normalized;
  }

  async #find(query: BackendQuery): Promise<T[]> {
    if (!this.#cache || currentTransaction()) return this.backend.find(query);
    return this.#cache.getQuery(`list:${canonical(query)}`, () =>
      this.#loadForCache(() => this.backend.find(query)),
    );
  }

  /**
   * Runs a load whose result will be cached. What is cached must not predate a write that
   * invalidated it, and replicas may lag: so the load reads from the primary
   * (`withPrimaryReads`) — unless the backend says no read of it can reach a replica. Then
   * the context is skipped: entering it turns on async hooks for the whole process on
   * Node 20, which made every later promise slower (an L1-hit `getById` 148 → 259 ns,
   * bench/async-hooks-cost.ts).
   */
  #loadForCache<R>(load: () => Promise<R>): Promise<R> {
    return this.backend.mayReadFromReplicas?.() === false ? load() : withPrimaryReads(load);
  }

  async #readMany(ids: readonly ID[]): Promise<(T | null)[]> {
    if (!this.#cache || currentTransaction()) return this.#readFreshMany(ids);
    return this.#cache.getByIds(ids, async (missing) => {
      const rows = await this.#loadForCache(() => this.backend.findByIds(missing));
      return new Map(rows.map((row) => [(row as Record<string, unknown>)[this.#idField] as ID, row]));
    });
  }

  async #readFreshMany(ids: readonly ID[]): Promise<(T | null)[]> {
    const rows = await this.backend.findByIds(ids);
    if (ids.length === 1) {
      // The common single read: no map to build.
      const row = rows.find((candidate) => (candidate as Record<string, unknown>)[this.#idField] === ids[0]);
      return [row ?? null];
    }
    const byId = new Map(rows.map((row) => [(row as Record<string, unknown>)[this.#idField], row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async #readFresh(id: ID): Promise<T | null> {
    return (await this.#readFreshMany([id]))[0] ?? null;
  }

  async #insert(inputs: readonly C[], what: string): Promise<T[]> {
    const replaced: C[] = [];
    for (const input of inputs) replaced.push((await this.#hooks.beforeCreate?.(input)) ?? input);
    const rows: Partial<T>[] = [];
    const issues: ValidationError[] = [];
    replaced.forEach((input, index) => {
      try {
        rows.push(this.#prepareCreate(input, index));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issues.push(error);
        rows.push({});
      }
    });
    if (issues.length > 0) throw this.#mergeIssues(what, inputs.length, issues);
    const created = await this.#write(async () => {
      const created = await this.backend.insertMany(rows);
      await this.#record(
        'create',
        created.map((entity) => ({
          id: (entity as Record<string, unknown>)[this.#idField] as ID,
          before: null,
          after: entity,
        })),
      );
      for (const entity of created) await this.#hooks.afterCreate?.(entity);
      return created;
    });
    await this.#afterCommit(
      created.map((entity) => ({
        id: (entity as Record<string, unknown>)[this.#idField] as ID,
        value: entity,
      })),
      () => {
        for (const entity of created) this.events.emit('created', { entity });
      },
    );
    return created;
  }

  #prepareCreate(input: C, index: number): Partial<T> {
    try {
      const row = this.entity.parseCreate(input) as Record<string, unknown>;
      const now = new Date();
      const { versionField, createdAtField, updatedAtField } = this.entity;
      if (versionField && row[versionField] === undefined) row[versionField] = 1;
      if (createdAtField && row[createdAtField] === undefined) row[createdAtField] = now;
      if (updatedAtField && row[updatedAtField] === undefined) row[updatedAtField] = now;
      return row as Partial<T>;
    } catch (error) {
      if (error instanceof ValidationError) (error as { index?: number }).index = index;
      throw error;
    }
  }

  #mergeIssues(what: string, count: number, errors: ValidationError[]): ValidationError {
    if (count === 1) return errors[0]!;
    const issues = errors.flatMap((error) => {
      const index = (error as { index?: number }).index;
      return error.issues.map((issue) => ({
        ...issue,
        path: issue.path ? `${index}.${issue.path}` : String(index),
      }));
    });
    return ValidationError.fromIssues(
      `Invalid ${this.entity.name} ${what} input (nothing was written)`,
      issues,
      { entity: this.entity.name },
    );
  }

  #expectedVersion(options: UpdateOptions, id: ID): number | undefined {
    const expected = options?.expectedVersion;
    if (expected === undefined) return undefined;
    if (!this.entity.versionField) {
      throw new ValidationError(
        `${this.entity.name} has no version field, so expectedVersion cannot be checked`,
        [],
        { entity: this.entity.name, id },
      );
    }
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw ValidationError.fromIssues(
        `Invalid ${this.entity.name} update options`,
        [
          {
            path: 'expectedVersion',
            // Not String() for objects: it throws for null-prototype ones.
            message: `expected a whole number of at least 0, got ${typeof expected === 'object' && expected !== null ? 'an object' : String(expected)}`,
            code: 'invalid_value',
          },
        ],
        { entity: this.entity.name, id },
      );
    }
    return expected;
  }

  async #write<R>(work: () => Promise<R>): Promise<R> {
    if (this.#transactional && this.backend.runInTransaction) return this.backend.runInTransaction(work);
    return work();
  }

  async #record(action: AuditAction, changes: { id: ID; before: unknown; after: unknown }[]): Promise<void> {
    if (!this.#audit || changes.length === 0) return;
    const actor = currentContext()?.actor ?? null;
    const at = new Date();
    const entries: AuditEntry[] = changes.map((change) => ({
      entity: this.entity.name,
      entityId: String(change.id),
      action,
      before: change.before,
      after: change.after,
      actor,
      at,
    }));
    await this.#audit.record(entries);
  }

  async #afterCommit(changes: CommittedChange<T, ID>[], emit: () => void): Promise<void> {
    const publish = async () => {
      if (this.#cache) {
        try {
          await this.#cache.afterCommit(changes);
        } catch (error) {
          this.#logger.warn(
            { err: error, entity: this.entity.name },
            'cache invalidation after commit failed',
          );
        }
      }
      emit();
    };
    const transaction = currentTransaction();
    if (transaction) transaction.afterCommit(publish);
    else await publish();
  }
}

function and(left: Condition | undefined, right: Condition | undefined): Condition | undefined {
  if (!left) return right;
  if (!right) return left;
  return { kind: 'and', conditions: [left, right] };
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? `${item}n` : item)) ?? '';
}
