import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ValidationError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { InvalidationBus, InvalidationMessage } from './bus.js';
import { CacheCounters } from './cache-counters.js';
import { type CacheEntry, decodeEntry, encodeEntry } from './cache-entry.js';
import { CacheEventEmitter } from './cache-events.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import { coarseNow } from './coarse-clock.js';
import { FAILED, GuardedRemote } from './guarded-remote.js';
import { generationKey } from './keys.js';
import { L2Signer, type L2SigningOptions } from './l2-signer.js';
import { MemoryTier, type MemoryTierOptions } from './memory-tier.js';
import { remoteError } from './remote-error.js';
import type { RemoteTier, RemoteWrite } from './remote-tier.js';
import { deserializeFrozen, richJsonSerializer, type Serializer } from './serializer.js';
import { SingleFlight } from './single-flight.js';
import { withTimeout } from './with-timeout.js';

/**
 * Per-read and per-write timing options; each falls back to the manager's default.
 *
 * @example
 * ```ts
 * await cache.getOrLoad('report', build, { ttl: 30_000, grace: 600_000, softTimeout: 50, hardTimeout: 2_000 });
 * ```
 */
export interface EntryOptions {
  /**
   * How long a value stays fresh, in milliseconds.
   * @default 60_000
   */
  readonly ttl?: number;
  /**
   * How long after `ttl` a stale value may still be served while a refresh runs
   * (stale-while-revalidate). 0 turns it off.
   * @default 0
   */
  readonly grace?: number;
  /**
   * Fraction of `ttl` randomly taken off each entry, so entries written together do
   * not expire together.
   * @default 0.1
   */
  readonly jitter?: number;
  /**
   * How long "the loader found nothing" is remembered. 0 turns negative caching off.
   * @default 5_000
   */
  readonly negativeTtl?: number;
  /**
   * With a stale value at hand, how long to wait for the loader before serving the
   * stale value (the load goes on in the background). Undefined: serve stale at once.
   * @default undefined
   */
  readonly softTimeout?: number;
  /**
   * The longest any caller waits for a loader; then a TimeoutError (or the stale
   * value, when there is one). Undefined: wait as long as the loader takes.
   * @default undefined
   */
  readonly hardTimeout?: number;
  /**
   * Take a short Redis lock (SET NX PX) before loading, so a fleet of processes loads a
   * key once; others wait up to `lockWait` for the value, then load anyway.
   * @default false
   */
  readonly lock?: boolean;
  /**
   * How long a process waits for another's load under `lock`.
   * @default 2_000
   */
  readonly lockWait?: number;
}

/**
 * Options of the cache core (the options of `CacheManager`).
 *
 * @example
 * ```ts
 * new CacheManager({ l2: new RedisTier({ client }), l2Timeout: 30, breaker: { failureThreshold: 3 } });
 * ```
 */
export interface CacheCoreOptions extends EntryOptions {
  /** The L1 memory tier. @default {} (10 000 entries, 64 MiB, frozen values) */
  readonly l1?: MemoryTierOptions;
  /** The L2 tier, e.g. `new RedisTier(...)` from `reposit/redis`. @default undefined (L1 only) */
  readonly l2?: RemoteTier;
  /** The invalidation bus, e.g. `new RedisBus(...)`. @default undefined (single process) */
  readonly bus?: InvalidationBus;
  /** How values are stored in L2. @default richJsonSerializer */
  readonly serializer?: Serializer;
  /**
   * The timeout of every L2 command, in milliseconds.
   * @default 50
   */
  readonly l2Timeout?: number;
  /** The L2 circuit breaker. @default { failureThreshold: 5, resetTimeoutMs: 1000 } */
  readonly breaker?: CircuitBreakerOptions;
  /**
   * Sign every L2 value (HMAC-SHA256 over key and value) and refuse, as a miss, any value
   * whose signature does not verify: whoever can write to Redis cannot plant an entry.
   * @default undefined (values are not signed)
   */
  readonly signing?: L2SigningOptions;
  /**
   * Where the cache reports what an operator must see, at warn: a refused L2 value (with
   * the cache key and the reason) and every `error` event (L2 and bus failures, already
   * typed and stripped of driver arguments). No line carries a password or a signing key.
   * @default undefined (nothing is logged; events are emitted either way)
   */
  readonly logger?: Logger;
}

