/**
 * What the core asks of an L2 tier: strings in, strings out, keys already built. The
 * Redis implementation lives in `reposit/redis`; the core never imports a client.
 *
 * Every key has a write generation (a counter bumped by each write or invalidation).
 * A loader reads the generation before it loads, and its write-back is refused when the
 * generation moved meanwhile: a slow load can never put back a value a concurrent write
 * has replaced (the cache-aside race).
 *
 * Timeouts, the circuit breaker, retries and error mapping are the core's job
 * (`GuardedRemote`), so an implementation stays plain and may simply throw.
 *
 * @example
 * ```ts
 * const cache = new CacheManager({ l2: new RedisTier({ client }) }); // RedisTier implements RemoteTier
 * ```
 */
export interface RemoteTier {
  /** A short name for stats and events, e.g. `redis`. */
  readonly name: string;
  /**
   * The last connection-level failure of the tier's own client (a refused certificate,
   * a closed port), to explain commands that failed without saying why; undefined while
   * connected.
   */
  readonly lastConnectionError?: unknown;
  /** The values under keys, null where absent, in one round trip where the store allows. */
  get(keys: readonly string[]): Promise<(string | null)[]>;
  /** The write generations of keys, as opaque tokens (null before the first write). */
  generations(keys: readonly string[]): Promise<(string | null)[]>;
  /** Stores each value only if its key's generation still equals the token read before loading. */
  setIfGeneration(entries: readonly RemoteConditionalWrite[]): Promise<boolean[]>;
  /**
   * Stores values as writes: bumps each key's generation, so loads in flight cannot
   * overwrite them. An entry with a `version` is skipped (false) when the same or a newer
   * version was written before.
   */
  set(entries: readonly RemoteWrite[]): Promise<boolean[]>;
  /** Bumps the generations and deletes the keys. */
  invalidate(keys: readonly string[]): Promise<void>;
  /** Deletes every key that starts with `prefix`. */
  clearPrefix(prefix: string): Promise<void>;
  /** Records keys as members of tag sets (kept at least `ttlMs`). */
  tag(tagKeys: readonly string[], key: string, ttlMs: number): Promise<void>;
  /** Removes the tag sets and returns their members. */
  takeTagged(tagKeys: readonly string[]): Promise<string[]>;
  /** Increments a counter and returns it (entity generations for list and count results). */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Reads a counter; 0 when absent. */
  counter(key: string): Promise<number>;
  /** Tries to take a short lock; true when taken (SET NX PX). */
  lock?(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock if this token still holds it. */
  unlock?(key: string, token: string): Promise<void>;
  /**
   * Calls `listener` each time the tier's connection is (re)established, so the circuit
   * breaker, open after an outage, probes at once instead of waiting out its reset
   * timeout. Optional: without it the breaker finds the tier back by itself, only later.
   * `close()` stops the calls.
   */
  onReady?(listener: () => void): void;
  /** Releases what the tier created (never the user's own client) and the listeners it added. */
  close(): Promise<void>;
}

/**
 * One write of {@link RemoteTier.set}.
 *
 * @example
 * ```ts
 * await tier.set([{ key: 'shop:{~home}', value: text, ttlMs: 60_000 }]);
 * ```
 */
export interface RemoteWrite {
  readonly key: string;
  readonly value: string;
  readonly ttlMs: number;
  /** The entity version written, for write-through ordering. @default undefined */
  readonly version?: number;
}

/**
 * One write of {@link RemoteTier.setIfGeneration}.
 *
 * @example
 * ```ts
 * const [generation] = await tier.generations([key]);
 * const value = await load();
 * await tier.setIfGeneration([{ key, value, ttlMs: 60_000, generation }]);
 * ```
 */
export interface RemoteConditionalWrite extends RemoteWrite {
  /** The generation token read before loading (null when there was none). */
  readonly generation: string | null;
}
