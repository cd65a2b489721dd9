import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { generationKey, versionKey } from '../keys.js';
import type { RemoteConditionalWrite, RemoteTier, RemoteWrite } from '../remote-tier.js';
import { OWNED_CLIENT_DEFAULTS } from './owned-client.js';
import { INVALIDATE, runScript, SET_IF_GENERATION, UNLOCK, WRITE } from './scripts.js';
import { groupBySlot } from './slots.js';

/**
 * How to reach Redis: the user's client, or what to create one from.
 *
 * @example
 * ```ts
 * new RedisTier({ client: existingRedisOrCluster });
 * new RedisTier({ redis: 'redis://127.0.0.1:6379' });
 * new RedisTier({ redis: { sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster' } });
 * new RedisTier({ cluster: { nodes: [{ host: '10.0.0.1', port: 7000 }] } });
 * ```
 */
export type RedisConnection =
  | { readonly client: Redis | Cluster }
  | { readonly redis: RedisOptions | string }
  | { readonly cluster: { readonly nodes: ClusterNode[]; readonly options?: ClusterOptions } };

/**
 * Options of {@link RedisTier}.
 *
 * @example
 * ```ts
 * new RedisTier({ client: redis, generationTtlMs: 3_600_000 });
 * ```
 */
export type RedisTierOptions = RedisConnection & {
  /**
   * How long a key's write generation is kept after its last write. It must outlast the
   * slowest load, or that load's write-back could slip past a write.
   * @default 86_400_000 (24 h)
   */
  readonly generationTtlMs?: number;
  /**
   * Coalesce reads issued in the same tick into one MGET (per slot on a Cluster). The
   * CacheManager already coalesces its reads before they reach the tier; turn this on
   * when calling the tier directly from many places.
   * @default false
   */
  readonly coalesce?: boolean;
};

interface PendingRead {
  readonly keys: readonly string[];
  readonly resolve: (values: (string | null)[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The L2 tier on ioredis: standalone, Sentinel (through `RedisOptions.sentinels`) or
 * Cluster. Reads of one tick are coalesced into one MGET; writes and invalidations are
 * Lua scripts over (key, generation) pairs. Timeouts and the circuit breaker are applied
 * by the CacheManager around every call, whatever the client's own settings.
 *
 * @example
 * ```ts
 * import { RedisTier } from 'reposit/redis';
 * const cache = new CacheManager({ namespace: 'shop', l2: new RedisTier({ client: redis }) });
 * ```
 */
export class RedisTier implements RemoteTier {
  readonly name = 'redis';
  /** The client in use (the user's, or the one this tier created). */
  readonly client: Redis | Cluster;
  readonly #owned: boolean;
  readonly #cluster: boolean;
  readonly #genTtl: number;
  readonly #coalesce: boolean;
  #pending: PendingRead[] = [];
  /** What `onReady` put on the client, taken off by `close()` (the client may be the user's). */
  readonly #readyListeners: (() => void)[] = [];
  /**
   * The last error the tier's own client reported while (re)connecting; undefined once
   * ready (a plain field, so a Proxy around the tier still reads it).
   */
  lastConnectionError: unknown;

  constructor(options: RedisTierOptions) {
    this.client = createClient(options);
    this.#owned = !('client' in options);
    // Failures surface through the commands (and the breaker); an 'error' listener keeps
    // ioredis from printing every reconnection attempt as unhandled.
    if (this.#owned) {
      this.client.on('error', (error: unknown) => {
        this.lastConnectionError = error;
      });
      this.client.on('ready', () => {
        this.lastConnectionError = undefined;
      });
    }
    this.#cluster = this.client instanceof Cluster;
    this.#genTtl = options.generationTtlMs ?? 86_400_000;
    this.#coalesce = options.coalesce ?? false;
  }

  get(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    if (!this.#coalesce) return this.#mget(keys);
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) process.nextTick(() => this.#flushReads());
      this.#pending.push({ keys, resolve, reject });
    });
  }

  #flushReads(): void {
    const batch = this.#pending;
    this.#pending = [];
    const all = batch.length === 1 ? batch[0]!.keys : batch.flatMap((read) => read.keys);
    this.#mget(all).then(
      (values) => {
        let offset = 0;
        for (const read of batch) {
          read.resolve(batch.length === 1 ? values : values.slice(offset, offset + read.keys.length));
          offset += read.keys.length;
        }
      },
      (error: unknown) => {
        for (const read of batch) read.reject(error);
      },
    );
  }

  // Not async where it need not be: each layer of promises is paid on every L2 read.
  #mget(keys: readonly string[]): Promise<(string | null)[]> {
    if (!this.#cluster) return this.client.mget(...keys);
    const groups = groupBySlot(keys, true);
    if (groups.length === 1) return this.client.mget(...keys);
    return this.#mgetBySlot(keys, groups);
  }

