import type { CommittedChange, EntityCache } from '../repository/entity-cache.js';
import { type CacheCore, type EntryOptions, MISS } from './cache-core.js';
import type { CacheStrategy } from './cache-strategy.js';
import { cacheTracing, tracedRead } from './cache-tracing.js';
import { EntityKeys } from './keys.js';

/**
 * Options of `CacheManager.forEntity`.
 *
 * @example
 * ```ts
 * cache.forEntity(User, { strategy: 'write-through', ttl: 300_000, queryTtl: 10_000 });
 * ```
 */
export interface EntityCacheOptions extends EntryOptions {
  /**
   * The namespace of this entity's keys.
   * @default the manager's namespace
   */
  readonly namespace?: string;
  /** @default 'read-through' */
  readonly strategy?: CacheStrategy;
  /**
   * How long list and count results stay fresh.
   * @default the entry ttl
   */
  readonly queryTtl?: number;
}

/**
 * What `forEntity` needs of an entity: its name and cached shape version.
 *
 * @example
 * ```ts
 * cache.forEntity<Row, string>({ name: 'report', schemaVersion: 2 });
 * ```
 */
export interface CacheableEntity {
  readonly name: string;
  /** @default 1 */
  readonly schemaVersion?: number;
  /**
   * The optimistic-locking field: write-throughs compare it, so one that arrives after a
   * newer one (out of commit order) is dropped.
   * @default undefined
   */
  readonly versionField?: string;
}

/**
 * The {@link EntityCache} a CacheManager gives a repository: ids through L1 → L2 →
 * backend (one MGET for many ids), list and count results under the entity's
 * generation, so one write makes every older result unreachable.
 *
 * @example
 * ```ts
 * const users = cache.forEntity<User, number>(User, { ttl: 30_000 });
 * const [a, b] = await users.getByIds([1, 2], (missing) => loadUsers(missing));
 * ```
 */
export class ManagedEntityCache<T, ID> implements EntityCache<T, ID> {
  /** The key builder of this entity. */
  readonly keys: EntityKeys;
  readonly strategy: CacheStrategy;
  readonly #core: CacheCore;
  readonly #timing: ReturnType<CacheCore['timing']>;
  readonly #queryTiming: ReturnType<CacheCore['timing']>;
  #localGeneration = 0;
  readonly #versionField: string | undefined;
  readonly #spanAttributes: Record<string, string>;