interface Timing {
  readonly ttl: number;
  readonly grace: number;
  readonly jitter: number;
  readonly negativeTtl: number;
  readonly softTimeout: number | undefined;
  readonly hardTimeout: number | undefined;
  readonly lock: boolean;
  readonly lockWait: number;
}

/**
 * How the keys of one read were served, counted by {@link CacheCore.read} when asked
 * (for span attributes): fresh in L1, fresh in L2, from a stale entry (served stale or
 * refreshed within the soft timeout), from the loader, or not at all (no loader).
 */
export interface ReadOutcome {
  l1: number;
  l2: number;
  stale: number;
  loaded: number;
  missed: number;
}

/** A batch loader: values for keys, in order; undefined where nothing exists. */
export type KeyLoader = (keys: readonly string[]) => Promise<readonly unknown[]>;

/** One value to write, with its tags' keys. */
export interface CoreWrite {
  readonly key: string;
  /** The value; undefined writes "absent" (a negative entry). */
  readonly value: unknown;
  readonly tagKeys?: readonly string[];
  /** The entity version, so write-throughs arriving out of commit order cannot go back. */
  readonly version?: number;
}

const ABSENT = undefined;

/** Returned by {@link CacheCore.freshInL1} when L1 has no fresh value. */
export const MISS: unique symbol = Symbol('reposit.cache.miss');

/**
 * The cache machinery on full keys: L1 → L2 → loader reads with single-flight,
 * generation-checked write-backs, invalidation with retries and the bus. CacheManager
 * and the entity caches are thin layers over it.
 */
export class CacheCore {
  readonly l1: MemoryTier;
  readonly l2: GuardedRemote | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly events = new CacheEventEmitter();
  readonly counters = new CacheCounters();
  readonly serializer: Serializer;
  readonly origin = randomUUID();
  readonly #signer: L2Signer | undefined;
  /** L2 values of the default serializer are frozen as they are parsed (L1 would freeze them next). */
  readonly #freezeOnParse: boolean;
  readonly #logger: Logger | undefined;
  readonly #defaults: Timing;
  readonly #flights = new SingleFlight<string, unknown>();
  readonly #localTags = new Map<string, Set<string>>();
  readonly #versions = new LRUCache<string, number>({ max: 10_000 });
  readonly #retryKeys = new Set<string>();
  /** Keys another process could not invalidate in L2 yet, until when L2 is not trusted for them. */
  readonly #l2Pending = new Map<string, number>();
  readonly #retryPrefixes = new Set<string>();
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay = 50;
  readonly #background = new Set<Promise<unknown>>();
  readonly ready: Promise<void>;
  #closed = false;

  constructor(options: CacheCoreOptions = {}) {
    this.l1 = new MemoryTier(options.l1);
    this.serializer = options.serializer ?? richJsonSerializer;
    this.#freezeOnParse = this.serializer === richJsonSerializer && options.l1?.immutability !== 'copy';
    this.#signer = options.signing === undefined ? undefined : new L2Signer(options.signing);
    this.#logger = options.logger;
    if (this.#logger) {
      const logger = this.#logger;
      // Errors reach the event already typed and stripped of driver arguments.
      this.events.on('error', ({ tier, operation, error }) =>
        logger.warn(
          { tier, operation, err: error },
          'cache tier operation failed; the call went on without it',
        ),
      );
    }
    this.l2 = options.l2
      ? new GuardedRemote(
          options.l2,
          { timeoutMs: options.l2Timeout ?? 50, breaker: options.breaker },
          this.events,
          this.counters,
        )
      : undefined;
    this.bus = options.bus;
    this.#defaults = resolveTiming(options, undefined);
    this.ready = this.bus
      ? this.bus.subscribe({
          onMessage: (message, sentAt) => this.#onBusMessage(message, sentAt),
          onReconnect: () => {
            this.counters.busReconnects++;
            this.l1.clear();
            this.#flights.forget(this.#allFlightKeys());
            this.events.emit('bus:reconnected', {});
          },
          onError: (error) =>
            this.events.emit('error', {
              tier: 'bus',
              operation: 'bus',
              error: remoteError(error, 'bus', 'bus'),
            }),
        })
      : Promise.resolve();
    // A failed subscription rejects ready() with a typed error (the driver's error holds
    // the AUTH arguments), and is reported as an event; an application that never awaits
    // ready() must not die of an unhandled rejection.
    this.ready = this.ready.catch((error: unknown) => {
      const typed = remoteError(error, 'bus', 'subscribe');
      this.events.emit('error', { tier: 'bus', operation: 'subscribe', error: typed });
      throw typed;
    });
    this.ready.catch(() => {});
  }

