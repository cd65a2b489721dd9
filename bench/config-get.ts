/**
 * `config.get(path)` against its raw baseline, a plain object property read, in the same
 * process. Run: `node --import tsx bench/config-get.ts`. Prints ns/op for each and the
 * ratio as Markdown rows; record them in docs/benchmarks.md ("Configuration").
 *
 * A synchronous read costs nanoseconds, so this does not use bench/harness.ts `measure`
 * (one awaited operation per call, timed in microseconds): both sides run through the
 * same synchronous loop here, and the loop's own cost is in both numbers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigurationRepository } from '../src/backends/config/index.js';
import { machine } from './harness.js';

const schema = z.object({
  service: z.object({ name: z.string(), port: z.number() }),
  db: z.object({ host: z.string(), pool: z.object({ max: z.number(), min: z.number() }) }),
  features: z.object({ beta: z.boolean() }),
});

const ITERATIONS = 5_000_000;
const ROUNDS = 7;

/** Median nanoseconds per call of `read`, over several rounds after a warm-up. */
function measure(read: (i: number) => number): number {
  let sink = 0;
  for (let i = 0; i < ITERATIONS; i++) sink += read(i);
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) sink += read(i);
    samples.push(Number(process.hrtime.bigint() - start) / ITERATIONS);
  }
  // The sink keeps the reads from being optimised away.
  if (sink === Number.NEGATIVE_INFINITY) console.log(sink);
  return samples.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const dir = await mkdtemp(join(tmpdir(), 'reposit-bench-'));
await writeFile(
  join(dir, 'default.yaml'),
  'service: { name: bench, port: 8080 }\ndb: { host: h, pool: { max: 10, min: 1 } }\n',
);
const config = await ConfigurationRepository.start({
  schema,
  files: { dir },
  defaults: { features: { beta: false } },
  env: { prefix: 'BENCH_', env: { BENCH_DB__POOL__MAX: '20' } },
  watch: false,
});
await config.override('features.beta', true);

// The baseline reads the same values from a plain object of the same shape, through the
// same measuring loop, so the loop's own cost is in both numbers.
const plain = structuredClone(config.getAll());
const oneRaw = measure(() => plain.db.pool.max);
const oneGet = measure(() => config.get('db.pool.max'));
const paths = ['db.pool.max', 'db.pool.min', 'service.port'] as const;
const mixedRaw = measure((i) =>
  i % 3 === 0 ? plain.db.pool.max : i % 3 === 1 ? plain.db.pool.min : plain.service.port,
);
const mixedGet = measure((i) => config.get(paths[i % 3]!));
await config.close();
await rm(dir, { recursive: true, force: true });

const row = (name: string, raw: number, get: number) =>
  console.log(`| ${name} | ${raw.toFixed(1)} | ${get.toFixed(1)} | ${(get / raw).toFixed(1)}x |`);

console.log(machine());
console.log('| workload | plain read ns/op | config.get ns/op | get / plain |');
console.log('| --- | ---: | ---: | ---: |');
row('one path (`db.pool.max`)', oneRaw, oneGet);
row('three paths in turn', mixedRaw, mixedGet);
