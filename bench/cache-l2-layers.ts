/**
 * Where the time of an L2 hit at concurrency 1 goes: one interleaved run in which each row
 * adds one layer of the read path to the row before it (raw GET, raw MGET of a reposit entry
 * plus decoding, the coalesced tier read, the read with L1 promotion, with the L1 check first,
 * the whole `CacheManager.get`).
 *
 *   node bench/run.mjs bench/cache-l2-layers.ts     (BENCH_SECONDS, default 6)
 *
 * Needs Redis (TEST_REDIS_URL or 127.0.0.1:6379). Prints a Markdown table.
 */
import { decodeEntry } from '../src/cache/cache-entry.js';
import { richJsonSerializer } from '../src/cache/serializer.js';
import { benchSeconds, interleave, interleavedTable, machine } from './harness.js';
import { LAYER_KEYS, seedLayers } from './l2-layers-setup.js';

const { redis, cache, core, entryKeys, rawKeys, dispose } = await seedLayers(`bench_layers_${process.pid}`);
// Each row reads other keys than the row before it, so no read is an L1 hit.
const pick = (iteration: number, slot: number) => (iteration * 31 + slot * 7) % LAYER_KEYS;
const decode = (text: string) => richJsonSerializer.deserialize(decodeEntry(text)!.body);

const rows = await interleave(
  [
    ['raw ioredis GET + JSON.parse', async (i) => JSON.parse((await redis.get(rawKeys[pick(i, 0)]!))!)],
    [
      '+ an entry: raw MGET + envelope + deserialize',
      async (i) => decode((await redis.mget(entryKeys[pick(i, 1)]!))[0]!),
    ],
    [
      '+ the coalesced tier read (tick, timeout, breaker)',
      (i) =>
        new Promise((resolve) =>
          core.l2!.readBatched([entryKeys[pick(i, 2)]!], (values, offset) =>
            resolve(decode((values as string[])[offset]!)),
          ),
        ),
    ],
    [
      '+ promotion into L1, counters (CacheCore.readRemoteOne)',
      (i) => core.readRemoteOne(entryKeys[pick(i, 3)]!),
    ],
    [
      '+ the L1 check first',
      (i) => {
        const key = entryKeys[pick(i, 4)]!;
        core.freshInL1(key);
        return core.readRemoteOne(key);
      },
    ],
    ['CacheManager.get (key, tracing check, all of the above)', (i) => cache.get(`k${pick(i, 5)}`)],
  ],
  benchSeconds(6),
);
console.log(`# L2 hit, layer by layer\n\n${machine()}\n\n${interleavedTable(rows)}`);
await dispose();
process.exit(0);
