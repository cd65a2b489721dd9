/**
 * Google Sheets API calls per 1,000 creates and per 1,000 reads through a repository on
 * `SheetsBackend`, against the raw baseline (the official client used the way row-number
 * libraries do: one `values.append` per create, one `values.get` per read), both against
 * the local emulator in the same process; and a check that the token bucket keeps a
 * burst of traffic under the quota that the emulator enforces.
 *
 * Run: `node --import tsx bench/sheets-api-calls.ts`. Prints Markdown tables; record them
 * in docs/benchmarks.md ("Sheets"). Call counts are exact (the emulator counts requests);
 * wall times depend on the machine and are shown for context only.
 */
import { sheets } from '@googleapis/sheets';
import { z } from 'zod';
import { SheetsBackend } from '../src/backends/sheets/index.js';
import { BaseRepository } from '../src/repository/base-repository.js';
import { defineEntity, type EntityType } from '../src/repository/entity.js';
import { type SheetsEmulator, startSheetsEmulator } from '../src/testing/index.js';
import { machine } from './harness.js';

const Item = defineEntity({
  name: 'item',
  schema: z.object({
    id: z.string(),
    title: z.string(),
    price: z.number(),
    inStock: z.boolean(),
    createdAt: z.date(),
    version: z.number().int(),
  }),
  id: 'id',
  version: 'version',
  timestamps: { createdAt: 'createdAt' },
});
type Item = EntityType<typeof Item>;

const N = 1000;
const UNLIMITED = { read: { limit: 1_000_000 }, write: { limit: 1_000_000 } };

/** Runs `count` operations with `concurrency` workers, each awaiting its own calls. */
async function pool(
  count: number,
  concurrency: number,
  run: (i: number) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await run(next++);
    }),
  );
  return performance.now() - started;
}

function input(i: number) {
  return { id: `item-${String(i).padStart(5, '0')}`, title: `Item ${i}`, price: i / 4, inStock: i % 2 === 0 };
}

async function reposit(emulator: SheetsEmulator, concurrency: number) {
  const spreadsheetId = emulator.createSpreadsheet({ sheets: ['Items'] });
  const backend = new SheetsBackend<Item, string>({
    entity: Item,
    client: sheets({ version: 'v4', rootUrl: emulator.rootUrl }),
    spreadsheetId,
    sheet: 'Items',
    gatewayOptions: { limits: UNLIMITED },
  });
  const repo = new BaseRepository({ entity: Item, backend, cursorSecret: 'bench' });
  emulator.resetCounts();
  const createMs = await pool(N, concurrency, (i) => repo.create(input(i)));
  const creates = emulator.totalRequests();
  emulator.resetCounts();
  const readMs = await pool(N, concurrency, async (i) => {
    const found = await repo.getById(input(i).id);
    if (!found) throw new Error(`item ${i} not found`);
  });
  const reads = emulator.totalRequests();
  await backend.close();
  return { creates, reads, createMs, readMs };
}

async function raw(emulator: SheetsEmulator, concurrency: number) {
  const spreadsheetId = emulator.createSpreadsheet({
    sheets: [{ title: 'Items', rows: [['id', 'title', 'price', 'inStock', 'createdAt', 'version']] }],
  });
  const client = sheets({ version: 'v4', rootUrl: emulator.rootUrl });
  emulator.resetCounts();
  const createMs = await pool(N, concurrency, async (i) => {
    const row = input(i);
    await client.spreadsheets.values.append({
      spreadsheetId,
      range: 'Items!A:F',
      valueInputOption: 'RAW',
      requestBody: { values: [[row.id, row.title, row.price, row.inStock, new Date().toISOString(), 1]] },
    });
  });
  const creates = emulator.totalRequests();
  emulator.resetCounts();
  // A row-number library reads the row it needs; here the row number is known (i + 2).
  const readMs = await pool(N, concurrency, async (i) => {
    await client.spreadsheets.values.get({ spreadsheetId, range: `Items!A${i + 2}:F${i + 2}` });
  });
  const reads = emulator.totalRequests();
  return { creates, reads, createMs, readMs };
}