  /** The timing of one call: its options over the defaults. */
  timing(options: EntryOptions | undefined): Timing {
    return options ? resolveTiming(options, this.#defaults) : this.#defaults;
  }

  /**
   * The fresh L1 value of one key, synchronously, or {@link MISS}: the hot path of a
   * hit, without allocating or awaiting.
   */
  freshInL1(key: string): unknown {
    const now = coarseNow();
    const entry = this.l1.get(key, now);
    if (entry === undefined || entry.expiresAt <= now) return MISS;
    this.counters.l1Hits++;
    if (this.events.has('hit')) this.events.emit('hit', { tier: 'l1', key });
    return entry.negative ? ABSENT : entry.value;
  }

  /**
   * Reads keys through L1 and L2; with a loader, loads what is missing (once per key,
   * however many callers miss it together) and writes it back. Returns the values in
   * order; undefined where nothing exists.
   */
  async read(
    keys: readonly string[],
    load: KeyLoader | undefined,
    timing: Timing,
    coalesce = true,
    outcome?: ReadOutcome,
  ): Promise<unknown[]> {
    const now = coarseNow();
    const out = new Array<unknown>(keys.length);
    let pending: number[] | undefined;
    let stale: Map<number, CacheEntry> | undefined;
    const emitHits = this.events.has('hit');
    for (let i = 0; i < keys.length; i++) {
      const entry = this.l1.get(keys[i]!, now);
      if (entry !== undefined && entry.expiresAt > now) {
        this.counters.l1Hits++;
        if (emitHits) this.events.emit('hit', { tier: 'l1', key: keys[i]! });
        if (outcome) outcome.l1++;
        out[i] = entry.negative ? ABSENT : entry.value;
        continue;
      }
      this.counters.l1Misses++;
      if (entry !== undefined) {
        stale ??= new Map();
        stale.set(i, entry);
      }
      pending ??= [];
      pending.push(i);
    }
    if (pending === undefined) return out;
    stale ??= new Map();

    const generations = new Map<string, string | null>();
    let missing = pending;
    if (this.l2) {
      const since = this.l1.tick();
      const withGenerations = load !== undefined;
      const wanted = pending.map((i) => keys[i]!);
      const values = await this.l2.getBatched(
        withGenerations ? [...wanted, ...wanted.map(generationKey)] : wanted,
      );
      if (values !== FAILED) {
        missing = this.#takeRemote(
          keys,
          pending,
          values,
          since,
          out,
          stale,
          withGenerations ? generations : undefined,
        );
      }
    }
    if (outcome) {
      outcome.l2 += pending.length - missing.length;
      if (load === undefined) outcome.missed += missing.length;
      else for (const index of missing) outcome[stale.has(index) ? 'stale' : 'loaded']++;
    }
    if (missing.length === 0 || load === undefined) return out;

    const waits = this.#loadMissing(
      missing.map((i) => keys[i]!),
      load,
      timing,
      generations,
      coalesce,
    );
    await Promise.all(
      missing.map(async (index, j) => {
        const staleEntry = stale.get(index);
        const flight = waits[j]!;
        if (staleEntry !== undefined) {
          out[index] = await this.#serveStale(keys[index]!, staleEntry, flight, timing);
          return;
        }
        out[index] =
          timing.hardTimeout === undefined
            ? await flight
            : await withTimeout(flight, timing.hardTimeout, `Loading ${keys[index]!}`);
      }),
    );
    return out;
  }

  /**
   * One key through L2 without a loader, after L1 missed: the path of `CacheManager.get`,
   * kept to one promise and no per-read maps (a cold L2 hit pays for every object and
   * every layer it touches).
   */
  readRemoteOne(key: string): Promise<unknown> {
    this.counters.l1Misses++;
    const l2 = this.l2;
    if (l2 === undefined) return Promise.resolve(ABSENT);
    const since = this.l1.tick();
    return new Promise((resolve) => {
      l2.readBatched([key], (values, offset) => {
        if (values === FAILED) return resolve(ABSENT);
        // The L1 clock (at most ~1 ms behind): reading the system clock costs more than the rest here.
        const now = coarseNow();
        const entry = this.#promote(key, values[offset], now, since);
        resolve(entry === undefined || entry.expiresAt <= now ? ABSENT : entry.value);
      });
    });
  }

  /**
   * Takes what L2 answered for the pending keys (values, then generations when asked):
   * fresh values into `out` and L1, stale ones into `stale`; returns the indexes still missing.
   */
  #takeRemote(
    keys: readonly string[],
    pending: number[],
    values: readonly (string | null)[],
    since: number,
    out: unknown[],
    stale: Map<number, CacheEntry>,
    generations: Map<string, string | null> | undefined,
  ): number[] {
    const now = Date.now();
    const missing: number[] = [];
    for (let j = 0; j < pending.length; j++) {
      const index = pending[j]!;
      const key = keys[index]!;
      if (generations) generations.set(key, values[pending.length + j] ?? null);
      const entry = this.#promote(key, values[j], now, since);
      if (entry === undefined) {
        missing.push(index);
      } else if (entry.expiresAt > now) {
        out[index] = entry.value;
      } else {
        const known = stale.get(index);
        if (known === undefined || known.expiresAt < entry.expiresAt) stale.set(index, entry);
        missing.push(index);
      }
    }
    return missing;
  }

  /**
   * What L2 answered for one key, counted as a hit or a miss: a live entry is decoded,
   * stored in L1 (under the tick rule) and returned holding the value callers may have;
   * undefined for a miss, a dead or untrusted entry.
   */
  #promote(key: string, text: string | null | undefined, now: number, since: number): CacheEntry | undefined {
    // While an invalidation of the key has not reached L2, L2 may still hold the value
    // that write replaced: treat it as a miss, so it is loaded instead.
    const entry = text == null || this.#l2Untrusted(key, now) ? undefined : this.#decode(key, text);
    if (entry === undefined || entry.staleUntil <= now) {
      this.counters.l2Misses++;
      if (this.events.has('miss')) this.events.emit('miss', { tier: 'l2', key });
      return undefined;
    }
    const held = this.l1.set(key, entry, text!.length, since).value;
    if (entry.expiresAt > now) {
      this.counters.l2Hits++;
      if (this.events.has('hit')) this.events.emit('hit', { tier: 'l2', key });
    }
    if (entry.negative || held === entry.value) return entry;
    return { value: held, expiresAt: entry.expiresAt, staleUntil: entry.staleUntil, negative: false };
  }

  /** Whether an invalidation of the key (this process's, or another's) has not reached L2 yet. */
  #l2Untrusted(key: string, now: number): boolean {
    if (this.#retryKeys.size === 0 && this.#l2Pending.size === 0) return false;
    if (this.#retryKeys.has(key)) return true;
    const until = this.#l2Pending.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#l2Pending.delete(key);
    return false;
  }

  #decode(key: string, stored: string): CacheEntry | undefined {
    const text = this.#verified(key, stored);
    if (text === undefined) return undefined;
    const parts = decodeEntry(text);
    if (parts === null) return undefined;
    try {
      const value = parts.negative ? ABSENT : this.#deserialize(parts.body);
      return { value, expiresAt: parts.expiresAt, staleUntil: parts.staleUntil, negative: parts.negative };
    } catch (error) {
      this.events.emit('error', { tier: 'l2', operation: `decode ${key}`, error });
      return undefined;
    }
  }

  #deserialize(body: string): unknown {
    return this.#freezeOnParse ? deserializeFrozen(body) : this.serializer.deserialize(body);
  }

  /** The text of a stored L2 value, or undefined when signing is on and it does not verify. */
  #verified(key: string, stored: string): string | undefined {
    if (this.#signer === undefined) return stored;
    const text = this.#signer.verify(key, stored);
    if (text !== 'unsigned' && text !== 'bad-signature') return text;
    // Left in place: the next load's write-back replaces it (deleting would bump the
    // generation and refuse that very write-back).
    this.counters.l2Rejected++;
    this.events.emit('rejected', { tier: 'l2', key, reason: text });
    this.#logger?.warn({ tier: 'l2', key, reason: text }, 'L2 value refused: its signature does not verify');
    return undefined;
  }

  /** What to store in L2 under `key`: the text, signed when signing is on. */
  #sealed(key: string, text: string): string {
    return this.#signer === undefined ? text : this.#signer.sign(key, text);
  }

  async #serveStale(
    key: string,
    entry: CacheEntry,
    flight: Promise<unknown>,
    timing: Timing,
  ): Promise<unknown> {
    const staleValue = entry.negative ? ABSENT : entry.value;
    const served = () => {
      this.counters.staleServed++;
      this.events.emit('stale', { key });
      return staleValue;
    };
    flight.catch(() => {});
    if (timing.softTimeout === undefined) return served();
    try {
      return await withTimeout(flight, timing.softTimeout, `Loading ${key}`);
    } catch {
      return served();
    }
  }

  /** Joins running loads, and starts one batch for the keys nobody loads yet. */
  #loadMissing(
    keys: readonly string[],
    load: KeyLoader,
    timing: Timing,
    generations: Map<string, string | null>,
    coalesce: boolean,
  ): Promise<unknown>[] {
    const waits = new Array<Promise<unknown>>(keys.length);
    const fresh: string[] = [];
    const freshAt: number[] = [];
    keys.forEach((key, i) => {
      const running = coalesce ? this.#flights.get(key) : undefined;
      if (running) {
        waits[i] = running;
      } else {
        fresh.push(key);
        freshAt.push(i);
      }
    });
    if (fresh.length > 0) {
      const settle = fresh.map(() => deferred());
      fresh.forEach((key, j) => {
        waits[freshAt[j]!] = settle[j]!.promise;
        if (coalesce) this.#flights.register(key, settle[j]!.promise);
      });
      this.#runLoad(fresh, load, timing, generations, settle);
    }
    return waits;
  }

  async #runLoad(
    keys: readonly string[],
    load: KeyLoader,
    timing: Timing,
    generations: Map<string, string | null>,
    settle: Deferred[],
  ): Promise<void> {
    const since = this.l1.tick();
    let knownGenerations = keys.every((key) => generations.has(key));
    const lock = timing.lock && this.l2?.tier.lock ? await this.#takeLock(keys, timing) : undefined;
    try {
      if (lock?.served) {
        lock.served.forEach((value, j) => {
          settle[j]!.resolve(value);
        });
        return;
      }
      if (!knownGenerations && this.l2) {
        const read = await this.l2.call('generations', (tier) => tier.generations(keys));
        if (read !== FAILED) {
          keys.forEach((key, j) => {
            generations.set(key, read[j] ?? null);
          });
          knownGenerations = true;
        }
      }
      const started = performance.now();
      let values: readonly unknown[];
      try {
        values = await load(keys);
        if (values.length !== keys.length) {
          throw new ValidationError(
            `The cache loader returned ${values.length} values for ${keys.length} keys`,
          );
        }
      } catch (error) {
        this.counters.loadErrors++;
        this.events.emit('load', { keys, durationMs: performance.now() - started, ok: false });
        for (const s of settle) s.reject(error);
        return;
      }
      this.counters.loads++;
      if (this.events.has('load')) {
        this.events.emit('load', { keys, durationMs: performance.now() - started, ok: true });
      }
      const writes = this.#writeBack(keys, values, timing, since, knownGenerations ? generations : undefined);
      values.forEach((_, j) => {
        settle[j]!.resolve(writes.values[j]);
      });
      if (lock) await writes.remote;
      else this.#track(writes.remote);
    } finally {
      if (lock?.release) this.#track(lock.release());
    }
  }

  /** Stores loaded values in L1 now (under the tick rule) and in L2 in the background (under the generation rule). */
  #writeBack(
    keys: readonly string[],
    values: readonly unknown[],
    timing: Timing,
    since: number,
    generations: Map<string, string | null> | undefined,
  ): { values: unknown[]; remote: Promise<void> } {
    const now = Date.now();
    const handed: unknown[] = [];
    const remote: { key: string; value: string; ttlMs: number; generation: string | null }[] = [];
    keys.forEach((key, j) => {
      const value = values[j];
      const negative = value === undefined;
      if (negative && timing.negativeTtl <= 0) {
        handed.push(ABSENT);
        return;
      }
      const entry = makeEntry(value, negative ? timing.negativeTtl : timing.ttl, negative ? 0 : timing, now);
      let text: string;
      try {
        text = encodeEntry(entry, negative ? '' : this.serializer.serialize(value));
      } catch (error) {
        this.events.emit('error', { tier: 'l1', operation: `serialize ${key}`, error });
        handed.push(value);
        return;
      }
      handed.push(this.l1.set(key, entry, text.length, since).value);
      if (generations) {
        remote.push({
          key,
          value: this.#sealed(key, text),
          ttlMs: entry.staleUntil - now,
          generation: generations.get(key) ?? null,
        });
      }
    });
    const l2 = this.l2;
    const done =
      l2 && remote.length > 0
        ? l2
            .call('setIfGeneration', (tier) => tier.setIfGeneration(remote))
            .then((accepted) => {
              if (accepted === FAILED) return;
              for (const ok of accepted) if (!ok) this.counters.writeBacksRefused++;
            })
        : Promise.resolve();
    return { values: handed, remote: done };
  }

  async #takeLock(
    keys: readonly string[],
    timing: Timing,
  ): Promise<{ served?: unknown[]; release?: () => Promise<void> } | undefined> {
    if (keys.length !== 1 || !this.l2) return undefined;
    const key = keys[0]!;
    const lockKey = `${key}:lock`;
    const token = randomUUID();
    const ttl = Math.max(timing.lockWait * 2, 1000);
    const taken = await this.l2.call('lock', (tier) => tier.lock!(lockKey, token, ttl));
    if (taken === FAILED) return undefined;
    if (taken) {
      return {
        release: async () => {
          await this.l2!.call('unlock', (tier) => tier.unlock!(lockKey, token));
        },
      };
    }
    const deadline = Date.now() + timing.lockWait;
    while (Date.now() < deadline) {
      await sleep(15);
      const found = await this.l2.call('get', (tier) => tier.get([key]));
      if (found === FAILED) return undefined;
      const entry = found[0] == null ? undefined : this.#decode(key, found[0]);
      if (entry !== undefined && entry.expiresAt > Date.now()) {
        this.l1.set(key, entry, found[0]!.length, this.l1.tick());
        return { served: [entry.negative ? ABSENT : this.l1.get(key)?.value] };
      }
    }
    return undefined;
  }

  /** The write generation token of one key in L2 ('0' before any write); undefined when L2 failed. */
  async remoteGeneration(key: string): Promise<string | undefined> {
    if (!this.l2) return undefined;
    const read = await this.l2.call('generations', (tier) => tier.generations([key]));
    return read === FAILED ? undefined : (read[0] ?? '0');
  }

  /** Writes values as the new truth: L1 now, L2 with a generation bump, other processes told. */
  async write(items: readonly CoreWrite[], timing: Timing): Promise<void> {
    const now = Date.now();
    // A write older than one this process already wrote through is dropped here; L2 keeps
    // the same rule across processes (the WRITE script compares versions).
    const fresh = items.filter((item) => {
      if (item.version === undefined) return true;
      const known = this.#versions.get(item.key);
      if (known !== undefined && known >= item.version) return false;
      this.#versions.set(item.key, item.version);
      return true;
    });
    if (fresh.length === 0) return;
    const keys = fresh.map((item) => item.key);
    const remote: RemoteWrite[] = [];
    const staged = fresh.map((item) => {
      const negative = item.value === undefined;
      const entry = makeEntry(
        item.value,
        negative ? timing.negativeTtl : timing.ttl,
        negative ? 0 : timing,
        now,
      );
      let text: string;
      try {
        text = encodeEntry(entry, negative ? '' : this.serializer.serialize(item.value));
      } catch (error) {
        throw ValidationError.fromIssues(
          'Cannot cache this value',
          [
            {
              // Keys are the caller's and may be huge; the message names the key, it does not echo it.
              path: item.key.length > 200 ? `${item.key.slice(0, 197)}...` : item.key,
              message: (error as Error).message,
              code: 'not_serializable',
            },
          ],
          { cause: error },
        );
      }
      remote.push({
        key: item.key,
        value: this.#sealed(item.key, text),
        ttlMs: Math.max(1, entry.staleUntil - now),
        version: item.version,
      });
      return { item, entry, text };
    });
    this.l1.invalidate(keys);
    this.#flights.forget(keys);
    for (const { item, entry, text } of staged) {
      this.l1.set(item.key, entry, text.length);
      for (const tagKey of item.tagKeys ?? []) this.#tagLocally(tagKey, item.key);
    }
    if (this.l2) {
      const l2 = this.l2;
      const written = await l2.call('set', (tier) => tier.set(remote));
      if (written === FAILED) this.#retryLater(keys);
      else {
        // L2 holds a newer version written by another process: ours must not stay in L1.
        const older = keys.filter((_, i) => !written[i]);
        if (older.length > 0) this.l1.invalidate(older);
      }
      const tagged = fresh.filter((item) => item.tagKeys && item.tagKeys.length > 0);
      for (const item of tagged) {
        const ttl = timing.ttl + timing.grace;
        await l2.call('tag', (tier) => tier.tag(item.tagKeys!, item.key, ttl));
      }
    }
    await this.#publish({ keys });
  }

  /** Drops keys everywhere: L1 now, L2 (retried until it works), every other process's L1. */
  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    this.counters.invalidations += keys.length;
    this.l1.invalidate(keys);
    this.#flights.forget(keys);
    let l2Pending = false;
    if (this.l2) {
      const done = await this.l2.call('invalidate', (tier) => tier.invalidate(keys));
      if (done === FAILED) {
        this.#retryLater(keys);
        l2Pending = true;
      }
    }
    // Published even when L2 failed: other processes must drop their L1 copies regardless,
    // and not re-read L2 for these keys until the retry lands.
    await this.#publish(l2Pending ? { keys, l2Pending } : { keys });
  }

  /** Drops every key starting with `prefix`, everywhere. */
  async invalidatePrefix(prefix: string): Promise<void> {
    this.l1.invalidatePrefix(prefix);
    this.#flights.forget(this.#allFlightKeys().filter((key) => key.startsWith(prefix)));
    if (this.l2) {
      const done = await this.l2.call('clear', (tier) => tier.clearPrefix(prefix));
      if (done === FAILED) {
        this.#retryPrefixes.add(prefix);
        this.#scheduleRetry();
      }
    }
    await this.#publish({ prefix });
  }

  /** Drops every key carrying one of these tags. */
  async invalidateTags(tagKeys: readonly string[]): Promise<void> {
    const keys = new Set<string>();
    for (const tagKey of tagKeys) {
      for (const key of this.#localTags.get(tagKey) ?? []) keys.add(key);
      this.#localTags.delete(tagKey);
    }
    if (this.l2) {
      const remote = await this.l2.call('takeTagged', (tier) => tier.takeTagged(tagKeys));
      if (remote !== FAILED) for (const key of remote) keys.add(key);
    }
    await this.invalidate([...keys]);
  }

  #tagLocally(tagKey: string, key: string): void {
    let members = this.#localTags.get(tagKey);
    if (!members) {
      members = new Set();
      this.#localTags.set(tagKey, members);
    }
    members.add(key);
  }

  async #publish(message: InvalidationMessage): Promise<void> {
    if (this.bus) await this.bus.publish(message);
  }

  #onBusMessage(message: InvalidationMessage, sentAt: number): void {
    if (message.keys && message.keys.length > 0) {
      this.l1.invalidate(message.keys);
      this.#flights.forget(message.keys);
      if (message.l2Pending) {
        const until = Date.now() + 60_000;
        for (const key of message.keys) if (this.#l2Pending.size < 100_000) this.#l2Pending.set(key, until);
      } else if (this.#l2Pending.size > 0) {
        for (const key of message.keys) this.#l2Pending.delete(key);
      }
    }
    if (message.prefix) {
      const prefix = message.prefix;
      this.l1.invalidatePrefix(prefix);
      this.#flights.forget(this.#allFlightKeys().filter((key) => key.startsWith(prefix)));
    }
    const delayMs = Math.max(0, Date.now() - sentAt);
    this.counters.recordBusDelay(delayMs);
    this.events.emit('bus:received', { delayMs, keys: message.keys?.length ?? 0 });
  }

  #retryLater(keys: readonly string[]): void {
    for (const key of keys) if (this.#retryKeys.size < 100_000) this.#retryKeys.add(key);
    this.counters.pendingRetries = this.#retryKeys.size + this.#retryPrefixes.size;
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#track(this.#retry());
    }, this.#retryDelay);
    this.#retryTimer.unref();
  }

  async #retry(): Promise<void> {
    const l2 = this.l2!;
    const keys = [...this.#retryKeys];
    const prefixes = [...this.#retryPrefixes];
    let failed = false;
    if (keys.length > 0) {
      const done = await l2.call('invalidate', (tier) => tier.invalidate(keys));
      if (done === FAILED) failed = true;
      else {
        for (const key of keys) this.#retryKeys.delete(key);
        this.counters.pendingRetries = this.#retryKeys.size + this.#retryPrefixes.size;
        // This process and others may have re-read the old L2 value meanwhile: drop it
        // here, and tell the others again.
        this.l1.invalidate(keys);
        this.#flights.forget(keys);
        await this.#publish({ keys });
      }
    }
    for (const prefix of prefixes) {
      const done = await l2.call('clear', (tier) => tier.clearPrefix(prefix));
      if (done === FAILED) failed = true;
      else {
        this.#retryPrefixes.delete(prefix);
        await this.#publish({ prefix });
      }
    }
    this.counters.pendingRetries = this.#retryKeys.size + this.#retryPrefixes.size;
    this.#retryDelay = failed ? Math.min(this.#retryDelay * 2, 5_000) : 50;
    if (this.#retryKeys.size > 0 || this.#retryPrefixes.size > 0) this.#scheduleRetry();
  }

  #allFlightKeys(): string[] {
    return this.#flights.keys();
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => {
      this.events.emit('error', {
        tier: 'l2',
        operation: 'background',
        error: remoteError(error, this.l2?.tier.name ?? 'l2', 'background'),
      });
    });
    this.#background.add(tracked);
    tracked.finally(() => this.#background.delete(tracked));
  }

  /** Waits for background write-backs and retries that are running now. */
  async settle(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
  }

  /** Waits for background work, then closes the tiers and the bus. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.settle();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    await this.bus?.close();
    await this.l2?.tier.close();
  }
}

interface Deferred {
  readonly promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function makeEntry(value: unknown, ttl: number, timing: Timing | 0, now: number): CacheEntry {
  const jitter = timing === 0 ? 0 : timing.jitter;
  const grace = timing === 0 ? 0 : timing.grace;
  const life = Math.max(1, Math.round(ttl * (1 - jitter * Math.random())));
  return {
    value: value === undefined ? ABSENT : value,
    expiresAt: now + life,
    staleUntil: now + life + grace,
    negative: value === undefined,
  };
}

function resolveTiming(options: EntryOptions, base: Timing | undefined): Timing {
  const timing: Timing = {
    ttl: options.ttl ?? base?.ttl ?? 60_000,
    grace: options.grace ?? base?.grace ?? 0,
    jitter: options.jitter ?? base?.jitter ?? 0.1,
    negativeTtl: options.negativeTtl ?? base?.negativeTtl ?? 5_000,
    softTimeout: options.softTimeout ?? base?.softTimeout,
    hardTimeout: options.hardTimeout ?? base?.hardTimeout,
    lock: options.lock ?? base?.lock ?? false,
    lockWait: options.lockWait ?? base?.lockWait ?? 2_000,
  };
  const issues = [];
  if (!(timing.ttl > 0)) issues.push({ path: 'ttl', message: 'must be a positive number of milliseconds' });
  if (!(timing.grace >= 0)) issues.push({ path: 'grace', message: 'must be 0 or more milliseconds' });
  if (!(timing.jitter >= 0 && timing.jitter < 1))
    issues.push({ path: 'jitter', message: 'must be in [0, 1)' });
  if (!(timing.negativeTtl >= 0))
    issues.push({ path: 'negativeTtl', message: 'must be 0 or more milliseconds' });
  if (issues.length > 0) {
    throw ValidationError.fromIssues(
      'Invalid cache options',
      issues.map((issue) => ({ ...issue, code: 'invalid_cache_option' })),
    );
  }
  return timing;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
