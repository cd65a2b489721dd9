/**
 * The soak test of issue 7: mixed reads and writes at concurrency 64 through cached
 * repositories (two application instances, each with its own pools and L1, sharing Redis
 * and the bus) against PostgreSQL with a streaming replica, while a schedule stops and
 * restarts Redis and the replica, kills primary connections and injects latency and hangs
 * through TCP proxies. Prints operations, errors by type and phase, p50/p99 per phase,
 * stale reads, lost writes and recovery times, and exits 1 when a target is missed.
 *
 *   npm run soak                       # 180 s
 *   npm run soak -- --duration 600 --concurrency 64
 *   npm run soak:ci                    # 60 s
 *
 * `--duration` is the planned length: a component slow to come back delays the next fault
 * (by at most 15 s each).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { uniqueName } from '../../test/support/services.js';
import { startEnvironment } from './environment.js';
import { FaultInjector, planSchedule } from './faults.js';
import { type AppInstance, startInstance } from './instance.js';
import { Ledger } from './ledger.js';
import { LogCapture } from './log-capture.js';
import { type FaultRun, judge, ms, phaseOf, phaseStats, recoveries, table } from './report.js';
import { auditCaches, verifyWrites } from './verify.js';
import { Workload } from './workload.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '180' },
    concurrency: { type: 'string', default: '64' },
    instances: { type: 'string', default: '2' },
    'max-recovery': { type: 'string', default: '5' },
  },
});
const durationMs = Number(args.duration) * 1000;
const concurrency = Number(args.concurrency);
const instanceCount = Number(args.instances);
const maxRecoveryMs = Number(args['max-recovery']) * 1000;
if (!(durationMs >= 20_000) || !(concurrency >= 1) || !(instanceCount >= 2) || !(maxRecoveryMs > 0)) {
  console.error(
    'usage: soak [--duration seconds (>= 20, default 180)] [--concurrency n (default 64)] ' +
      '[--instances n (>= 2, default 2)] [--max-recovery seconds (default 5)]',
  );
  process.exit(2);
}

/** The longest the schedule waits for a component to come back before the next fault. */
const COMPONENT_WAIT_MS = 15_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (text: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);

const capture = new LogCapture();
capture.teeProcessOutput();
const unhandled: unknown[] = [];
const keep = (kind: string) => (reason: unknown) => {
  unhandled.push(reason);
  capture.recordError(reason);
  if (unhandled.length <= 5) {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    console.error(`${kind}: ${text.slice(0, 2000)}`);
  }
};
// Counted (and failing the run) rather than crashing it, so the report still comes out.
process.on('unhandledRejection', keep('unhandled rejection'));
process.on('uncaughtException', keep('uncaught exception'));

