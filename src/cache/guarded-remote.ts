import { TimeoutError } from '../errors.js';
import type { CacheCounters } from './cache-counters.js';
import type { CacheEventEmitter } from './cache-events.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { remoteError } from './remote-error.js';
import type { RemoteTier } from './remote-tier.js';
import { withTimeout } from './with-timeout.js';

/**
 * The most keys one coalesced read carries. One MGET for all the callers of a tick makes
 * them wait for one reply together, and Redis sits idle while this process decodes it;
 * two or more smaller MGETs in flight keep both busy (for 32 callers 16 did as well as 8–12
 * and better than 24 or unbounded; docs/benchmarks.md).
 */
const MAX_BATCH_KEYS = 16;

/** Receives a coalesced read's answer: the values of the whole batch, and where the caller's keys start. */
export type BatchedDelivery = (values: (string | null)[] | typeof FAILED, offset: number) => void;

/** Returned by {@link GuardedRemote.call} when the tier failed, timed out or was skipped. */
export const FAILED: unique symbol = Symbol('reposit.cache.failed');

/**
 * The facade around the L2 tier: every call gets a timeout and goes through the
 * circuit breaker, and failures become {@link FAILED} plus an event, never an exception,
 * so a slow or dead Redis costs a caller at most `timeoutMs` and then nothing at all.
 */
export class GuardedRemote {
  readonly tier: RemoteTier;
  readonly breaker: CircuitBreaker;
  readonly #timeoutMs: number;
  readonly #events: CacheEventEmitter;
  readonly #counters: CacheCounters;
  #reads: { keys: readonly string[]; deliver: BatchedDelivery }[] = [];
  #readKeys = 0;
  /** Tier reads sent and not yet settled. */
  #inFlight = 0;
  /** Set from the delivery of a batch shared by several callers until the next tick, while they may read again. */
  #delivering = false;
  readonly #endDelivering = () => {
    this.#delivering = false;
  };

  constructor(
    tier: RemoteTier,
    options: { timeoutMs: number; breaker?: CircuitBreakerOptions },
    events: CacheEventEmitter,
    counters: CacheCounters,
  ) {
    this.tier = tier;
    this.#timeoutMs = options.timeoutMs;
    this.#events = events;
    this.#counters = counters;
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      onStateChange: (state) => {
        options.breaker?.onStateChange?.(state);
        events.emit('breaker', { tier: 'l2', state });
      },
    });
    // A client that reconnected is worth a probe now, not after the reset timeout.
    tier.onReady?.(() => this.breaker.allowProbe());
  }

  /**
   * Reads keys; reads made while others are in flight are coalesced into shared tier calls
   * (one MGET, one timer, one breaker check each), so concurrent callers share round trips.
   */
  getBatched(keys: readonly string[]): Promise<(string | null)[] | typeof FAILED> {
    return new Promise((resolve) =>
      this.readBatched(keys, (values, offset) =>
        resolve(
          values === FAILED || (offset === 0 && values.length === keys.length)
            ? values
            : values.slice(offset, offset + keys.length),
        ),
      ),
    );
  }

  /**
   * {@link getBatched} with a callback, called synchronously when the tier answers with
   * the values of the whole batch and where this read's start: a caller that turns them
   * into its own promise saves a layer of promises and a copy.
   */
  readBatched(keys: readonly string[], deliver: BatchedDelivery): void {
    // With nothing in flight there is no round trip to share: the read goes out now, and
    // the reads that arrive while it is out are coalesced behind it. Not while an answer
    // shared by several callers is being handed out, though: they read again in this same
    // tick, and sending the first of them alone cost a third of all MGETs at 32 callers
    // (1 + 16 + 15 keys where 16 + 16 do; docs/benchmarks.md).
    if (this.#inFlight === 0 && this.#reads.length === 0 && !this.#delivering) {
      this.#send(keys, deliver, false);
      return;
    }
    if (this.#reads.length === 0) process.nextTick(() => this.#flushReads());
    this.#reads.push({ keys, deliver });
    this.#readKeys += keys.length;
    if (this.#readKeys >= MAX_BATCH_KEYS) this.#flushReads();
  }

  #flushReads(): void {
    const batch = this.#reads;
    if (batch.length === 0) return;
    this.#reads = [];
    this.#readKeys = 0;
    let keys = batch[0]!.keys;
    if (batch.length > 1) {
      const all: string[] = [];
      for (const read of batch) for (const key of read.keys) all.push(key);
      keys = all;
    }
    if (batch.length === 1) {
      this.#send(keys, batch[0]!.deliver, false);
      return;
    }
    this.#send(
      keys,
      (values) => {
        let offset = 0;
        for (const read of batch) {
          read.deliver(values, offset);
          offset += read.keys.length;
        }
      },
      true,
    );
  }

  /**
   * One tier read under the breaker and the timeout. The hot path of every L2 read, so
   * written out rather than through `call`: one timer and one reaction on the tier's
   * promise, not three layers of promises.
   */
  #send(keys: readonly string[], settle: BatchedDelivery, shared: boolean): void {
    if (!this.breaker.allow()) {
      this.#counters.l2Skipped++;
      settle(FAILED, 0);
      return;
    }
    this.#inFlight++;
    let done = false;
    const fail = (error: unknown) => {
      if (done) return;
      done = true;
      this.#inFlight--;
      clearTimeout(timer);
      this.#failed('get', error);
      settle(FAILED, 0);
    };
    const timer = setTimeout(
      () =>
        fail(
          new TimeoutError(`L2 get took longer than ${this.#timeoutMs} ms`, { timeoutMs: this.#timeoutMs }),
        ),
      this.#timeoutMs,
    );
    timer.unref();
    let reading: Promise<(string | null)[]>;
    try {
      reading = this.tier.get(keys);
    } catch (error) {
      fail(error);
      return;
    }
    reading.then((values) => {
      if (done) return;
      done = true;
      this.#inFlight--;
      clearTimeout(timer);
      this.breaker.success();
      if (shared && !this.#delivering) {
        this.#delivering = true;
        process.nextTick(this.#endDelivering);
      }
      settle(values, 0);
    }, fail);
  }

  #failed(operation: string, error: unknown): void {
    this.breaker.failure();
    this.#counters.l2Errors++;
    this.#events.emit('error', { tier: 'l2', operation, error: this.#typed(error, operation) });
  }

  /**
   * The failure as a typed error stripped of the driver's command arguments (a password,
   * a cached value). Never throws: `call` must always settle, or batched reads would hang.
   */
  #typed(error: unknown, operation: string): unknown {
    let connectionError: unknown;
    try {
      connectionError = this.tier.lastConnectionError;
    } catch {
      // A tier's own getter failing must not turn an L2 failure into a hang.
    }
    return remoteError(error, this.tier.name, operation, connectionError);
  }

  /** Runs one tier operation under the timeout and the breaker. */
  async call<T>(operation: string, run: (tier: RemoteTier) => Promise<T>): Promise<T | typeof FAILED> {
    if (!this.breaker.allow()) {
      this.#counters.l2Skipped++;
      return FAILED;
    }
    try {
      const value = await withTimeout(run(this.tier), this.#timeoutMs, `L2 ${operation}`);
      this.breaker.success();
      return value;
    } catch (error) {
      this.#failed(operation, error);
      return FAILED;
    }
  }
}
