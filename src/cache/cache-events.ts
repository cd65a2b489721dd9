import type { BreakerState } from './circuit-breaker.js';
import type { RejectionReason } from './l2-signer.js';

/** Which tier an event or counter is about. */
export type CacheTier = 'l1' | 'l2';

/**
 * The events a CacheManager emits, with their payloads.
 *
 * @example
 * ```ts
 * cache.events.on('load', ({ keys, durationMs }) => metrics.observe('cache_load_ms', durationMs, { n: keys.length }));
 * ```
 */
export interface CacheEvents {
  /** A key was served by a tier. */
  hit: { readonly tier: CacheTier; readonly key: string };
  /** A key was not in a tier. */
  miss: { readonly tier: CacheTier; readonly key: string };
  /**
   * A value read from a tier was refused because its signature did not verify (the
   * `signing` option); it was treated as a miss.
   */
  rejected: {
    readonly tier: CacheTier;
    readonly key: string;
    readonly reason: RejectionReason;
  };
  /** A stale value was served while a refresh runs (grace). */
  stale: { readonly key: string };
  /** The loader ran for keys. */
  load: { readonly keys: readonly string[]; readonly durationMs: number; readonly ok: boolean };
  /**
   * A tier operation failed (the caller was not failed). L2 and bus failures arrive as
   * typed errors (`ConnectionError` for credentials, permissions, TLS and the network,
   * `TimeoutError`, `UnavailableError`) that carry nothing of the driver's command
   * arguments, so they are safe to log.
   */
  error: { readonly tier: CacheTier | 'bus'; readonly operation: string; readonly error: unknown };
  /** A tier's circuit breaker changed state. */
  breaker: { readonly tier: CacheTier; readonly state: BreakerState };
  /** An invalidation from another process arrived after this many milliseconds. */
  'bus:received': { readonly delayMs: number; readonly keys: number };
  /** The bus reconnected and L1 was cleared (messages may have been lost). */
  'bus:reconnected': Record<string, never>;
}

type Listener<E extends keyof CacheEvents> = (payload: CacheEvents[E]) => void;

/**
 * A small typed event emitter; emitting without listeners costs one property read.
 *
 * @example
 * ```ts
 * const off = cache.events.on('breaker', ({ tier, state }) => log.warn({ tier, state }, 'breaker'));
 * off();
 * ```
 */
export class CacheEventEmitter {
  readonly #listeners: { [E in keyof CacheEvents]?: Listener<E>[] } = {};

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends keyof CacheEvents>(event: E, listener: Listener<E>): () => void {
    let list = this.#listeners[event] as Listener<E>[] | undefined;
    if (!list) {
      list = [];
      (this.#listeners as Record<string, unknown>)[event] = list;
    }
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  /** Whether anyone listens to `event` (to skip building payloads). */
  has(event: keyof CacheEvents): boolean {
    return (this.#listeners[event]?.length ?? 0) > 0;
  }

  /** Calls the listeners; a throwing listener never breaks the cache. */
  emit<E extends keyof CacheEvents>(event: E, payload: CacheEvents[E]): void {
    const list = this.#listeners[event] as Listener<E>[] | undefined;
    if (!list || list.length === 0) return;
    for (const listener of list) {
      try {
        listener(payload);
      } catch {
        // Listeners are observers; their bugs must not fail reads.
      }
    }
  }
}
