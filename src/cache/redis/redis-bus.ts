import { Cluster, Redis } from 'ioredis';
import { ValidationError } from '../../errors.js';
import type { BusHandlers, InvalidationBus, InvalidationMessage } from '../bus.js';
import { withTimeout } from '../with-timeout.js';
import { OWNED_CLIENT_DEFAULTS } from './owned-client.js';
import type { RedisConnection } from './redis-tier.js';

/** Most messages sent in one pipelined round trip when a backlog is flushed. */
const PUBLISH_BATCH = 200;

/** First and longest pause between attempts to subscribe after the first one failed. */
const SUBSCRIBE_RETRY = { initialMs: 50, maxMs: 5_000 };

/**
 * Options of {@link RedisBus}.
 *
 * @example
 * ```ts
 * new RedisBus({ client: redis, channel: 'shop:invalidate' });
 * ```
 */
export type RedisBusOptions = RedisConnection & {
  /**
   * The pub/sub channel; every process sharing a cache must use the same one.
   * @default 'reposit:invalidate'
   */
  readonly channel?: string;
  /**
   * Most messages held while Redis cannot take them; beyond it the oldest are dropped
   * (processes still clear L1 when they reconnect).
   * @default 10_000
   */
  readonly maxQueued?: number;
};

interface Envelope extends InvalidationMessage {
  /** The sending process, so it ignores its own messages. */
  readonly o: string;
  /** Sent at, epoch milliseconds. */
  readonly t: number;
}

/**
 * The invalidation bus over Redis pub/sub. It subscribes on a connection of its own
 * (a `duplicate()` of the given client), publishes on the given client, queues what it
 * cannot publish and retries with backoff, and reports every re-subscription so the
 * CacheManager clears L1 (messages sent while the subscriber was away are lost).
 *
 * When the first subscription fails (Redis down at start, a wrong password or an ACL
 * without the channel, fixed later), `subscribe()` rejects and the bus keeps trying in
 * the background (50 ms, doubling up to 5 s, at once when the connection becomes ready);
 * once it is subscribed it reports that as a reconnection, so L1 is cleared.
 *
 * @example
 * ```ts
 * const cache = new CacheManager({ l2: new RedisTier({ client }), bus: new RedisBus({ client }) });
 * ```
 */