log(
  `setting up (load average ${os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')})`,
);
const env = await startEnvironment();
let exitCode = 1;
const injector = new FaultInjector(env);
const instances: AppInstance[] = [];
let workload: Workload | undefined;
// Interrupted: still remove the role, schema, replica and Redis it made.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    // The callers first: against closed instances their calls fail at once, and the loop
    // of rejections would never let the clean-up run.
    workload?.stop();
    void injector
      .clear()
      .then(() => Promise.all(instances.map((instance) => instance.close().catch(() => {}))))
      .then(() => env.teardown())
      .finally(() => process.exit(130));
  });
}
try {
  const ledger = new Ledger(instanceCount);
  const namespace = uniqueName('soak');
  for (let index = 0; index < instanceCount; index++)
    instances.push(await startInstance(index, env, ledger, capture, namespace));
  const schedule = planSchedule(durationMs);
  const startedAt = Date.now();
  const now = () => Date.now() - startedAt;
  workload = new Workload(instances, ledger, capture, startedAt);
  const breakerOpenings: number[] = [];
  const lastL2Answer = instances.map(() => 0);
  for (const instance of instances) {
    instance.cache.events.on('breaker', ({ state }) => {
      if (state === 'open') breakerOpenings.push(now());
    });
    // An L2 hit or miss is an answer from Redis (a failed or skipped call is neither).
    const answered = ({ tier }: { tier: string }) => {
      if (tier === 'l2') lastL2Answer[instance.index] = now();
    };
    instance.cache.events.on('hit', answered);
    instance.cache.events.on('miss', answered);
  }
  const running = workload.run(concurrency);
  const expiry = setInterval(() => ledger.expire(30_000), 1000);
  log(
    `running ${durationMs / 1000} s at concurrency ${concurrency} on ${instanceCount} instances; warm-up ${schedule.warmupMs / 1000} s`,
  );

  const runs: { -readonly [K in keyof Omit<FaultRun, 'until'>]: FaultRun[K] }[] = [];
  // A fault that overruns its slot (a replica slow to restart on a loaded machine), or whose
  // component is not back when its slot ends, delays the rest of the schedule: faults never
  // overlap the recovery of the previous one. The wait for a component is bounded.
  let delay = 0;
  for (const slot of schedule.slots) {
    await sleep(slot.start + delay - now());
    const beganAt = now();
    await injector.begin(slot.fault);
    log(`${slot.fault}: injected (${workload.records.length} operations so far)`);
    await sleep(slot.end + delay - now());
    await injector.end(slot.fault);
    const endedAt = now();
    delay = Math.max(delay, endedAt - slot.end);
    log(`${slot.fault}: ended after ${((endedAt - beganAt) / 1000).toFixed(1)} s`);
    const run: (typeof runs)[number] = { fault: slot.fault, beganAt, endedAt, componentBackAt: undefined };
    runs.push(run);
    const giveUpAt = Math.max(slot.until + delay, endedAt + COMPONENT_WAIT_MS);
    while (now() < slot.until + delay || (run.componentBackAt === undefined && now() < giveUpAt)) {
      if (run.componentBackAt === undefined && componentBack(slot.fault, instances, lastL2Answer, endedAt))
        run.componentBackAt = now();
      await sleep(50);
    }
    delay = Math.max(delay, now() - slot.until);
    if (run.componentBackAt === undefined)
      log(
        `${slot.fault}: not back ${COMPONENT_WAIT_MS / 1000} s after the fault (${componentState(instances)})`,
      );
  }
  const finishedAt = now();
  workload.stop();
  await running;
  clearInterval(expiry);
  const faultRuns: FaultRun[] = runs.map((run, index) => ({
    ...run,
    until: runs[index + 1]?.beganAt ?? finishedAt,
  }));

  log('verifying: settling caches, reading the table from the primary');
  // Quiescence: background write-backs done, and L2 invalidations that failed during a
  // fault retried (their backoff reaches 5 s), before the cached entries are compared.
  const settleDeadline = Date.now() + 20_000;
  do {
    await Promise.all(instances.map((instance) => instance.cache.settle()));
    await sleep(500);
  } while (
    instances.some((instance) => instance.cache.stats().pendingRetries > 0) &&
    Date.now() < settleDeadline
  );
  const pendingRetries = sum(instances.map((instance) => instance.cache.stats().pendingRetries));
  const writes = await verifyWrites(env, ledger);
  const ids = [...writes.versions.keys()];
  const audit = await auditCaches(instances, ids, writes.versions);
  const cacheStats = instances.map((instance) => instance.cache.stats());
  for (const instance of instances.splice(0)) await instance.close();
  capture.stop();
  const secretHits = capture.scan(env.secrets);
  const outcome = {
    records: workload.records,
    runs: faultRuns,
    staleReads: workload.staleReads,
    lostWrites: writes.lost,
    acknowledgedWrites: writes.acknowledged,
    staleCached: audit.stale,
    secretHits,
    maxRecoveryMs,
  };
  const results = judge(outcome);

  const stats = phaseStats(workload.records, faultRuns);
  const out: string[] = [];
  out.push(
    `\n## Soak: ${durationMs / 1000} s, concurrency ${concurrency}, ${instanceCount} instances, ` +
      `${workload.records.length} operations (${Math.round(workload.records.length / (finishedAt / 1000))}/s)`,
  );
  out.push(
    `machine: ${os.cpus().length} cores, Node ${process.version}, load average at the end ${loadavg()}`,
  );
  out.push('\n### Per phase (latency in ms)\n');
  out.push(
    table(
      ['phase', 'ops', 'errors', 'p50', 'p99', 'max', 'L2 breaker opened', 'errors by type'],
      stats.map((phase) => [
        phase.phase,
        phase.ops,
        phase.errors,
        ms(phase.p50),
        ms(phase.p99),
        ms(phase.max),
        phase.phase === 'all'
          ? breakerOpenings.length
          : breakerOpenings.filter((at) => phaseOf(faultRuns, at).label === phase.phase).length,
        Object.entries(phase.errorTypes)
          .map(([type, n]) => `${type}: ${n}`)
          .join(', ') || '-',
      ]),
    ),
  );
  const byKind = new Map<string, { ops: number; errors: number }>();
  for (const record of workload.records) {
    const entry = byKind.get(record.kind) ?? { ops: 0, errors: 0 };
    entry.ops++;
    if (record.error !== undefined) entry.errors++;
    byKind.set(record.kind, entry);
  }
  out.push('\n### Operations\n');
  out.push(
    table(
      ['operation', 'ops', 'errors'],
      [...byKind].map(([kind, entry]) => [kind, entry.ops, entry.errors]),
    ),
  );
  const slowest = [...workload.records].sort((a, b) => b.ms - a.ms).slice(0, 5);
  out.push('\nslowest operations (started at, phase returned in):');
  for (const record of slowest)
    out.push(
      `  ${record.kind} on instance ${record.instance}: ${ms(record.ms)} ms, started at ${(record.at / 1000).toFixed(1)} s, ` +
        `${phaseOf(faultRuns, record.at + record.ms).label}${record.error ? ` (${record.error})` : ''}`,
    );
  out.push('\n### Recovery\n');
  out.push(
    table(
      ['fault', 'fault ms', 'errors during', 'errors after', 'recovered after ms'],
      recoveries(workload.records, faultRuns).map((recovery) => [
        recovery.fault,
        recovery.faultMs,
        recovery.errorsDuring,
        recovery.errorsAfter,
        ms(recovery.recoveryMs),
      ]),
    ),
  );
  out.push('\n### Consistency and secrets\n');
  out.push(
    table(
      ['check', 'result'],
      [
        ['acknowledged writes verified in the primary', `${writes.acknowledged} (${writes.lost} lost)`],
        ['stale reads after bus delivery', stalenessSummary(workload.staleReads)],
        ['cache entries checked after quiescence (L1 + L2)', `${audit.checked} (${audit.stale} stale)`],
        ['L2 invalidations still pending at the check', pendingRetries],
        ['invalidations never delivered (bus down), not judged', ledger.undelivered],
        ['primary connections killed', injector.killed],
        [
          'L2 errors / skipped by breaker',
          `${sum(cacheStats.map((s) => s.l2.errors))} / ${sum(cacheStats.map((s) => s.l2.skipped))}`,
        ],
        ['bus reconnects', sum(cacheStats.map((s) => s.bus.reconnects))],
        [
          'log lines and error texts scanned for secrets',
          `${capture.lines.length} + ${capture.errorsRecorded} errors`,
        ],
        ['unhandled rejections and uncaught exceptions', unhandled.length],
      ],
    ),
  );
  for (const example of [...writes.examples, ...audit.examples, ...secretHits.slice(0, 5)])
    out.push(`  ${example}`);
  if (workload.staleReads.length > 0) {
    const byPhase = new Map<string, number>();
    for (const read of workload.staleReads) {
      const { label } = phaseOf(faultRuns, read.at);
      byPhase.set(label, (byPhase.get(label) ?? 0) + 1);
    }
    out.push(`  stale reads by phase: ${[...byPhase].map(([phase, n]) => `${phase} ${n}`).join(', ')}`);
    for (const read of workload.staleReads.slice(0, 5))
      out.push(
        `  stale read at ${read.at} ms on instance ${read.instance}: row ${read.id} version ${read.got}, expected at least ${read.floor}${read.ownWrite ? ' (own write)' : ''}`,
      );
  }
  out.push('\n### First error of each type\n');
  for (const [type, message] of workload.errorExamples) out.push(`- ${type}: ${message}`);
  out.push('\n### Targets\n');
  out.push(
    table(
      ['target', 'met', 'value'],
      results.map((result) => [result.target, result.met ? 'yes' : 'NO', result.detail]),
    ),
  );
  console.log(out.join('\n'));
  exitCode = results.every((result) => result.met) && unhandled.length === 0 ? 0 : 1;
  console.log(exitCode === 0 ? '\nall targets met' : '\nTARGETS MISSED');
} catch (error) {
  console.error('the soak run failed:', error);
} finally {
  await injector.clear().catch(() => {});
  for (const instance of instances) await instance.close().catch(() => {});
  await env.teardown();
}
process.exit(exitCode);

