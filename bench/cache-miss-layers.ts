/**
 * Where the time of a cache miss at concurrency 1 goes: one interleaved run against the
 * uncached `getById`, in which each row adds one part of what a two-tier cache must do on
 * a miss (ask Redis first, load, write back), hand-wired from raw ioredis around the same
 * uncached repository, and last the reposit repository with L1 + L2 doing all of it.
 *
 *   node bench/run.mjs bench/cache-miss-layers.ts     (BENCH_SECONDS, default 6)
 *
 * Needs Redis (TEST_REDIS_URL or 127.0.0.1:6379) and PostgreSQL (TEST_DATABASE_URL or
 * 127.0.0.1:5432). Prints a Markdown table.
 */
import { Redis } from 'ioredis';
import { encodeEntry } from '../src/cache/cache-entry.js';
import { CacheManager } from '../src/cache/cache-manager.js';
import { generationKey } from '../src/cache/keys.js';
import { RedisTier } from '../src/cache/redis/redis-tier.js';
import { runScript, SET_IF_GENERATION } from '../src/cache/redis/scripts.js';
import { richJsonSerializer } from '../src/cache/serializer.js';
import { BaseRepository } from '../src/repository/base-repository.js';
import { Account, accountTable } from './account-table.js';
import { benchSeconds, interleave, interleavedTable, machine } from './harness.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const namespace = `bench_miss_layers_${process.pid}`;
const ROWS = 400_000;
const TTL_MS = 60_000;

const { schema, connections, backend } = await accountTable('bench_miss_layers', databaseUrl, ROWS);
const uncached = new BaseRepository({ entity: Account, backend });
const redis = new Redis(redisUrl);
const cache = new CacheManager({ namespace, l2: new RedisTier({ client: redis }) });
const cached = new BaseRepository({ entity: Account, backend, cache: cache.forEntity(Account) });

// Each row reads ids (and Redis keys) no other row reads; the cached repository's ids are
// its own half of the table, so none of its reads can hit.
const half = ROWS / 2;
const idOf = (iteration: number, row: number) => 1 + ((iteration * 5 + row) % half);
let cachedId = half;
const ignore = () => {};

const rows = await interleave(
  [
    ['uncached repository.getById (the baseline)', (i) => uncached.getById(idOf(i, 0))],
    [
      'raw GET of an absent key, then the uncached getById (the floor of any L2 miss)',
      async (i) => {
        await redis.get(`${namespace}:floor:${i}`);
        return uncached.getById(idOf(i, 1));
      },
    ],
    [
      '+ SET of the loaded row in the background (hand-wired cache-aside, open to the race)',
      async (i) => {
        const key = `${namespace}:aside:${i}`;
        await redis.get(key);
        const found = await uncached.getById(idOf(i, 2));
        redis.set(key, JSON.stringify(found), 'PX', TTL_MS).catch(ignore);
        return found;
      },
    ],
    [
      '+ generation read with the value, generation-checked write-back (raced safe, hand-wired)',
      async (i) => {
        const key = `${namespace}:guarded:${i}`;
        const [, generation] = await redis.mget(key, generationKey(key));
        const found = await uncached.getById(idOf(i, 3));
        const expiresAt = Date.now() + TTL_MS;
        const entry = { value: found, expiresAt, staleUntil: expiresAt, negative: false };
        const text = encodeEntry(entry, richJsonSerializer.serialize(found));
        runScript(
          redis,
          SET_IF_GENERATION,
          [key, generationKey(key)],
          [generation ?? '', text, TTL_MS],
        ).catch(ignore);
        return found;
      },
    ],
    [
      'reposit repository.getById with L1 + L2, every call a miss',
      () => {
        if (cachedId >= ROWS) throw new Error('ran out of unseen ids; lower BENCH_SECONDS');
        return cached.getById(++cachedId);
      },
    ],
  ],
  benchSeconds(6),
);
console.log(`# A miss, part by part\n\n${machine()}\n\n${interleavedTable(rows)}`);
await cache.settle();
await cache.clear();
await cache.close();
const rawKeys = await redis.keys(`${namespace}*`);
for (let i = 0; i < rawKeys.length; i += 1000) await redis.del(...rawKeys.slice(i, i + 1000));
redis.disconnect();
await connections.close();
await schema.drop();
process.exit(0);
