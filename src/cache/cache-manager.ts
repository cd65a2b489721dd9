import { ValidationError } from '../errors.js';
import type { EntityType, IdOf } from '../repository/entity.js';
import { CacheCore, type CacheCoreOptions, type EntryOptions, MISS } from './cache-core.js';
import type { CacheEventEmitter } from './cache-events.js';
import { type CacheStats, snapshotStats } from './cache-stats.js';
import { cacheTracing, tracedRead, tracedWrite } from './cache-tracing.js';
import { deepCopy } from './immutable.js';
import { assertName, plainKey, RememberedKeys, tagKey } from './keys.js';
import { type CacheableEntity, type EntityCacheOptions, ManagedEntityCache } from './managed-entity-cache.js';

/**
 * Options of {@link CacheManager}.
 *
 * @example
 * ```ts
 * const cache = new CacheManager({ namespace: 'shop', ttl: 60_000, l1: { maxEntries: 50_000 } });
 * ```
 */
export interface CacheManagerOptions extends CacheCoreOptions {
  /**
   * The namespace of every key (`{namespace}:…`), so applications and test runs sharing
   * a Redis never meet.
   * @default 'reposit'
   */
  readonly namespace?: string;
}

/**
 * Options of the free-form calls: timing plus the namespace.
 *
 * @example
 * ```ts
 * await cache.get('rates', { namespace: 'fx' });
 * ```
 */
export interface CallOptions extends EntryOptions {
  /** @default the manager's namespace */
  readonly namespace?: string;
}

/**
 * Options of {@link CacheManager.set}.
 *
 * @example
 * ```ts
 * await cache.set('rates', rates, { ttl: 10_000, tags: ['fx'] });
 * ```
 */
export interface SetOptions extends CallOptions {
  /** Tags to invalidate the entry by (`invalidateTags`). @default [] */
  readonly tags?: readonly string[];
}

/**
 * A two-tier cache: L1 in memory (lru-cache), L2 in Redis (`reposit/redis`), kept
 * coherent across processes by an invalidation bus. Reads never fail because of the
 * cache: a slow or dead Redis costs at most one command timeout, then the breaker skips
 * it until it recovers. Concurrent misses of a key load once; a load that races a write
 * never writes back the old value.
 *
 * @example
 * ```ts
 * import { CacheManager } from 'reposit';
 * import { RedisBus, RedisTier } from 'reposit/redis';
 *
 * const cache = new CacheManager({
 *   namespace: 'shop',
 *   l2: new RedisTier({ client: redis }),
 *   bus: new RedisBus({ client: redis }),
 *   ttl: 60_000,
 *   grace: 300_000,
 * });
 * const page = await cache.getOrLoad('home', () => renderHome(), { ttl: 5_000 });
 * const users = cache.forEntity<User, number>(User);
 * ```
 */
export class CacheManager {
  /** The default namespace. */
  readonly namespace: string;
  readonly #core: CacheCore;
  readonly #keys = new RememberedKeys((key: string) => plainKey(this.namespace, key));

  constructor(options: CacheManagerOptions = {}) {
    this.namespace = assertName('namespace', options.namespace ?? 'reposit');
    this.#core = new CacheCore(options);
  }

  /** Typed events: hits, misses, stale, loads, errors, breaker changes, bus deliveries. */
  get events(): CacheEventEmitter {
    return this.#core.events;
  }

  /**
   * Resolves once the bus subscription is up (immediately without a bus); rejects with a
   * typed error (e.g. `ConnectionError` for refused credentials) when the first attempt
   * fails. The bus keeps trying in the background all the same (`RedisBus`: backoff up to
   * 5 s); when it gets through, L1 is cleared and `bus:reconnected` is emitted, as after
   * any reconnection.
   *
   * @example
   * ```ts
   * await cache.ready();
   * ```
   */
  ready(): Promise<void> {
    return this.#core.ready;
  }

  /**
   * The fresh value under `key`, or undefined.
   *
   * @example
   * ```ts
   * const rates = await cache.get<Rates>('fx:rates');
   * ```
   */
  get<T>(key: string, options?: CallOptions): Promise<T | undefined> {
    let full: string;
    try {
      full = this.#key(key, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (cacheTracing()) {
      return tracedRead(
        this.#core,
        'cache.get',
        this.#attributes(options),
        [full],
        undefined,
        this.#core.timing(undefined),
      ).then((values) => values[0] as T | undefined);
    }
    const hit = this.#core.freshInL1(full);
    if (hit !== MISS) return Promise.resolve(hit as T | undefined);
    return this.#core.readRemoteOne(full) as Promise<T | undefined>;
  }