/**
 * Whether the faulty component serves again: Redis once it has answered a read (hit or
 * miss: it restarts empty) of every instance since the fault ended (the breaker's state flaps on this loaded machine, see the
 * "L2 breaker opened" column, so it is no signal), the replica once every instance has it
 * back in read rotation.
 */
function componentBack(
  fault: string,
  all: readonly AppInstance[],
  lastL2Answer: readonly number[],
  endedAt: number,
): boolean {
  if (fault.startsWith('redis')) return lastL2Answer.every((at) => at > endedAt);
  if (fault.startsWith('replica'))
    return all.every((instance) =>
      instance.connections.stats().nodes.every((node) => node.role !== 'replica' || node.healthy),
    );
  return true;
}

function componentState(all: readonly AppInstance[]): string {
  return all
    .map((instance) => {
      const replica = instance.connections.stats().nodes.find((node) => node.role === 'replica');
      return `instance ${instance.index}: L2 breaker ${instance.cache.stats().l2.breaker}, replica ${replica?.healthy ? 'healthy' : 'out'} (lag ${replica?.lagMs} ms)`;
    })
    .join('; ');
}

function stalenessSummary(stale: readonly { ownWrite: boolean; floor: number; got: number }[]): string {
  if (stale.length === 0) return '0';
  const own = stale.filter((read) => read.ownWrite).length;
  return `${stale.length} (${own} after the reader's own write, ${stale.length - own} after another instance's)`;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function loadavg(): string {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}
