/**
 * Migrates the old CRM's customer export (data/customers.legacy.json, a legacy shape)
 * to the new `Customer` schema four times, once per strategy: big-bang, phased,
 * parallel and hybrid. Everything runs offline: the legacy side is a JSON file, the new
 * side an in-memory store written out as customers.new.json for inspection.
 *
 *   npm run example:legacy            # prints what happens, step by step (tsx)
 */
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  BackfillJob,
  type BackfillResult,
  bigBang,
  FileCheckpointStore,
  FileDeadLetterStore,
  hashPercentageCohort,
  hybrid,
  ignoreTimestamps,
  JsonFileBackend,
  LegacyAdapter,
  type MigrationStrategy,
  parallel,
  phased,
  type ReconciliationReport,
  reconcile,
} from '../../src/backends/legacy/index.js';
import { MemoryBackend } from '../../src/backends/memory/index.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { Customer, customerMapper, type LegacyCustomer } from './customer.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'data', 'customers.legacy.json');

/** What one strategy did. */
export interface StrategyRun {
  readonly strategy: string;
  /** Every phase the adapter went through, in order. */
  readonly phases: string[];
  readonly legacyRecords: number;
  readonly migrated: number;
  /** Legacy ids that failed to convert, with the reason. */
  readonly deadLetters: { id: unknown; reason: string }[];
  readonly backfill: Pick<BackfillResult, 'inserted' | 'skipped' | 'deadLettered'>;
  readonly reconciliation: Pick<
    ReconciliationReport,
    'matched' | 'missingInNew' | 'missingInLegacy' | 'different' | 'unconvertible'
  >;
  readonly shadow: { matched: number; mismatched: number };
  readonly reads: { legacy: number; new: number; lazyMigrations: number };
  /** Was a write after the switch made on new only? */
  readonly legacyFrozenAfterSwitch: boolean;
}

/** Runs the four migrations in `workDir` (one folder each). */
export async function runMigration(
  workDir: string,
  log: (line: string) => void = () => {},
): Promise<StrategyRun[]> {
  const runs: StrategyRun[] = [];
  for (const [name, migrate] of Object.entries(STRATEGIES)) {
    log(`\n=== ${name} ===`);
    runs.push(await migrate(await prepare(workDir, name), log));
  }
  return runs;
}

type Setup = Awaited<ReturnType<typeof prepare>>;

async function prepare(workDir: string, name: string) {
  const folder = join(workDir, name);
  await mkdir(folder, { recursive: true });
  const legacyPath = join(folder, 'customers.legacy.json');
  await copyFile(SOURCE, legacyPath);
  const legacy = new JsonFileBackend<LegacyCustomer, string>({
    path: legacyPath,
    idField: 'CUST_NO',
    pretty: true,
  });
  const target = new MemoryBackend<Customer, string>(Customer, { unique: [['email']] });
  const deadLetters = new FileDeadLetterStore(join(folder, 'dead-letters.jsonl'));
  const make = (strategy: MigrationStrategy<Customer, string>, extra: { requireGate?: boolean } = {}) => {
    const adapter = new LegacyAdapter({
      entity: Customer,
      legacy,
      target,
      mapper: customerMapper,
      strategy,
      deadLetters,
      comparison: { normalisers: [ignoreTimestamps(Customer)], timeoutMs: 500 },
      gate: { window: 50, maxMismatchRate: 0.01 },
      ...extra,
    });
    const repo = new BaseRepository({ entity: Customer, backend: adapter, batchReads: false });
    return { adapter, repo };
  };
  const backfill = () =>
    new BackfillJob({
      entity: Customer,
      legacy,
      target,
      mapper: customerMapper,
      deadLetters,
      batchSize: 20,
      checkpoints: new FileCheckpointStore(join(folder, 'backfill.checkpoint.json')),
    }).run();
  // LAST_CHG keeps whole seconds only, so updatedAt cannot match to the millisecond.
  const reconcileNow = () =>
    reconcile({
      entity: Customer,
      legacy,
      target,
      mapper: customerMapper,
      normalisers: [ignoreTimestamps(Customer)],
    });
  const ids = async () =>
    (await legacy.find({ where: undefined, orderBy: [{ field: 'CUST_NO', direction: 'asc' }] })).map(
      (r) => r.CUST_NO,
    );
  return { folder, legacy, target, deadLetters, make, backfill, reconcileNow, ids };
}

