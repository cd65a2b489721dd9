/**
 * Where the time of an L2 hit at concurrency 32 goes: alternating rounds of 32 callers, in
 * which the rows after the raw baseline build the read up: a minimal coalescer on the same
 * client (MGETs of 16 + JSON.parse), the same with reposit's envelope and freezing,
 * reposit's batched tier read with that decoding, the read with promotion into L1
 * (`CacheCore.readRemoteOne`), and the whole `CacheManager.get`. L1 holds one entry, so
 * every read reaches L2 and each promotion evicts, as in bench/cache.bench.ts.
 *
 *   node bench/run.mjs bench/cache-l2-layers-c32.ts    (BENCH_SECONDS per round, default 1.5; ROUNDS, default 5)
 *
 * Needs Redis (TEST_REDIS_URL or 127.0.0.1:6379). Prints a Markdown table.
 */
import { decodeEntry } from '../src/cache/cache-entry.js';
import { deserializeFrozen } from '../src/cache/serializer.js';
import { alternatingRounds, benchSeconds, machine } from './harness.js';
import { LAYER_KEYS, seedLayers } from './l2-layers-setup.js';
import { minimalCoalescer } from './minimal-coalescer.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const { redis, cache, core, entryKeys, rawKeys, dispose } = await seedLayers(`bench_layers32_${process.pid}`);
const pick = (iteration: number, worker: number) => (iteration * 31 + worker * 7) % LAYER_KEYS;
const decode = (text: string) => deserializeFrozen(decodeEntry(text)!.body);
const minimalRaw = minimalCoalescer(redis);
// The minimal coalescer's batching, reading reposit's entries and decoding them as reposit does.
const minimalEntries = minimalCoalescer(redis, decode);

const table = await alternatingRounds(
  [
    [
      'raw ioredis GET + JSON.parse',
      (w, i) => redis.get(rawKeys[pick(i, w)]!).then((text) => JSON.parse(text!)),
    ],
    ['a minimal coalescer (MGETs of 16 + JSON.parse)', (w, i) => minimalRaw(rawKeys[pick(i, w)]!)],
    ['+ reposit entries: envelope and freezing', (w, i) => minimalEntries(entryKeys[pick(i, w)]!)],
    [
      "reposit's batched tier read (timeout, breaker) + the same decoding",
      (w, i) =>
        new Promise((resolve) =>
          core.l2!.readBatched([entryKeys[pick(i, w)]!], (values, offset) =>
            resolve(decode((values as string[])[offset]!)),
          ),
        ),
    ],
    [
      '+ promotion into L1, counters (CacheCore.readRemoteOne)',
      (w, i) => core.readRemoteOne(entryKeys[pick(i, w)]!),
    ],
    [
      'CacheManager.get (key, L1 check, tracing check, all of the above)',
      (w, i) => cache.get(`k${pick(i, w)}`),
    ],
  ],
  { concurrency: 32, rounds: ROUNDS, seconds: benchSeconds(1.5) },
);
console.log(`# L2 hit at concurrency 32, layer by layer\n\n${machine()}; ${ROUNDS} rounds\n\n${table}`);
await dispose();
process.exit(0);
