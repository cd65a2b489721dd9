/**
 * The ConnectionManager's cost per statement against raw pg in the same process: a
 * one-row statement through `manager.query` vs `pool.query` on a pg Pool of the same size,
 * unnamed and named (prepared), at concurrency 1 and 32; and a one-statement transaction
 * vs hand-written BEGIN/statement/COMMIT on a checked-out client. Each pair runs
 * alternately three times and keeps each side's best run (the machine may be shared).
 *
 * Run: `node bench/run.mjs bench/connection.bench.ts` (bundles with esbuild; or any TS
 * runner). Needs PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432). Record the table in
 * docs/benchmarks.md ("Connection layer").
 */
import pg from 'pg';
import { ConnectionManager } from '../src/connection/connection-manager.js';
import { createLogger } from '../src/observability/logger.js';
import { type Measurement, machine, measure, table } from './harness.js';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const POOL_SIZE = 10;

const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
const manager = new ConnectionManager({
  primary: { connectionString: url, max: POOL_SIZE },
  logger: createLogger({ level: 'silent' }),
});

const rows: Measurement[] = [];
const baselines = new Map<Measurement, Measurement>();

/**
 * Measures baseline and candidate alternately, `ROUNDS` times each, and keeps each one's
 * best run: on a shared machine a load spike then hurts neither side's figure.
 */
async function pair(
  baselineName: string,
  baseline: (worker: number, iteration: number) => Promise<unknown>,
  candidateName: string,
  candidate: (worker: number, iteration: number) => Promise<unknown>,
  concurrency: number,
): Promise<void> {
  let best: [Measurement | undefined, Measurement | undefined] = [undefined, undefined];
  for (let round = 0; round < ROUNDS; round++) {
    const b = await measure(baselineName, baseline, { concurrency });
    const c = await measure(candidateName, candidate, { concurrency });
    best = [
      !best[0] || b.opsPerSecond > best[0].opsPerSecond ? b : best[0],
      !best[1] || c.opsPerSecond > best[1].opsPerSecond ? c : best[1],
    ];
  }
  rows.push(best[0]!, best[1]!);
  baselines.set(best[1]!, best[0]!);
}

const ROUNDS = 3;
for (const concurrency of [1, 32]) {
  await pair(
    'raw pg pool.query',
    (_w, i) => pool.query('select $1::int as id', [i]),
    'manager.query',
    (_w, i) => manager.query('select $1::int as id', [i]),
    concurrency,
  );
  await pair(
    'raw pg pool.query (named)',
    (_w, i) => pool.query({ name: 'bench_raw', text: 'select $1::int as id', values: [i] }),
    'manager.query (named)',
    (_w, i) => manager.query('select $1::int as id', [i], { name: 'bench_managed' }),
    concurrency,
  );
  await pair(
    'raw BEGIN/select/COMMIT',
    async (_w, i) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('select $1::int as id', [i]);
        await client.query('commit');
      } finally {
        client.release();
      }
    },
    'manager.transaction(select)',
    (_w, i) => manager.transaction(() => manager.query('select $1::int as id', [i])),
    concurrency,
  );
}

/**
 * Client CPU time per operation (process.cpuUsage) in a sequential loop: far less
 * sensitive than wall time to other load on a shared machine, and it is the cost reposit
 * adds (the server's work is the same on both sides).
 */
async function cpuMicros(operation: (i: number) => Promise<unknown>, iterations = 2000): Promise<number> {
  for (let i = 0; i < 200; i++) await operation(i);
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await operation(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

const cpuPairs: [string, (i: number) => Promise<unknown>, (i: number) => Promise<unknown>][] = [
  [
    'query',
    (i) => pool.query('select $1::int as id', [i]),
    (i) => manager.query('select $1::int as id', [i]),
  ],
  [
    'query (named)',
    (i) => pool.query({ name: 'bench_raw', text: 'select $1::int as id', values: [i] }),
    (i) => manager.query('select $1::int as id', [i], { name: 'bench_managed' }),
  ],
  [
    'transaction (one select)',
    async (i) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('select $1::int as id', [i]);
        await client.query('commit');
      } finally {
        client.release();
      }
    },
    (i) => manager.transaction(() => manager.query('select $1::int as id', [i])),
  ],
];
const cpuLines = [
  '| operation | raw pg CPU µs/op | manager CPU µs/op | ratio |',
  '| --- | ---: | ---: | ---: |',
];
for (const [name, raw, managed] of cpuPairs) {
  // Best of three alternating rounds each, as above.
  let rawBest = Number.POSITIVE_INFINITY;
  let managedBest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    rawBest = Math.min(rawBest, await cpuMicros(raw));
    managedBest = Math.min(managedBest, await cpuMicros(managed));
  }
  cpuLines.push(
    `| ${name} | ${rawBest.toFixed(0)} | ${managedBest.toFixed(0)} | ${(managedBest / rawBest).toFixed(2)}x |`,
  );
}

console.log(`Connection layer — ${machine()}\n`);
console.log(table(rows, (row) => baselines.get(row)));
console.log(`\nClient CPU per operation (concurrency 1)\n\n${cpuLines.join('\n')}`);
await manager.close();
await pool.end();