async function finish(
  setup: Setup,
  strategy: string,
  adapter: LegacyAdapter<LegacyCustomer, Customer, string, string>,
  backfill: BackfillResult,
  report: ReconciliationReport,
  legacyFrozenAfterSwitch: boolean,
  log: (line: string) => void,
): Promise<StrategyRun> {
  const migrated = await setup.target.find({
    where: undefined,
    orderBy: [{ field: 'id', direction: 'asc' }],
  });
  await writeFile(join(setup.folder, 'customers.new.json'), JSON.stringify(migrated, null, 2));
  const letters = await setup.deadLetters.list();
  const metrics = await adapter.metrics();
  const comparison = adapter.comparisonReport();
  await adapter.close();
  log(`phases: ${[adapter.strategy.initialPhase, ...adapter.machine.history.map((t) => t.to)].join(' → ')}`);
  log(
    `reconciliation: ${JSON.stringify({ matched: report.matched, drift: drifted(report), unconvertible: report.unconvertible })}`,
  );
  log(
    `migrated ${migrated.length} customers; dead letters: ${letters.map((l) => `${String(l.legacyId)} (${l.reason})`).join('; ')}`,
  );
  return {
    strategy,
    phases: [adapter.strategy.initialPhase, ...adapter.machine.history.map((t) => t.to)],
    legacyRecords: (await setup.ids()).length,
    migrated: migrated.length,
    deadLetters: letters.map((l) => ({ id: l.legacyId, reason: l.reason })),
    backfill: { inserted: backfill.inserted, skipped: backfill.skipped, deadLettered: backfill.deadLettered },
    reconciliation: {
      matched: report.matched,
      missingInNew: report.missingInNew,
      missingInLegacy: report.missingInLegacy,
      different: report.different,
      unconvertible: report.unconvertible,
    },
    shadow: { matched: comparison.matched, mismatched: comparison.mismatched },
    reads: { legacy: metrics.reads.legacy, new: metrics.reads.new, lazyMigrations: metrics.lazyMigrations },
    legacyFrozenAfterSwitch,
  };
}

/** After the switch, a write must reach new only: the legacy record stays as it was. */
async function writeAfterSwitch(
  setup: Setup,
  repo: Pick<BaseRepository<Customer, string, never>, 'update' | 'getOrFail'>,
): Promise<boolean> {
  const before = (await setup.legacy.findByIds(['C00001']))[0];
  await repo.update('C00001', { creditLimitCents: 999_900 });
  const after = (await setup.legacy.findByIds(['C00001']))[0];
  return (
    JSON.stringify(before) === JSON.stringify(after) &&
    (await repo.getOrFail('C00001')).creditLimitCents === 999_900
  );
}

function drifted(report: ReconciliationReport): number {
  return report.missingInNew + report.missingInLegacy + report.different;
}