export class RedisBus implements InvalidationBus {
  readonly #publisher: Redis | Cluster;
  readonly #subscriber: Redis | Cluster;
  readonly #ownsPublisher: boolean;
  readonly #channel: string;
  readonly #maxQueued: number;
  readonly #origin = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  readonly #queue: string[] = [];
  #flushing = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay = 25;
  #closed = false;
  #subscribed = false;
  /** Background attempts to subscribe (one at a time), active while not subscribed after a try. */
  readonly #retry: {
    active: boolean;
    running: boolean;
    delay: number;
    timer?: NodeJS.Timeout;
    lastError?: string;
  } = { active: false, running: false, delay: SUBSCRIBE_RETRY.initialMs };

  constructor(options: RedisBusOptions) {
    this.#channel = options.channel ?? 'reposit:invalidate';
    this.#maxQueued = options.maxQueued ?? 10_000;
    if ('client' in options) {
      this.#publisher = options.client;
      this.#ownsPublisher = false;
    } else if ('cluster' in options) {
      this.#publisher = new Cluster(options.cluster.nodes, options.cluster.options);
      this.#ownsPublisher = true;
    } else {
      this.#publisher =
        typeof options.redis === 'string'
          ? new Redis(options.redis, OWNED_CLIENT_DEFAULTS)
          : new Redis({ ...OWNED_CLIENT_DEFAULTS, ...options.redis });
      this.#ownsPublisher = true;
    }
    const publisher = this.#publisher;
    // autoResubscribe off: see the 'ready' listener in subscribe().
    this.#subscriber =
      publisher instanceof Cluster ? publisher.duplicate() : publisher.duplicate({ autoResubscribe: false });
    // Connection errors surface as failed publishes and reconnections; without a listener
    // ioredis would print each one as unhandled.
    if (this.#ownsPublisher) this.#publisher.on('error', () => {});
    this.#subscriber.on('error', () => {});
  }

  async publish(message: InvalidationMessage): Promise<void> {
    const envelope: Envelope = { ...message, o: this.#origin, t: Date.now() };
    this.#queue.push(JSON.stringify(envelope));
    if (this.#queue.length > this.#maxQueued) this.#queue.splice(0, this.#queue.length - this.#maxQueued);
    // Redis is known to be away (a retry is scheduled): the message waits in the queue for
    // the retry; the caller does not wait for another timeout.
    if (this.#retryTimer) return;
    await this.#flush();
  }

  /** How many messages wait to be published. */
  get queued(): number {
    return this.#queue.length;
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#closed) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        // A backlog (messages held while Redis was away) goes out in pipelined batches: one
        // round trip per message made the caller that found Redis back wait for all of them
        // (21 s after a 3 s outage in the soak). A batch that fails is sent again whole;
        // invalidations are idempotent.
        const batch = this.#queue.slice(0, this.#publisher instanceof Cluster ? 1 : PUBLISH_BATCH);
        try {
          await withTimeout(this.#publishAll(batch), 250, 'bus publish');
        } catch {
          this.#scheduleRetry();
          return;
        }
        this.#queue.splice(0, batch.length);
        this.#retryDelay = 25;
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #publishAll(batch: readonly string[]): Promise<void> {
    if (batch.length === 1) {
      await this.#publisher.publish(this.#channel, batch[0]!);
      return;
    }
    const pipeline = this.#publisher.pipeline();
    for (const text of batch) pipeline.publish(this.#channel, text);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#flush();
    }, this.#retryDelay);
    this.#retryTimer.unref();
    this.#retryDelay = Math.min(this.#retryDelay * 2, 2_000);
  }

  async subscribe(handlers: BusHandlers): Promise<void> {
    const subscriber = this.#subscriber;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      // Anyone who may PUBLISH on the channel can send anything: a malformed message is
      // reported and ignored, never thrown out of the driver's event (that would crash the process).
      const envelope = parseEnvelope(text);
      if (typeof envelope === 'string') {
        handlers.onError?.(
          ValidationError.fromIssues(`Ignored a malformed invalidation message on ${this.#channel}`, [
            { path: 'message', message: envelope, code: 'invalid_bus_message' },
          ]),
        );
        return;
      }
      if (envelope.o === this.#origin) return;
      try {
        handlers.onMessage(
          {
            keys: envelope.keys,
            prefix: envelope.prefix,
            ...(envelope.l2Pending ? { l2Pending: true } : {}),
          },
          envelope.t,
        );
      } catch (error) {
        handlers.onError?.(error);
      }
    });
    subscriber.on('error', (error: unknown) => handlers.onError?.(error));
    subscriber.on('ready', () => {
      if (this.#subscribed && subscriber instanceof Cluster) {
        // ioredis re-subscribed by itself: we were away and may have missed messages.
        handlers.onReconnect();
      } else if (this.#subscribed || this.#retry.active) {
        // A standalone subscriber is re-subscribed here rather than by ioredis, whose own
        // re-subscription, when refused (an ACL changed meanwhile), is an unhandled
        // rejection and is never tried again. L1 is cleared once subscribed again.
        this.#subscribed = false;
        this.#retry.active = true;
        this.#retry.delay = SUBSCRIBE_RETRY.initialMs;
        this.#scheduleSubscribe(handlers, 0);
      }
      void this.#flush();
    });
    try {
      await subscriber.subscribe(this.#channel);
      this.#subscribed = true;
    } catch (error) {
      // The caller learns of it now (ready() rejects); the bus does not give up, or this
      // process would never hear of another's write again.
      this.#retry.active = true;
      this.#retry.lastError = errorText(error);
      this.#scheduleSubscribe(handlers);
      throw error;
    }
  }

  /** Plans the next attempt to subscribe: after the current backoff, or after `delayMs`. */
  #scheduleSubscribe(handlers: BusHandlers, delayMs?: number): void {
    const retry = this.#retry;
    if (!retry.active || retry.running || this.#closed) return;
    clearTimeout(retry.timer);
    retry.timer = setTimeout(() => void this.#trySubscribe(handlers), delayMs ?? retry.delay);
    retry.timer.unref();
  }

  async #trySubscribe(handlers: BusHandlers): Promise<void> {
    const retry = this.#retry;
    retry.timer = undefined;
    retry.running = true;
    try {
      await this.#subscriber.subscribe(this.#channel);
      if (this.#closed) return;
      this.#subscribed = true;
      retry.active = false;
      retry.lastError = undefined;
      // Every message sent before now was missed: the same as a reconnection.
      handlers.onReconnect();
    } catch (error) {
      if (this.#closed) return;
      // Reported when it changes (say NOPERM after ECONNREFUSED), not once per attempt: the
      // connection's own errors are reported already.
      const text = errorText(error);
      if (text !== retry.lastError) handlers.onError?.(error);
      retry.lastError = text;
      retry.delay = Math.min(retry.delay * 2, SUBSCRIBE_RETRY.maxMs);
    } finally {
      retry.running = false;
    }
    this.#scheduleSubscribe(handlers);
  }

  async close(): Promise<void> {
    if (this.#queue.length > 0) {
      this.#closed = false;
      await this.#flush();
    }
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    clearTimeout(this.#retry.timer);
    this.#subscriber.disconnect();
    if (this.#ownsPublisher) this.#publisher.disconnect();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The envelope in `text`, or what is wrong with it. */
function parseEnvelope(text: string): Envelope | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const { o, t, keys, prefix, l2Pending } = value as Record<string, unknown>;
  if (typeof o !== 'string') return 'no sender';
  if (typeof t !== 'number' || !Number.isFinite(t)) return 'no send time';
  if (keys !== undefined && (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string'))) {
    return 'keys must be an array of strings';
  }
  if (prefix !== undefined && typeof prefix !== 'string') return 'prefix must be a string';
  if (l2Pending !== undefined && typeof l2Pending !== 'boolean') return 'l2Pending must be a boolean';
  return {
    o,
    t,
    keys: keys as string[] | undefined,
    prefix: prefix as string | undefined,
    ...(l2Pending === true ? { l2Pending: true } : {}),
  };
}
