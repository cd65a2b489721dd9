/**
 * What turning on async hooks costs reposit's hot path: an L1-hit `repository.getById`,
 * measured in rounds, then again after one `withPrimaryReads` call has entered an
 * AsyncLocalStorage context (which, on Node 20, turns on promise hooks for the whole
 * process, for good). A cached repository used to enter it for every cache miss; now only
 * when its backend may read from a replica (`Backend.mayReadFromReplicas`).
 *
 *   node bench/run.mjs bench/async-hooks-cost.ts     (BENCH_SECONDS per round, default 1)
 *
 * Needs nothing but Node. Prints a Markdown table.
 */
import { MemoryBackend } from '../src/backends/memory/memory-backend.js';
import { CacheManager } from '../src/cache/cache-manager.js';
import { withPrimaryReads } from '../src/context/primary-reads.js';
import { BaseRepository } from '../src/repository/base-repository.js';
import { Widget } from '../src/testing/conformance.js';
import { benchSeconds, machine, median } from './harness.js';

const ROUNDS = 5;
const seconds = benchSeconds(1);
const cache = new CacheManager({ namespace: 'bench_hooks' });
const backend = new MemoryBackend(Widget);
const repo = new BaseRepository({ entity: Widget, backend, cache: cache.forEntity(Widget) });
await repo.create({ id: 'w1', email: 'a@example.com', name: 'A', age: 1, score: 1, active: true });
await repo.getById('w1');

/** Median ns per L1-hit getById over ROUNDS rounds. */
async function measureHits(): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const deadline = performance.now() + seconds * 1000;
    let calls = 0;
    const started = performance.now();
    while (performance.now() < deadline) {
      for (let i = 0; i < 1000; i++) await repo.getById('w1');
      calls += 1000;
    }
    rounds.push(((performance.now() - started) * 1e6) / calls);
  }
  return median(rounds);
}

const before = await measureHits();
await withPrimaryReads(async () => undefined);
const after = await measureHits();
console.log(`# Async hooks and an L1-hit getById

${machine()}; ${ROUNDS} rounds of ${seconds} s, median

| state | ns per L1-hit \`getById\` | vs hooks off |
| --- | ---: | ---: |
| async hooks off (no AsyncLocalStorage context entered yet) | ${before.toFixed(0)} | baseline |
| after one \`withPrimaryReads\` (hooks on for the rest of the process) | ${after.toFixed(0)} | ${(before / after).toFixed(2)}x |`);
await cache.close();
process.exit(0);
