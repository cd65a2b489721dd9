import { LRUCache } from 'lru-cache';
import type { CacheEntry } from './cache-entry.js';
import { deepCopy, protect } from './immutable.js';

/**
 * Options of the memory tier (L1).
 *
 * @example
 * ```ts
 * new CacheManager({ l1: { maxEntries: 100_000, maxBytes: 256 << 20, immutability: 'freeze' } });
 * ```
 */
export interface MemoryTierOptions {
  /**
   * Most entries held; the least recently used go first.
   * @default 10_000
   */
  readonly maxEntries?: number;
  /**
   * Most bytes held, counted as the length of each value's serialized form.
   * @default 67_108_864 (64 MiB)
   */
  readonly maxBytes?: number;
  /**
   * How callers are kept from corrupting cached values: `freeze` deep-freezes values
   * once (hits cost nothing; values holding Buffer, Map or Set are copied per read),
   * `copy` hands every reader its own deep copy. See docs/cache.md for measurements.
   * @default 'freeze'
   */
  readonly immutability?: 'freeze' | 'copy';
  /**
   * How many recent invalidations are remembered to refuse late write-backs of loads
   * that started before them (the cache-aside race). When one is forgotten, loads older
   * than it are refused too, so this bounds memory, never correctness.
   * @default 10_000
   */
  readonly invalidationMemory?: number;
}

interface Stored extends CacheEntry {
  readonly size: number;
  readonly copyOnRead: boolean;
}

/**
 * The L1 tier: a bounded in-process LRU (lru-cache) of protected values.
 *
 * It keeps the race rule of the cache-aside pattern: every invalidation is stamped with
 * a tick, and a write-back that carries the tick its load started at is refused when
 * the key was invalidated after that tick.
 *
 * @example
 * ```ts
 * const l1 = new MemoryTier({ maxEntries: 1000, maxBytes: 8 << 20 });
 * const since = l1.tick();
 * const value = await load();
 * l1.set('k', { value, expiresAt, staleUntil, negative: false }, 120, since);
 * ```
 */
export class MemoryTier {
  readonly #lru: LRUCache<string, Stored>;
  readonly #invalidated: LRUCache<string, number>;
  readonly #copyAlways: boolean;
  #tick = 0;
  #floor = 0;

  constructor(options: MemoryTierOptions = {}) {
    this.#lru = new LRUCache<string, Stored>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (entry) => Math.max(1, entry.size),
    });
    this.#invalidated = new LRUCache<string, number>({
      max: options.invalidationMemory ?? 10_000,
      dispose: (tick, _key, reason) => {
        if (reason === 'evict' && tick > this.#floor) this.#floor = tick;
      },
    });
    this.#copyAlways = options.immutability === 'copy';
  }

  /** How many entries are held. */
  get size(): number {
    return this.#lru.size;
  }

  /** Bytes held, as counted for `maxBytes`. */
  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  /** The current tick; pass it to {@link set} for a value whose load starts now. */
  tick(): number {
    return this.#tick;
  }

  /** The entry under a key (the value already safe to hand out), or undefined; drops dead entries. */
  get(key: string, now = Date.now()): CacheEntry | undefined {
    const stored = this.#lru.get(key);
    if (stored === undefined) return undefined;
    if (stored.staleUntil <= now) {
      this.#lru.delete(key);
      return undefined;
    }
    if (!stored.copyOnRead) return stored;
    return {
      value: deepCopy(stored.value),
      expiresAt: stored.expiresAt,
      staleUntil: stored.staleUntil,
      negative: stored.negative,
    };
  }

  /**
   * Stores an entry. With `since` (a {@link tick} taken before the value was loaded),
   * refuses it when the key was invalidated after that tick; returns whether it stored.
   * The value is frozen in place (or copied, in `copy` mode): give it a value no caller
   * holds, or a copy. Returns the value to hand to callers (frozen, or their own copy).
   */
  set(key: string, entry: CacheEntry, size: number, since?: number): { stored: boolean; value: unknown } {
    let value = entry.value;
    if (since !== undefined && !this.acceptsSince(key, since)) {
      return { stored: false, value: this.#copyAlways || entry.negative ? value : protect(value).value };
    }
    let copyOnRead = this.#copyAlways;
    if (!entry.negative) {
      if (this.#copyAlways) {
        value = deepCopy(value);
      } else {
        const safe = protect(value);
        value = safe.value;
        copyOnRead = safe.copyOnRead;
      }
    }
    // Fields listed, not spread: a spread copy here cost more than the rest of an L2 hit.
    this.#lru.set(key, {
      value,
      expiresAt: entry.expiresAt,
      staleUntil: entry.staleUntil,
      negative: entry.negative,
      size,
      copyOnRead,
    });
    // In copy mode L1 keeps a copy, so the value given here is the caller's own already.
    if (this.#copyAlways) return { stored: true, value: entry.value };
    return { stored: true, value: copyOnRead ? deepCopy(value) : value };
  }

  /** Whether a value loaded since `since` may still be stored under `key`. */
  acceptsSince(key: string, since: number): boolean {
    // Nothing was invalidated since the tick (the common case): no lookup needed.
    if (since === this.#tick) return true;
    if (since < this.#floor) return false;
    const at = this.#invalidated.get(key);
    return at === undefined || at <= since;
  }

  /** Drops keys and remembers the invalidation, so loads that started before it cannot write back. */
  invalidate(keys: Iterable<string>): void {
    const at = ++this.#tick;
    for (const key of keys) {
      this.#lru.delete(key);
      this.#invalidated.set(key, at);
    }
  }

  /** Drops every key starting with `prefix`; every load in flight is refused. */
  invalidatePrefix(prefix: string): void {
    const at = ++this.#tick;
    for (const key of this.#lru.keys()) {
      if (key.startsWith(prefix)) this.#lru.delete(key);
    }
    this.#floor = at;
  }

  /** Drops everything, and refuses every load in flight (used after the bus reconnects). */
  clear(): void {
    this.#floor = ++this.#tick;
    this.#lru.clear();
  }

  /** Every key held (for tests and diagnostics). */
  keys(): string[] {
    return [...this.#lru.keys()];
  }
}