  constructor(core: CacheCore, namespace: string, entity: CacheableEntity, options: EntityCacheOptions = {}) {
    this.#core = core;
    this.keys = new EntityKeys(options.namespace ?? namespace, entity.name, entity.schemaVersion ?? 1);
    this.strategy = options.strategy ?? 'read-through';
    this.#versionField = entity.versionField;
    this.#spanAttributes = {
      'reposit.cache.namespace': options.namespace ?? namespace,
      'reposit.cache.entity': entity.name,
    };
    this.#timing = core.timing(
      this.strategy === 'cache-aside' ? { ...options, grace: 0, lock: false } : options,
    );
    this.#queryTiming = core.timing({ ...options, ttl: options.queryTtl ?? options.ttl, negativeTtl: 0 });
  }

  /**
   * The fresh L1 value of an id, synchronously (null for a cached absence), or undefined
   * when the id must be read through `getByIds`.
   *
   * @example
   * ```ts
   * users.freshNow(1); // { id: 1, … } when L1 holds a fresh copy
   * ```
   */
  freshNow(id: ID): T | null | undefined {
    const hit = this.#core.freshInL1(this.keys.id(id));
    if (hit === MISS) return undefined;
    return (hit ?? null) as T | null;
  }

  async getByIds(
    ids: readonly ID[],
    load: (missing: readonly ID[]) => Promise<ReadonlyMap<ID, T>>,
  ): Promise<(T | null)[]> {
    if (ids.length === 1 && !cacheTracing()) {
      const hit = this.#core.freshInL1(this.keys.id(ids[0]));
      if (hit !== MISS) return [(hit ?? null) as T | null];
    }
    const byKey = new Map<string, ID>();
    const order = ids.map((id) => {
      const key = this.keys.id(id);
      byKey.set(key, id);
      return key;
    });
    const unique = [...byKey.keys()];
    const values = await tracedRead(
      this.#core,
      'cache.getOrLoad',
      this.#spanAttributes,
      unique,
      async (keys) => {
        const found = await load(keys.map((key) => byKey.get(key)!));
        return keys.map((key) => found.get(byKey.get(key)!));
      },
      this.#timing,
      this.strategy !== 'cache-aside',
    );
    const byUnique = new Map(unique.map((key, i) => [key, values[i]]));
    return order.map((key) => (byUnique.get(key) ?? null) as T | null);
  }

  async getQuery<R>(queryKey: string, load: () => Promise<R>): Promise<R> {
    const generation = await this.#generation();
    if (generation === undefined) return load();
    const key = this.keys.query(generation, queryKey);
    const [value] = await this.#core.read([key], async () => [await load()], this.#queryTiming, true);
    return value as R;
  }

  async afterCommit(changes: readonly CommittedChange<T, ID>[]): Promise<void> {
    const generation = this.keys.generation();
    this.#localGeneration++;
    if (this.strategy === 'write-through') return this.write(changes);
    await this.#core.invalidate([...changes.map((change) => this.keys.id(change.id)), generation]);
  }

  /**
   * What this process's L1 holds for ids, without loading or touching L2: the value,
   * null for a cached absence, undefined when not held. For diagnostics and tests.
   *
   * @example
   * ```ts
   * users.peek([1, 2]); // [{ id: 1, … }, undefined]
   * ```
   */
  peek(ids: readonly ID[]): (T | null | undefined)[] {
    return ids.map((id) => {
      const entry = this.#core.l1.get(this.keys.id(id));
      if (entry === undefined) return undefined;
      return entry.negative ? null : (entry.value as T);
    });
  }

  /**
   * Writes values into both tiers as the new truth (and drops ids whose value is null),
   * whatever the strategy; for writes the repository does not see, such as the
   * write-behind queue acknowledging a write before the backend has it.
   *
   * @example
   * ```ts
   * await users.write([{ id: 1, value: { id: 1, name: 'Ada' } }]);
   * ```
   */
  async write(changes: readonly CommittedChange<T, ID>[]): Promise<void> {
    const versionField = this.#versionField;
    if (versionField) {
      // Versioned entities: every change is a versioned write, a deletion a versioned
      // "absent" that outranks any version, so out-of-order write-throughs cannot go back.
      await this.#core.write(
        changes
          .map((change) => ({
            key: this.keys.id(change.id),
            value: change.value ?? undefined,
            version:
              change.value === null
                ? Number.MAX_SAFE_INTEGER
                : Number((change.value as Record<string, unknown>)[versionField] ?? Number.NaN),
          }))
          .map((item) => (Number.isFinite(item.version) ? item : { key: item.key, value: item.value })),
        this.#timing,
      );
      await this.#core.invalidate([this.keys.generation()]);
      return;
    }
    const written = changes.filter((change) => change.value !== null);
    if (written.length > 0) {
      await this.#core.write(
        written.map((change) => ({ key: this.keys.id(change.id), value: change.value })),
        this.#timing,
      );
    }
    const removed = changes
      .filter((change) => change.value === null)
      .map((change) => this.keys.id(change.id));
    await this.#core.invalidate([...removed, this.keys.generation()]);
  }

  /** Drops ids from every tier and every process (for writes made outside the repository). */
  invalidate(ids: readonly ID[]): Promise<void> {
    return this.#core.invalidate([...ids.map((id) => this.keys.id(id)), this.keys.generation()]);
  }

  /**
   * Loads ids from the backend in chunks and stores them, reporting progress; ids the
   * backend lacks are cached as absent.
   *
   * @example
   * ```ts
   * await users.warm(ids, (missing) => loadUsers(missing), { onProgress: (done, total) => log(done, total) });
   * ```
   */
  async warm(
    ids: readonly ID[],
    load: (ids: readonly ID[]) => Promise<ReadonlyMap<ID, T>>,
    options: { chunkSize?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    const chunkSize = options.chunkSize ?? 500;
    let done = 0;
    let found = 0;
    for (let start = 0; start < ids.length; start += chunkSize) {
      const chunk = ids.slice(start, start + chunkSize);
      const values = await this.getByIds(chunk, load);
      found += values.filter((value) => value !== null).length;
      done += chunk.length;
      options.onProgress?.(done, ids.length);
    }
    return found;
  }

  /**
   * The entity generation, as a token: the write generation of the entity's generation
   * key, bumped by every `afterCommit`. Undefined when it cannot be known (L2 down, or a
   * bus without L2), and then query results are not cached.
   */
  async #generation(): Promise<string | undefined> {
    const key = this.keys.generation();
    const core = this.#core;
    if (!core.l2) return core.bus ? undefined : `l${this.#localGeneration}`;
    const cached = core.l1.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.value as string;
    const since = core.l1.tick();
    const token = await core.remoteGeneration(key);
    if (token === undefined) return undefined;
    const now = Date.now();
    const ttl = Math.min(this.#queryTiming.ttl, 60_000);
    core.l1.set(
      key,
      { value: token, expiresAt: now + ttl, staleUntil: now + ttl, negative: false },
      16,
      since,
    );
    return token;
  }
}