async function quota(emulator: SheetsEmulator) {
  // A scaled minute: the emulator enforces 12 reads per 600 ms, the limiter is set the same.
  const windowMs = 600;
  const limit = 12;
  const calls = 60;
  const spreadsheetId = emulator.createSpreadsheet({ sheets: ['Items'] });
  emulator.faults.setQuota({ reads: limit, writes: limit, windowMs });

  emulator.resetCounts();
  const client = sheets({ version: 'v4', rootUrl: emulator.rootUrl });
  let rawRejected = 0;
  await pool(calls, 8, async () => {
    try {
      await client.spreadsheets.values.get({ spreadsheetId, range: 'Items!A1' }, { retry: false });
    } catch {
      rawRejected += 1;
    }
  });
  const rawMax = emulator.faults.maxInWindow('read', windowMs);
  await new Promise((resolve) => setTimeout(resolve, windowMs));

  const backend = new SheetsBackend<Item, string>({
    entity: Item,
    client,
    spreadsheetId,
    sheet: 'Items',
    gatewayOptions: { limits: { read: { limit, windowMs }, write: { limit, windowMs } } },
  });
  emulator.resetCounts();
  const started = performance.now();
  // Sequential awaits defeat batching, so every read is its own request.
  for (let i = 0; i < calls; i += 1) await backend.findByIds([`item-${i}`]);
  const elapsed = performance.now() - started;
  const limited = {
    requests: emulator.totalRequests(),
    rejected: emulator.faults.throttled,
    max: emulator.faults.maxInWindow('read', windowMs),
  };
  emulator.faults.setQuota(undefined);
  await backend.close();
  return { windowMs, limit, calls, rawRejected, rawMax, limited, elapsed };
}

const emulator = await startSheetsEmulator({ latencyMs: 2 });
console.log(`Machine: ${machine()}\n`);
console.log(
  '| concurrency | workload | raw client calls | reposit calls | reposit / raw | reposit wall ms |',
);
console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
// SHEETS_CONCURRENCY=10,50 runs a subset (concurrency 1 alone takes minutes: two requests per create).
const concurrencies = (process.env.SHEETS_CONCURRENCY ?? '1,10,50,100,200').split(',').map(Number);
for (const concurrency of concurrencies) {
  const base = await raw(emulator, concurrency);
  const ours = await reposit(emulator, concurrency);
  const row = (what: string, r: number, o: number, ms: number) =>
    console.log(`| ${concurrency} | ${N} ${what} | ${r} | ${o} | ${(o / r).toFixed(3)} | ${ms.toFixed(0)} |`);
  row('creates', base.creates, ours.creates, ours.createMs);
  row('reads (getById)', base.reads, ours.reads, ours.readMs);
}
{
  // One call with all 1,000: createMany against a single values.append of 1,000 rows.
  const spreadsheetId = emulator.createSpreadsheet({ sheets: ['Items', 'Raw'] });
  const backend = new SheetsBackend<Item, string>({
    entity: Item,
    client: sheets({ version: 'v4', rootUrl: emulator.rootUrl }),
    spreadsheetId,
    sheet: 'Items',
    gatewayOptions: { limits: UNLIMITED },
  });
  const repo = new BaseRepository({ entity: Item, backend, cursorSecret: 'bench' });
  emulator.resetCounts();
  await sheets({ version: 'v4', rootUrl: emulator.rootUrl }).spreadsheets.values.append({
    spreadsheetId,
    range: 'Raw!A:F',
    valueInputOption: 'RAW',
    requestBody: { values: Array.from({ length: N }, (_, i) => Object.values(input(i))) },
  });
  const rawCalls = emulator.totalRequests();
  emulator.resetCounts();
  await repo.createMany(Array.from({ length: N }, (_, i) => input(i)));
  const ours = emulator.totalRequests();
  console.log(
    `| 1 | ${N} creates in one createMany | ${rawCalls} | ${ours} | ${(ours / rawCalls).toFixed(3)} | — |`,
  );
  await backend.close();
}
const q = await quota(emulator);
console.log(`\nQuota: ${q.limit} reads per ${q.windowMs} ms enforced by the emulator; ${q.calls} reads.\n`);
console.log('| client | requests sent | rejected with 429 | most requests in any window | wall ms |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(
  `| raw client, 8 concurrent callers | ${q.calls} | ${q.rawRejected} | ${q.rawMax} admitted | — |`,
);
console.log(
  `| reposit, limiter ${q.limit}/${q.windowMs} ms | ${q.limited.requests} | ${q.limited.rejected} | ${q.limited.max} | ${q.elapsed.toFixed(0)} |`,
);
await emulator.close();
