/**
 * Creates through a repository on the memory backend, one at a time, against the raw
 * baseline of what any in-memory store must do per row (a structuredClone into a Map), in
 * the same run: 20,000 rows (CREATES) without and with a unique constraint on `email`.
 * The cost per create must not grow with the rows already stored.
 *
 *   node bench/run.mjs bench/memory-backend-creates.ts     (CREATES, default 20000)
 *
 * Needs nothing but Node. Prints a Markdown table.
 */
import { MemoryBackend } from '../src/backends/memory/memory-backend.js';
import { BaseRepository } from '../src/repository/base-repository.js';
import { Widget } from '../src/testing/conformance.js';
import { machine } from './harness.js';

const CREATES = Number(process.env.CREATES ?? 20_000);
const input = (i: number) => ({
  id: `w${i}`,
  email: `user${i}@example.com`,
  name: `User ${i}`,
  age: 30,
  score: 1,
  active: true,
});

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const raw = await timed(async () => {
  const rows = new Map<string, unknown>();
  for (let i = 0; i < CREATES; i++) rows.set(`w${i}`, structuredClone(input(i)));
});
const results: [string, number][] = [];
for (const [name, unique] of [
  ['repository.create, memory backend', undefined],
  ["repository.create, memory backend with unique(['email'])", [['email']]],
] as const) {
  const repo = new BaseRepository({ entity: Widget, backend: new MemoryBackend(Widget, { unique }) });
  results.push([
    name,
    await timed(async () => {
      for (let i = 0; i < CREATES; i++) await repo.create(input(i));
    }),
  ]);
}
console.log(`# ${CREATES.toLocaleString('en-US')} creates, one at a time

${machine()}

| workload | total ms | µs per create | vs raw |
| --- | ---: | ---: | ---: |
| raw: structuredClone into a Map | ${raw.toFixed(0)} | ${((raw * 1000) / CREATES).toFixed(1)} | baseline |
${results
  .map(
    ([name, ms]) =>
      `| ${name} | ${ms.toFixed(0)} | ${((ms * 1000) / CREATES).toFixed(1)} | ${(raw / ms).toFixed(3)}x |`,
  )
  .join('\n')}`);
