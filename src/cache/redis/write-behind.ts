import { hostname } from 'node:os';
import { Cluster, type Redis } from 'ioredis';
import { type RepositoryError, TimeoutError, UnavailableError, ValidationError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { redactSecrets } from '../../observability/redact.js';
import { TypedEvents } from '../../observability/typed-events.js';
import { assertName } from '../keys.js';
import { L2Signer, type L2SigningOptions } from '../l2-signer.js';
import type { ManagedEntityCache } from '../managed-entity-cache.js';
import { remoteError } from '../remote-error.js';
import { richJsonSerializer, type Serializer } from '../serializer.js';
import { withTimeout } from '../with-timeout.js';
import { type RedisConnection, RedisTier } from './redis-tier.js';
import { deadLetterFields, refusesEntry, type WriteBehindEvents } from './write-behind-dead-letter.js';
import { decodeOp, fieldOf } from './write-behind-entry.js';

/**
 * One queued write.
 *
 * @example
 * ```ts
 * await queue.enqueue({ op: 'upsert', id: 1, value: user });
 * await queue.enqueue({ op: 'delete', id: 2 });
 * ```
 */
export type WriteBehindOp<T, ID> =
  | { readonly op: 'upsert'; readonly id: ID; readonly value: T }
  | { readonly op: 'delete'; readonly id: ID };

/**
 * Options of {@link WriteBehindQueue}.
 *
 * @example
 * ```ts
 * new WriteBehindQueue({ client: redis, namespace: 'shop', entity: 'user', flush: (ops) => apply(ops), batchSize: 500 });
 * ```
 */
export type WriteBehindOptions<T, ID> = RedisConnection & {
  /** Names the stream (`{namespace}:wb:{{entity}}`); letters, digits, `_`, `.`, `-`. */
  readonly namespace: string;
  /** The entity name, e.g. `user`. */
  readonly entity: string;
  /**
   * Writes a batch to the backend. It must be idempotent (upserts and deletes by id):
   * after a crash, a batch that was written but not yet acknowledged is written again.
   * Within a batch each id appears once, with its last queued operation.
   */
  readonly flush: (ops: readonly WriteBehindOp<T, ID>[]) => Promise<void>;
  /**
   * The entity cache that serves the queued values until the backend has them.
   * @default undefined (the cache is not touched)
   */
  readonly cache?: ManagedEntityCache<T, ID>;
  /**
   * The consumer group shared by every flusher of this entity.
   * @default 'reposit-flusher'
   */
  readonly group?: string;
  /**
   * This flusher's name in the group.
   * @default `${hostname}-${pid}-${random}`
   */
  readonly consumer?: string;
  /**
   * Most stream entries read per batch.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long a read waits for new entries (XREADGROUP BLOCK).
   * @default 50
   */
  readonly blockMs?: number;
  /**
   * Entries another flusher took but did not acknowledge for this long are taken over
   * (that flusher is presumed dead).
   * @default 30_000
   */
  readonly claimIdleMs?: number;
  /**
   * First and longest pause between retries of a failing flush (doubling).
   * @default { initialDelayMs: 100, maxDelayMs: 5_000 }
   */
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /**
   * Wait for this many replicas to have each queued entry before acknowledging (WAIT).
   * @default 0
   */
  readonly replicas?: number;
  /**
   * How long `enqueue` waits for Redis to confirm; then `UnavailableError` (the entry may or
   * may not be queued: enqueueing it again is safe, flushes are idempotent).
   * @default 1_000
   */
  readonly enqueueTimeoutMs?: number;
  /**
   * How many times an operation the backend refuses for what it holds (a non-retryable
   * `ValidationError`, `DuplicateError`, `ConflictError` …) is written on its own before it
   * is moved to the dead-letter stream, so that it cannot hold up the queue. Failures of
   * the backend itself (`ConnectionError`, `TimeoutError` …, or any error that is not a
   * `RepositoryError`) are retried without limit.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * Most entries kept in the dead-letter stream (approximately: `XADD MAXLEN ~`); the oldest
   * go first.
   * @default 10_000
   */
  readonly deadLetterMaxLength?: number;
  /** Told about failed flushes (they are retried) and refused entries. @default undefined */
  readonly onError?: (error: unknown) => void;
  /**
   * Where a dead-lettered or dropped entry is logged, at warn (the error's name, code and
   * redacted message; never the queued value).
   * @default undefined (nothing is logged; events are emitted either way)
   */
  readonly logger?: Logger;
  /** @default richJsonSerializer */
  readonly serializer?: Serializer;
  /**
   * Sign every queued operation (HMAC-SHA256, bound to this stream). An entry whose
   * signature does not verify is never flushed to the backend: it is reported to
   * `onError` as a ValidationError and dropped, so whoever can write to Redis cannot
   * write to your database through the queue.
   * @default undefined (entries are not signed)
   */
  readonly signing?: L2SigningOptions;
};

type StreamEntries = [id: string, fields: string[]][];

/** The operation decoded from one stream entry (the last of its id in a batch). */
interface Queued<T, ID> {
  readonly entryId: string;
  readonly stored: string;
  readonly op: WriteBehindOp<T, ID>;
}

/** An entry given up on, to move to the dead-letter stream. */
interface Refused<ID> {
  readonly entryId: string;
  readonly stored: string | undefined;
  readonly id: ID | undefined;
  readonly attempts: number;
  readonly error: RepositoryError;
}

/**
 * Write-behind through a Redis Stream: `enqueue` acknowledges once the operation is
 * durably queued in Redis (XADD, then WAIT for replicas when asked), and puts the value
 * in the cache; a flusher (a consumer group, so several processes share the work)
 * coalesces queued operations per id, writes them to the backend in batches, retries
 * with backoff, and acknowledges them only after the backend has them. A flusher that
 * dies leaves its entries pending; another takes them over after `claimIdleMs`.
 * `close()` flushes what is queued.
 *
 * An entry that cannot be decoded, or that the backend keeps refusing for what it holds
 * (`maxAttempts` times, written alone), is moved to the dead-letter stream
 * (`deadLetterStream`, with the error and the attempt count), acknowledged, reported on
 * the `dead-letter` event and logged; the rest of the queue flows on.
 *
 * Durability is Redis's: with `appendonly yes` and `appendfsync always` (or `replicas`)
 * an acknowledged write survives a Redis crash; without, only a process crash.
 *
 * @example
 * ```ts
 * const queue = new WriteBehindQueue<User, number>({
 *   client: redis, namespace: 'shop', entity: 'user', cache: userCache,
 *   flush: (ops) => backend.applyBatch(ops),
 * });
 * queue.start();
 * await queue.enqueue({ op: 'upsert', id: 1, value: user });
 * await queue.close();
 * ```
 */
export class WriteBehindQueue<T, ID> {
  /** The stream key. */
  readonly stream: string;
  /** Where entries given up on go: `<stream>:dead` (same hash slot as the stream). */
  readonly deadLetterStream: string;
  /** Typed events: `dead-letter`. */
  readonly events = new TypedEvents<WriteBehindEvents<ID>>();
  readonly #client: Redis | Cluster;
  readonly #reader: Redis | Cluster;
  readonly #owned: boolean;
  readonly #options: WriteBehindOptions<T, ID>;
  readonly #group: string;
  readonly #consumer: string;
  readonly #serializer: Serializer;
  readonly #signer: L2Signer | undefined;
  #running: Promise<void> | undefined;
  #stopping = false;
  #closed = false;
  #groupReady: Promise<void> | undefined;

  constructor(options: WriteBehindOptions<T, ID>) {
    assertName('namespace', options.namespace);
    assertName('entity', options.entity);
    this.#options = options;
    this.stream = `${options.namespace}:wb:{${options.entity}}`;
    this.deadLetterStream = `${this.stream}:dead`;
    for (const [name, value] of [
      ['maxAttempts', options.maxAttempts],
      ['deadLetterMaxLength', options.deadLetterMaxLength],
    ] as const) {
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
        throw ValidationError.fromIssues('Invalid write-behind options', [
          { path: name, message: 'must be a whole number of at least 1', code: 'invalid_option' },
        ]);
      }
    }
    this.#group = options.group ?? 'reposit-flusher';
    this.#consumer =
      options.consumer ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.#serializer = options.serializer ?? richJsonSerializer;
    this.#signer = options.signing === undefined ? undefined : new L2Signer(options.signing);
    const tier = 'client' in options ? undefined : new RedisTier(options);
    this.#client = 'client' in options ? options.client : tier!.client;
    this.#owned = !('client' in options);
    const client = this.#client;
    this.#reader = client instanceof Cluster ? client.duplicate() : client.duplicate();
    this.#reader.on('error', () => {});
  }

  /**
   * Queues a write durably and puts its value in the cache; resolves once Redis has it.
   * Throws `UnavailableError` when Redis cannot take it (nothing was acknowledged).
   */
  async enqueue(op: WriteBehindOp<T, ID>): Promise<void> {
    await this.enqueueMany([op]);
  }

  /** Queues several writes (one round trip); resolves once Redis has all of them. */
  async enqueueMany(ops: readonly WriteBehindOp<T, ID>[]): Promise<void> {
    if (this.#closed) throw new UnavailableError('The write-behind queue is closed');
    for (const op of ops) {
      if (op.op !== 'upsert' && op.op !== 'delete') {
        throw ValidationError.fromIssues('Invalid write-behind operation', [
          { path: 'op', message: 'must be "upsert" or "delete"', code: 'invalid_op' },
        ]);
      }
    }
    const texts = ops.map((op) => {
      const text = this.#serializer.serialize(op);
      return this.#signer ? this.#signer.sign(this.#signingContext, text) : text;
    });
    try {
      const pipeline = this.#client.pipeline();
      for (const text of texts) pipeline.xadd(this.stream, '*', 'op', text);
      const results = await withTimeout(pipeline.exec(), this.#options.enqueueTimeoutMs ?? 1_000, 'XADD');
      for (const [error] of results ?? []) if (error) throw error;
      const replicas = this.#options.replicas ?? 0;
      if (replicas > 0 && !(this.#client instanceof Cluster)) {
        const acked = await this.#client.wait(replicas, 1000);
        if (acked < replicas) {
          throw new UnavailableError(
            `Only ${acked} of ${replicas} Redis replicas confirmed the queued write`,
          );
        }
      }
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      if (error instanceof TimeoutError) {
        throw new UnavailableError(
          `Redis did not confirm the write-behind entry within ${error.timeoutMs} ms; it may or may not be queued (enqueueing again is safe)`,
          { cause: error, retryable: true },
        );
      }
      throw new UnavailableError('Redis did not accept the write-behind entry; the write was not queued', {
        cause: remoteError(error, 'redis', 'write-behind enqueue'),
        retryable: true,
      });
    }
    const cache = this.#options.cache;
    if (cache)
      await cache.write(ops.map((op) => ({ id: op.id, value: op.op === 'upsert' ? op.value : null })));
  }

  /** Starts the flusher loop (idempotent). */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#stopping = false;
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /** Entries queued and not yet acknowledged (XLEN; acknowledged entries are deleted). */
  async backlog(): Promise<number> {
    return this.#client.xlen(this.stream);
  }

  /** Stops the flusher after it flushed everything queued, then releases connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stopping = true;
    await this.#running;
    try {
      await this.#ensureGroup();
      // Drain: our own pending first, then whatever nobody has read yet.
      while (await this.#step(true)) {}
    } catch (error) {
      throw new UnavailableError(
        'The write-behind queue could not flush on close; queued entries stay in Redis for the next flusher',
        { cause: remoteError(error, 'redis', 'write-behind close'), retryable: true },
      );
    } finally {
      this.#closed = true;
      this.#reader.disconnect();
      if (this.#owned) this.#client.disconnect();
    }
  }

  async #loop(): Promise<void> {
    await this.#ensureGroup();
    while (!this.#stopping) {
      try {
        await this.#step(false);
      } catch (error) {
        this.#options.onError?.(remoteError(error, 'redis', 'write-behind read'));
        // The stream (and its group) may have been deleted under us: create them again.
        if (error instanceof Error && error.message.includes('NOGROUP')) {
          this.#groupReady = undefined;
          await this.#ensureGroup().catch(() => {});
        }
        await sleep(this.#options.retry?.initialDelayMs ?? 100);
      }
    }
  }

  /** Reads one batch (claimed, own pending, or new) and flushes it; false when nothing was there. */
  async #step(draining: boolean): Promise<boolean> {
    const batchSize = this.#options.batchSize ?? 100;
    let entries = await this.#claim(batchSize);
    if (entries.length === 0) entries = await this.#read('0', batchSize, undefined);
    if (entries.length === 0)
      entries = await this.#read('>', batchSize, draining ? undefined : this.#blockMs());
    if (entries.length === 0) return false;
    await this.#flushWithRetry(entries);
    return true;
  }

  #blockMs(): number {
    return this.#options.blockMs ?? 50;
  }

  async #claim(count: number): Promise<StreamEntries> {
    const idle = this.#options.claimIdleMs ?? 30_000;
    const result = (await this.#reader.xautoclaim(
      this.stream,
      this.#group,
      this.#consumer,
      idle,
      '0-0',
      'COUNT',
      count,
    )) as [string, StreamEntries];
    return (result[1] ?? []).filter((entry) => entry !== null && Array.isArray(entry[1]));
  }

  async #read(from: string, count: number, blockMs: number | undefined): Promise<StreamEntries> {
    const args: (string | number)[] = ['GROUP', this.#group, this.#consumer, 'COUNT', count];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.stream, from);
    const reply = (await (this.#reader as Redis).call('XREADGROUP', ...args)) as unknown[] | null;
    if (!reply || reply.length === 0) return [];
    // RESP2 answers [[stream, entries]]; ioredis 6 flattens a single stream to [stream, entries].
    const first = reply[0];
    return ((Array.isArray(first) ? first[1] : reply[1]) as StreamEntries | undefined) ?? [];
  }

  /** What entries are signed for: a NUL never occurs in a cache key, so no cached value can pass as an entry. */
  get #signingContext(): string {
    return `\0write-behind\0${this.stream}`;
  }

  /**
   * The text of an entry; undefined (reported, logged, then acknowledged with its batch and
   * dropped) when its signature fails. Not dead-lettered: the dead-letter stream holds only
   * operations this application queued, so that queuing one again by hand cannot sign a
   * forged one.
   */
  #verified(entryId: string, stored: string): string | undefined {
    if (this.#signer === undefined) return stored;
    const text = this.#signer.verify(this.#signingContext, stored);
    if (text !== 'unsigned' && text !== 'bad-signature') return text;
    const error = ValidationError.fromIssues(`Dropped write-behind entry ${entryId} of ${this.stream}`, [
      { path: entryId, message: `its signature does not verify (${text})`, code: text },
    ]);
    this.#options.onError?.(error);
    this.#options.logger?.warn(
      { stream: this.stream, entry: entryId, reason: text },
      'write-behind entry dropped: its signature does not verify',
    );
    return undefined;
  }

  /** An entry that will never decode: dead-lettered at its first reading. */
  #undecodable(entryId: string, stored: string | undefined, problem: string): Refused<ID> {
    const error = ValidationError.fromIssues(
      `Cannot decode write-behind entry ${entryId} of ${this.stream}`,
      [{ path: entryId, message: problem, code: 'undecodable_entry' }],
    );
    this.#options.onError?.(error);
    return { entryId, stored, id: undefined, attempts: 1, error };
  }

  async #flushWithRetry(entries: StreamEntries): Promise<void> {
    const latest = new Map<string, Queued<T, ID>>();
    const refused: Refused<ID>[] = [];
    for (const [entryId, fields] of entries) {
      const stored = fieldOf(fields, 'op');
      if (stored === undefined) {
        refused.push(this.#undecodable(entryId, undefined, 'no op field'));
        continue;
      }
      const text = this.#verified(entryId, stored);
      if (text === undefined) continue;
      const op = decodeOp<T, ID>(this.#serializer, text);
      if (typeof op === 'string') {
        refused.push(this.#undecodable(entryId, stored, op));
        continue;
      }
      const key = JSON.stringify(this.#serializer.serialize(op.id));
      latest.delete(key);
      latest.set(key, { entryId, stored, op });
    }
    const queued = [...latest.values()];
    const maxAttempts = this.#options.maxAttempts ?? 5;
    // A refused batch does not say which operation is refused: each is then written alone,
    // so that the others still reach the backend and only the culprit is dead-lettered.
    const batchRefused =
      queued.length > 1 &&
      (await this.#write(
        queued.map((item) => item.op),
        1,
      )) !== undefined;
    if (queued.length === 1 || batchRefused) {
      for (const item of queued) {
        const refusal = await this.#write([item.op], maxAttempts);
        if (refusal) refused.push({ ...item, id: item.op.id, ...refusal });
      }
    }
    const ids = entries.map(([id]) => id);
    if (refused.length > 0) await this.#deadLetter(refused, ids);
    else {
      await this.#client.xack(this.stream, this.#group, ...ids);
      await this.#client.xdel(this.stream, ...ids);
    }
  }

  /**
   * Writes ops to the backend, retrying with backoff: failures of the backend without
   * limit, refusals of the ops (see `refusesEntry`) up to `maxRefusals` times, after which
   * it gives up and returns the last refusal.
   */
  async #write(
    ops: readonly WriteBehindOp<T, ID>[],
    maxRefusals: number,
  ): Promise<{ attempts: number; error: RepositoryError } | undefined> {
    const initial = this.#options.retry?.initialDelayMs ?? 100;
    const max = this.#options.retry?.maxDelayMs ?? 5_000;
    let attempts = 0;
    let refusals = 0;
    for (let delay = initial; ; delay = Math.min(delay * 2, max)) {
      attempts++;
      try {
        await this.#options.flush(ops);
        return undefined;
      } catch (error) {
        this.#options.onError?.(error);
        if (refusesEntry(error) && ++refusals >= maxRefusals) return { attempts, error };
        await sleep(delay);
      }
    }
  }

  /**
   * Moves refused entries to the dead-letter stream and acknowledges the whole batch, in
   * one transaction (the streams share a hash slot): a crash in between cannot lose an
   * entry, nor dead-letter one twice.
   */
  async #deadLetter(refused: readonly Refused<ID>[], ids: readonly string[]): Promise<void> {
    const cap = this.#options.deadLetterMaxLength ?? 10_000;
    const transaction = this.#client.multi();
    for (const { stored, entryId, attempts, error } of refused) {
      transaction.xadd(
        this.deadLetterStream,
        'MAXLEN',
        '~',
        cap,
        '*',
        ...deadLetterFields(stored, entryId, attempts, error),
      );
    }
    transaction.xack(this.stream, this.#group, ...ids);
    transaction.xdel(this.stream, ...ids);
    const results = (await transaction.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    refused.forEach(({ entryId, id, attempts, error }, i) => {
      const deadEntryId = String(results[i]?.[1]);
      this.#options.logger?.warn(
        {
          stream: this.stream,
          deadLetterStream: this.deadLetterStream,
          entry: entryId,
          deadEntry: deadEntryId,
          attempts,
          err: { name: error.name, code: error.code, message: redactSecrets(error.message) },
        },
        'write-behind entry moved to the dead-letter stream; the queue goes on without it',
      );
      this.events.emit('dead-letter', { entryId, deadEntryId, id, attempts, error });
    });
  }

  #ensureGroup(): Promise<void> {
    this.#groupReady ??= this.#client.xgroup('CREATE', this.stream, this.#group, '0', 'MKSTREAM').then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof Error && error.message.includes('BUSYGROUP'))) {
          this.#groupReady = undefined;
          throw error;
        }
      },
    );
    return this.#groupReady;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
