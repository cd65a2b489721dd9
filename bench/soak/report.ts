import { componentOf, type FaultName } from './faults.js';
import type { OpRecord, StaleRead } from './workload.js';

/** A fault as it actually ran; times in ms since the run's start. */
export interface FaultRun {
  readonly fault: FaultName;
  readonly beganAt: number;
  readonly endedAt: number;
  /** End of its recovery window (the next fault's start, or the run's end). */
  readonly until: number;
  /** When the component was back (breaker closed, replica in rotation); undefined if never. */
  readonly componentBackAt: number | undefined;
}

/** Statistics of one phase (warm-up, a fault, or the window after it). */
export interface PhaseStats {
  readonly phase: string;
  readonly ops: number;
  readonly errors: number;
  readonly errorTypes: Record<string, number>;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Recovery after one fault. */
export interface Recovery {
  readonly fault: FaultName;
  readonly faultMs: number;
  /** From the fault's end until the component was back and no call failed any more. */
  readonly recoveryMs: number | undefined;
  readonly errorsDuring: number;
  readonly errorsAfter: number;
}

/** The phase label of a moment of the run (an operation counts in the phase in which it returned). */
export function phaseOf(runs: readonly FaultRun[], at: number): { label: string; run: FaultRun | undefined } {
  for (const run of runs) {
    if (at >= run.beganAt && at < run.endedAt) return { label: run.fault, run };
    if (at >= run.endedAt && at < run.until) return { label: `${run.fault} after`, run };
  }
  return { label: runs.length > 0 && at >= runs[0]!.beganAt ? 'end' : 'warmup', run: undefined };
}

/** Per-phase statistics, in the order the phases ran, plus the whole run. */
export function phaseStats(records: readonly OpRecord[], runs: readonly FaultRun[]): PhaseStats[] {
  const groups = new Map<string, OpRecord[]>([['warmup', []]]);
  for (const run of runs) {
    groups.set(run.fault, []);
    groups.set(`${run.fault} after`, []);
  }
  for (const record of records) {
    const { label } = phaseOf(runs, record.at + record.ms);
    const group = groups.get(label) ?? [];
    groups.set(label, group);
    group.push(record);
  }
  const stats = [...groups].map(([phase, group]) => summarize(phase, group));
  stats.push(summarize('all', records));
  return stats;
}

function summarize(phase: string, records: readonly OpRecord[]): PhaseStats {
  const latencies = records.map((record) => record.ms).sort((a, b) => a - b);
  const errorTypes: Record<string, number> = {};
  let errors = 0;
  for (const record of records) {
    if (record.error === undefined) continue;
    errors++;
    errorTypes[record.error] = (errorTypes[record.error] ?? 0) + 1;
  }
  return {
    phase,
    ops: records.length,
    errors,
    errorTypes,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies.at(-1) ?? 0,
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/**
 * Recovery after each fault: from its end until both the component is back and the last
 * failing call (one that started during the fault or the window after it) has returned.
 * For primary faults the component is back at the first write that started after the end
 * and succeeded.
 */
export function recoveries(records: readonly OpRecord[], runs: readonly FaultRun[]): Recovery[] {
  return runs.map((run) => {
    const inSlot = records.filter((record) => {
      const returnedAt = record.at + record.ms;
      return returnedAt >= run.beganAt && returnedAt < run.until;
    });
    const failed = inSlot.filter((record) => record.error !== undefined);
    const lastFailure = Math.max(run.endedAt, ...failed.map((record) => record.at + record.ms));
    let back = run.componentBackAt;
    if (componentOf(run.fault) === 'primary') {
      const firstWrite = inSlot
        .filter(
          (record) =>
            record.at >= run.endedAt &&
            record.error === undefined &&
            (record.kind === 'update' || record.kind === 'create'),
        )
        .map((record) => record.at + record.ms)
        .sort((a, b) => a - b)[0];
      back = firstWrite;
    }
    return {
      fault: run.fault,
      faultMs: run.endedAt - run.beganAt,
      recoveryMs: back === undefined ? undefined : Math.max(back, lastFailure) - run.endedAt,
      errorsDuring: failed.filter((record) => record.at + record.ms < run.endedAt).length,
      errorsAfter: failed.filter((record) => record.at + record.ms >= run.endedAt).length,
    };
  });
}

/** One target of the issue and whether the run met it. */
export interface TargetResult {
  readonly target: string;
  readonly met: boolean;
  readonly detail: string;
}

/** Everything the targets are judged on. */
export interface Outcome {
  readonly records: readonly OpRecord[];
  readonly runs: readonly FaultRun[];
  readonly staleReads: readonly StaleRead[];
  readonly lostWrites: number;
  readonly acknowledgedWrites: number;
  readonly staleCached: number;
  readonly secretHits: readonly string[];
  readonly maxRecoveryMs: number;
}

/** Judges the run against the targets of issue 7. */
export function judge(outcome: Outcome): TargetResult[] {
  const { records, runs } = outcome;
  const failuresBy = (component: 'redis' | 'replica' | 'primary' | 'none') =>
    records.filter((record) => {
      if (record.error === undefined) return false;
      const { run } = phaseOf(runs, record.at + record.ms);
      return (run ? componentOf(run.fault) : 'none') === component;
    });
  const untypedPrimary = failuresBy('primary').filter(
    (record) => !record.error!.startsWith('ConnectionError'),
  );
  const slow = recoveries(records, runs).filter(
    (recovery) => recovery.recoveryMs === undefined || recovery.recoveryMs > outcome.maxRecoveryMs,
  );
  const count = (list: readonly unknown[]) => String(list.length);
  return [
    {
      target: 'acknowledged writes lost',
      met: outcome.lostWrites === 0,
      detail: `${outcome.lostWrites} of ${outcome.acknowledgedWrites}`,
    },
    {
      target: 'stale reads after bus delivery',
      met: outcome.staleReads.length === 0,
      detail: count(outcome.staleReads),
    },
    {
      target: 'stale cache entries after quiescence',
      met: outcome.staleCached === 0,
      detail: String(outcome.staleCached),
    },
    {
      target: 'errors with no fault',
      met: failuresBy('none').length === 0,
      detail: count(failuresBy('none')),
    },
    {
      target: 'errors during Redis faults',
      met: failuresBy('redis').length === 0,
      detail: count(failuresBy('redis')),
    },
    {
      target: 'errors during replica faults',
      met: failuresBy('replica').length === 0,
      detail: count(failuresBy('replica')),
    },
    {
      target: 'errors other than ConnectionError during primary faults',
      met: untypedPrimary.length === 0,
      detail: `${untypedPrimary.length} (of ${failuresBy('primary').length} errors)`,
    },
    {
      target: `recovery within ${outcome.maxRecoveryMs / 1000} s of each fault`,
      met: slow.length === 0,
      detail: slow.length === 0 ? 'all' : `not: ${slow.map((recovery) => recovery.fault).join(', ')}`,
    },
    {
      target: 'secrets in logs or errors',
      met: outcome.secretHits.length === 0,
      detail: count(outcome.secretHits),
    },
  ];
}

/** A plain-text table (also valid Markdown). */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [
    line(cells[0]!),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** Milliseconds with one decimal below 10, whole above. */
export function ms(value: number | undefined): string {
  if (value === undefined) return 'never';
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}
