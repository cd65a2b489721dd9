import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigration, type StrategyRun } from './migrate.js';

let workDir: string;
let runs: StrategyRun[];
const lines: string[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'reposit-legacy-example-'));
  runs = await runMigration(workDir, (line) => lines.push(line));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('examples/legacy-migration', () => {
  it('runs every strategy in turn, each ending on new only', () => {
    expect(runs.map((run) => [run.strategy, run.phases.at(-1)])).toEqual([
      ['big-bang', 'new-only'],
      ['phased', 'new-only'],
      ['parallel', 'new-only'],
      ['hybrid', 'new-only'],
    ]);
    expect(runs.find((run) => run.strategy === 'big-bang')!.phases).toEqual([
      'legacy-only',
      'dual-write',
      'shadow-read',
      'new-primary',
      'new-only',
    ]);
  });

  it('migrates every convertible customer and dead-letters the two broken ones with their reasons', () => {
    for (const run of runs) {
      expect(run.legacyRecords).toBe(60);
      expect(run.migrated).toBe(58);
      expect(run.deadLetters.map((letter) => letter.id).sort()).toEqual(['C00017', 'C00042']);
      expect(run.reconciliation).toMatchObject({
        missingInNew: 0,
        missingInLegacy: 0,
        different: 0,
        unconvertible: 2,
      });
      expect(run.legacyFrozenAfterSwitch).toBe(true);
    }
    const reasons = runs[0]!.deadLetters.map((letter) => letter.reason).join(' | ');
    expect(reasons).toMatch(/email/);
    expect(reasons).toMatch(/not a calendar date/);
  });

  it('converts the legacy shape to the new schema', async () => {
    const customers = JSON.parse(await readFile(join(workDir, 'big-bang', 'customers.new.json'), 'utf8'));
    expect(customers[0]).toMatchObject({
      id: 'C00001',
      firstName: 'Frances',
      lastName: 'Liskov',
      email: 'frances.liskov1@example.com',
      active: true,
      signedUpOn: '2001-09-03T00:00:00.000Z',
      creditLimitCents: 999_900,
    });
    expect(customers.find((c: { id: string }) => c.id === 'C00003').active).toBe(false);
  });

  it('phased reads the cohort from new and the rest from legacy', () => {
    const phasedRun = runs.find((run) => run.strategy === 'phased')!;
    expect(phasedRun.reads.new).toBeGreaterThan(5);
    expect(phasedRun.reads.legacy).toBeGreaterThan(phasedRun.reads.new);
  });

  it('parallel finds the record the old system changed behind its back, refuses to advance, then does after a resync', () => {
    const parallelRun = runs.find((run) => run.strategy === 'parallel')!;
    expect(parallelRun.shadow.mismatched).toBe(1);
    expect(parallelRun.shadow.matched).toBe(59 + 60);
    expect(lines.join('\n')).toMatch(/"path":"\[C00055\]\.active","legacy":false,"new":true/);
    expect(lines.join('\n')).toMatch(/advance refused: .*mismatch rate/);
  });

  it('hybrid copies customers on first use and the backfill skips them', () => {
    const hybridRun = runs.find((run) => run.strategy === 'hybrid')!;
    expect(hybridRun.reads.lazyMigrations).toBe(11);
    expect(hybridRun.backfill).toMatchObject({ skipped: 11, inserted: 47 });
  });
});