const STRATEGIES: Record<string, (setup: Setup, log: (line: string) => void) => Promise<StrategyRun>> = {
  /** Freeze writes, copy everything, check, switch everything at once. */
  async 'big-bang'(setup, log) {
    const { adapter, repo } = setup.make(bigBang());
    await repo.update('C00003', { active: false });
    log('legacy-only: the application still writes legacy (C00003 deactivated)');
    const backfill = await setup.backfill();
    log(
      `backfill: ${backfill.inserted} copied at ${backfill.rowsPerSecond.toFixed(0)} rows/s, ${backfill.deadLettered} dead-lettered`,
    );
    const report = await setup.reconcileNow();
    log(
      `reconciliation: ${report.matched} match, drift ${drifted(report)}, ${report.unconvertible} unconvertible`,
    );
    if (drifted(report) > 0) throw new Error('big-bang: the copy drifted; not switching');
    adapter.machine.moveTo('new-only', 'backfill reconciled');
    const frozen = await writeAfterSwitch(setup, repo);
    log(`new-only: writes go to new alone (${frozen ? 'legacy untouched' : 'legacy changed!'})`);
    return finish(setup, 'big-bang', adapter, backfill, report, frozen, log);
  },

  /** Everyone dual-writes; a sticky 25% of customers moves first, then everyone. */
  async phased(setup, log) {
    const strategy = phased<Customer, string>({
      cohort: hashPercentageCohort({ percent: 25, salt: 'customers' }),
      initialPhase: 'dual-write',
      outsidePhase: 'dual-write',
    });
    const { adapter, repo } = setup.make(strategy);
    const backfill = await setup.backfill();
    log(`dual-write + backfill: ${backfill.inserted} copied`);
    adapter.machine.moveTo('new-primary', 'cohort of 25% first');
    for (const id of await setup.ids()) await repo.getById(id);
    const afterCohort = await adapter.metrics();
    log(
      `25% cohort on new: ${afterCohort.reads.new} reads from new, ${afterCohort.reads.legacy} from legacy`,
    );
    adapter.setCohort(hashPercentageCohort({ percent: 100, salt: 'customers' }));
    adapter.machine.moveTo('new-only', 'everyone');
    const report = await setup.reconcileNow();
    const frozen = await writeAfterSwitch(setup, repo);
    log(`100% on new-only (${frozen ? 'legacy untouched' : 'legacy changed!'})`);
    return finish(setup, 'phased', adapter, backfill, report, frozen, log);
  },

  /** Write both, read both and compare; advance only when the cut-over gate opens. */
  async parallel(setup, log) {
    const { adapter, repo } = setup.make(parallel(), { requireGate: true });
    const backfill = await setup.backfill();
    // The old CRM is still running and changes a customer behind the adapter's back.
    await setup.legacy.update('C00055', { STATUS: 'I' });
    const ids = await setup.ids();
    for (const id of ids) await repo.getById(id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = adapter.comparisonReport();
    log(
      `shadow reads: ${first.matched} match, ${first.mismatched} mismatch: ${JSON.stringify(first.sample[0]?.diffs)}`,
    );
    let refused = '';
    try {
      adapter.machine.moveTo('new-primary');
    } catch (error) {
      refused = (error as Error).message;
    }
    log(`advance refused: ${refused}`);
    await adapter.resync(first.sample.flatMap((observation) => observation.input as string[]));
    adapter.gate.reset();
    for (const id of ids) await repo.getById(id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    log(
      `after resync: gate ${adapter.gate.status().open ? 'open' : 'closed'} (${adapter.gate.status().mismatchRate} mismatch rate)`,
    );
    adapter.machine.moveTo('new-primary', 'gate open');
    adapter.machine.moveTo('new-only', 'legacy retired');
    const report = await setup.reconcileNow();
    const frozen = await writeAfterSwitch(setup, repo);
    return finish(setup, 'parallel', adapter, backfill, report, frozen, log);
  },

  /** Reads go to new; a miss is copied from legacy on the way; a backfill sweeps the rest. */
  async hybrid(setup, log) {
    const { adapter, repo } = setup.make(hybrid());
    const ids = await setup.ids();
    for (const id of ids.slice(0, 10)) await repo.getById(id);
    await repo.update('C00020', { firstName: 'Renamed' });
    log(`lazy migration: ${(await adapter.metrics()).lazyMigrations} customers copied on first use`);
    const backfill = await setup.backfill();
    log(`backfill sweeps the rest: ${backfill.inserted} copied, ${backfill.skipped} already there`);
    const report = await setup.reconcileNow();
    adapter.machine.moveTo('new-only', 'everything migrated');
    const frozen = await writeAfterSwitch(setup, repo);
    return finish(setup, 'hybrid', adapter, backfill, report, frozen, log);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const workDir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'reposit-legacy-migration-')));
  const runs = await runMigration(workDir, (line) => console.log(line));
  console.log(`\nfiles in ${workDir}`);
  console.table(
    runs.map((run) => ({
      strategy: run.strategy,
      migrated: run.migrated,
      deadLetters: run.deadLetters.length,
      phases: run.phases.length,
    })),
  );
}