  /**
   * Fresh values under keys, in order (one MGET for the L1 misses).
   *
   * @example
   * ```ts
   * const [a, b] = await cache.getMany<Rates>(['fx:eur', 'fx:usd']);
   * ```
   */
  async getMany<T>(keys: readonly string[], options?: CallOptions): Promise<(T | undefined)[]> {
    const full = list('keys', keys).map((key) => this.#key(key, options));
    return (await tracedRead(
      this.#core,
      'cache.getMany',
      this.#attributes(options),
      full,
      undefined,
      this.#core.timing(undefined),
    )) as (T | undefined)[];
  }

  /**
   * Stores a value in both tiers (a copy of it: later changes to your object do not
   * reach the cache) and tells other processes to drop their copies.
   *
   * @example
   * ```ts
   * await cache.set('fx:rates', rates, { ttl: 30_000, tags: ['fx'] });
   * ```
   */
  async set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    const namespace = options?.namespace ?? this.namespace;
    const write = () =>
      this.#core.write(
        [
          {
            key: this.#key(key, options),
            value: deepCopy(value),
            tagKeys:
              options?.tags === undefined
                ? undefined
                : list('tags', options.tags).map((tag) => tagKey(namespace, tag)),
          },
        ],
        this.#core.timing(options),
      );
    await tracedWrite('cache.set', { ...this.#attributes(options), 'reposit.cache.keys': 1 }, write);
  }

  /**
   * Removes a key from every tier and every process.
   *
   * @example
   * ```ts
   * await cache.delete('fx:rates');
   * ```
   */
  async delete(key: string, options?: CallOptions): Promise<void> {
    // async (like deleteMany, invalidateTags): a bad key rejects rather than throws.
    const full = this.#key(key, options);
    return tracedWrite('cache.delete', { ...this.#attributes(options), 'reposit.cache.keys': 1 }, () =>
      this.#core.invalidate([full]),
    );
  }

  /**
   * Removes keys from every tier and every process.
   *
   * @example
   * ```ts
   * await cache.deleteMany(['fx:eur', 'fx:usd']);
   * ```
   */
  async deleteMany(keys: readonly string[], options?: CallOptions): Promise<void> {
    const full = list('keys', keys).map((key) => this.#key(key, options));
    return tracedWrite(
      'cache.delete',
      { ...this.#attributes(options), 'reposit.cache.keys': full.length },
      () => this.#core.invalidate(full),
    );
  }

  /**
   * The value under `key`, loading it on a miss: once per key however many callers
   * miss together, with stale-while-revalidate (`grace`), soft and hard loader timeouts
   * and negative caching (a loader returning undefined is remembered for `negativeTtl`).
   *
   * @example
   * ```ts
   * const user = await cache.getOrLoad(`user:${id}`, () => db.findUser(id), {
   *   ttl: 60_000, grace: 600_000, softTimeout: 50, hardTimeout: 2_000,
   * });
   * ```
   */
  async getOrLoad<T>(
    key: string,
    loader: () => Promise<T | undefined>,
    options?: CallOptions,
  ): Promise<T | undefined> {
    const [value] = await tracedRead(
      this.#core,
      'cache.getOrLoad',
      this.#attributes(options),
      [this.#key(key, options)],
      async () => [await loader()],
      this.#core.timing(options),
    );
    return value as T | undefined;
  }

  /**
   * Removes every key of a namespace, in every tier and process.
   *
   * @example
   * ```ts
   * await cache.clear();          // the default namespace
   * await cache.clear('reports');
   * ```
   */
  clear(namespace: string = this.namespace): Promise<void> {
    return this.#core.invalidatePrefix(`${assertName('namespace', namespace)}:`);
  }

  /**
   * Removes every key stored with one of these tags.
   *
   * @example
   * ```ts
   * await cache.invalidateTags(['fx']);
   * ```
   */
  async invalidateTags(tags: readonly string[], options?: { namespace?: string }): Promise<void> {
    const namespace = options?.namespace ?? this.namespace;
    return this.#core.invalidateTags(list('tags', tags).map((tag) => tagKey(namespace, tag)));
  }

  /**
   * The cache of one entity, for a repository (`new BaseRepository({ cache })`).
   *
   * @example
   * ```ts
   * const userCache = cache.forEntity<User, number>(User, { ttl: 30_000, strategy: 'write-through' });
   * ```
   */
  forEntity<E extends CacheableEntity & { readonly idField: string; readonly fieldSchema: unknown }>(
    entity: E,
    options?: EntityCacheOptions,
  ): ManagedEntityCache<EntityType<E>, IdOf<E>>;
  forEntity<T, ID>(entity: CacheableEntity, options?: EntityCacheOptions): ManagedEntityCache<T, ID>;
  forEntity<T, ID>(entity: CacheableEntity, options?: EntityCacheOptions): ManagedEntityCache<T, ID> {
    return new ManagedEntityCache<T, ID>(this.#core, this.namespace, entity, options);
  }

  /**
   * Counters and gauges: hits, misses, stale, loads, errors, breaker state, bus delay.
   *
   * @example
   * ```ts
   * const { l1, l2 } = cache.stats();
   * console.log(l1.hits / (l1.hits + l1.misses));
   * ```
   */
  stats(): CacheStats {
    return snapshotStats(this.#core.counters, this.#core.l1, this.#core.l2?.breaker.state);
  }

  /** Waits for background write-backs and retries running now (useful in tests and on shutdown). */
  settle(): Promise<void> {
    return this.#core.settle();
  }

  /**
   * Finishes background work and releases the connections the tiers and bus created.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => cache.close());
   * ```
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  #attributes(options: { namespace?: string } | undefined): Record<string, string> {
    return { 'reposit.cache.namespace': options?.namespace ?? this.namespace };
  }

  #key(key: string, options: CallOptions | undefined): string {
    if (options?.namespace !== undefined) return plainKey(assertName('namespace', options.namespace), key);
    return this.#keys.get(key);
  }
}

/** An array argument from a caller who may not be type-checked. */
function list<T>(name: string, value: readonly T[]): readonly T[] {
  if (Array.isArray(value)) return value;
  throw ValidationError.fromIssues(`Invalid cache ${name}`, [
    { path: name, message: `${name} must be an array`, code: 'invalid_type' },
  ]);
}