  async #mgetBySlot(keys: readonly string[], groups: readonly number[][]): Promise<(string | null)[]> {
    const out = new Array<string | null>(keys.length).fill(null);
    await Promise.all(
      groups.map(async (group) => {
        const values = await this.client.mget(...group.map((i) => keys[i]!));
        group.forEach((index, j) => {
          out[index] = values[j] ?? null;
        });
      }),
    );
    return out;
  }

  generations(keys: readonly string[]): Promise<(string | null)[]> {
    return this.get(keys.map(generationKey));
  }

  async setIfGeneration(entries: readonly RemoteConditionalWrite[]): Promise<boolean[]> {
    const out = new Array<boolean>(entries.length).fill(false);
    await Promise.all(
      groupBySlot(
        entries.map((entry) => entry.key),
        this.#cluster,
      ).map(async (group) => {
        const keys = group.flatMap((i) => [entries[i]!.key, generationKey(entries[i]!.key)]);
        const args = group.flatMap((i) => {
          const entry = entries[i]!;
          return [entry.generation ?? '', entry.value, Math.max(1, Math.ceil(entry.ttlMs))];
        });
        const result = (await runScript(this.client, SET_IF_GENERATION, keys, args)) as number[];
        group.forEach((index, j) => {
          out[index] = result[j] === 1;
        });
      }),
    );
    return out;
  }

  async set(entries: readonly RemoteWrite[]): Promise<boolean[]> {
    const out = new Array<boolean>(entries.length).fill(false);
    await Promise.all(
      groupBySlot(
        entries.map((entry) => entry.key),
        this.#cluster,
      ).map(async (group) => {
        const keys = group.flatMap((i) => {
          const key = entries[i]!.key;
          return [key, generationKey(key), versionKey(key)];
        });
        const args = group.flatMap((i) => {
          const entry = entries[i]!;
          return [entry.value, Math.max(1, Math.ceil(entry.ttlMs)), entry.version ?? ''];
        });
        const result = (await runScript(this.client, WRITE, keys, [this.#genTtl, ...args])) as number[];
        group.forEach((index, j) => {
          out[index] = result[j] === 1;
        });
      }),
    );
    return out;
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await Promise.all(
      groupBySlot(keys, this.#cluster).map((group) =>
        runScript(
          this.client,
          INVALIDATE,
          group.flatMap((i) => [keys[i]!, generationKey(keys[i]!)]),
          [this.#genTtl],
        ),
      ),
    );
  }

  async clearPrefix(prefix: string): Promise<void> {
    const nodes = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    await Promise.all(
      nodes.map(async (node) => {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
          cursor = next;
          // Generation keys are deleted too: nothing is cached any more, so no load can race.
          for (const group of groupBySlot(found, this.#cluster)) {
            if (group.length > 0) await node.unlink(...group.map((i) => found[i]!));
          }
        } while (cursor !== '0');
      }),
    );
  }

  async tag(tagKeys: readonly string[], key: string, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    await Promise.all(
      tagKeys.map(async (tagKey) => {
        await this.client.sadd(tagKey, key);
        // NX then GT: a new set gets the TTL, an existing one only ever lives longer.
        await this.client.pexpire(tagKey, ttl, 'NX');
        await this.client.pexpire(tagKey, ttl, 'GT');
      }),
    );
  }

  async takeTagged(tagKeys: readonly string[]): Promise<string[]> {
    const members = new Set<string>();
    await Promise.all(
      tagKeys.map(async (tagKey) => {
        for (const key of await this.client.smembers(tagKey)) members.add(key);
        await this.client.unlink(tagKey);
      }),
    );
    return [...members];
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const value = await this.client.incr(key);
    await this.client.pexpire(key, Math.max(1, Math.ceil(ttlMs)));
    return value;
  }

  async counter(key: string): Promise<number> {
    const value = await this.client.get(key);
    return value === null ? 0 : Number(value);
  }

  async lock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async unlock(key: string, token: string): Promise<void> {
    await runScript(this.client, UNLOCK, [key], [token]);
  }

  /**
   * Calls `listener` on every `ready` of the client (yours or the tier's own), that is after
   * each (re)connection, until `close()`.
   *
   * @example
   * ```ts
   * tier.onReady(() => console.log('Redis is back'));
   * ```
   */
  onReady(listener: () => void): void {
    this.#readyListeners.push(listener);
    this.client.on('ready', listener);
  }

  async close(): Promise<void> {
    for (const listener of this.#readyListeners.splice(0)) this.client.off('ready', listener);
    if (this.#owned) this.client.disconnect();
  }
}

function createClient(options: RedisConnection): Redis | Cluster {
  if ('client' in options) return options.client;
  if ('cluster' in options) {
    return new Cluster(options.cluster.nodes, {
      ...options.cluster.options,
      redisOptions: { ...OWNED_CLIENT_DEFAULTS, ...options.cluster.options?.redisOptions },
    });
  }
  return typeof options.redis === 'string'
    ? new Redis(options.redis, OWNED_CLIENT_DEFAULTS)
    : new Redis({ ...OWNED_CLIENT_DEFAULTS, ...options.redis });
}
