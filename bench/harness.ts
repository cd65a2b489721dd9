import os from 'node:os';

/** One measured workload. */
export interface Measurement {
  readonly name: string;
  readonly concurrency: number;
  readonly operations: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Concurrent callers. @default 1 */
  readonly concurrency?: number;
  /** How long to measure, after warm-up. @default BENCH_SECONDS or 2 */
  readonly seconds?: number;
  /** Warm-up before measuring. @default a quarter of `seconds` */
  readonly warmupSeconds?: number;
}

/** Seconds each workload runs; `BENCH_SECONDS` shortens or lengthens every benchmark. */
export function benchSeconds(fallback = 2): number {
  const fromEnv = Number(process.env.BENCH_SECONDS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

/**
 * Runs `operation` in `concurrency` loops for a fixed time and reports throughput and
 * latency percentiles. Each loop awaits its operation before the next one.
 */
export async function measure(
  name: string,
  operation: (worker: number, iteration: number) => Promise<unknown>,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const concurrency = options.concurrency ?? 1;
  const seconds = options.seconds ?? benchSeconds();
  const warmup = options.warmupSeconds ?? seconds / 4;
  await runFor(warmup, concurrency, operation, undefined);
  const log = new LatencyLog();
  const started = process.hrtime.bigint();
  const operations = await runFor(seconds, concurrency, operation, log);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const latencies = log.sorted();
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    name,
    concurrency,
    operations,
    seconds: elapsed,
    opsPerSecond: operations / elapsed,
    p50Micros: percentile(0.5),
    p99Micros: percentile(0.99),
  };
}

/**
 * Latencies in microseconds, kept unboxed. A plain array of numbers sorted with a comparator
 * boxed every element: megabytes of garbage left for the next workload's garbage collector,
 * which slowed the workload measured after it by up to a fifth (docs/benchmarks.md).
 */
class LatencyLog {
  #values = new Float64Array(1 << 16);
  size = 0;

  push(micros: number): void {
    if (this.size === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.size++] = micros;
  }

  /** The values in ascending order (a numeric sort in place, no comparator). */
  sorted(): Float64Array {
    return this.#values.subarray(0, this.size).sort();
  }
}

async function runFor(
  seconds: number,
  concurrency: number,
  operation: (worker: number, iteration: number) => Promise<unknown>,
  latencies: LatencyLog | undefined,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let operations = 0;
  const worker = async (index: number) => {
    let iteration = 0;
    // One clock reading per call (its end is the next call's start): on this VM a reading
    // costs 0.1–0.25 µs, a visible share of a call that takes a few microseconds.
    let now = performance.now();
    while (now < deadline) {
      const start = now;
      await operation(index, iteration++);
      now = performance.now();
      if (latencies) latencies.push((now - start) * 1000);
      operations++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  return operations;
}

/** A workload of {@link alternatingRounds}: a name and one operation per worker and iteration. */
export type RoundWorkload = [
  name: string,
  operation: (worker: number, iteration: number) => Promise<unknown>,
];

/**
 * Measures the workloads in alternating rounds at one concurrency, and renders a Markdown
 * table: the median throughput and p50 of each, and the median of its per-round throughput
 * ratio to the first workload (the baseline) with the min–max over rounds, so load from
 * other processes hits candidate and baseline of a round alike.
 */
export async function alternatingRounds(
  workloads: readonly RoundWorkload[],
  options: { concurrency: number; rounds: number; seconds: number },
): Promise<string> {
  const { concurrency, rounds, seconds } = options;
  const runs = workloads.map(() => [] as Measurement[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, [name, operation]] of workloads.entries()) {
      runs[index]!.push(await measure(name, operation, { concurrency, seconds, warmupSeconds: seconds / 5 }));
    }
  }
  const baseline = runs[0]!;
  const lines = [
    '| workload | median ops/s | median p50 µs | median ratio to baseline (min–max over rounds) |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [index, [name]] of workloads.entries()) {
    const measured = runs[index]!;
    const ratios = measured.map((m, i) => m.opsPerSecond / baseline[i]!.opsPerSecond).sort((a, b) => a - b);
    const ops = median(measured.map((m) => m.opsPerSecond));
    const p50 = median(measured.map((m) => m.p50Micros));
    const versus =
      index === 0
        ? 'baseline'
        : `**${median(ratios).toFixed(2)}x** (${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)})`;
    lines.push(`| ${name} | ${Math.round(ops).toLocaleString('en-US')} | ${p50.toFixed(0)} | ${versus} |`);
  }
  return lines.join('\n');
}

/** The middle value (the upper middle of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** A ratio line: how the candidate compares with the baseline (throughput). */
export function ratio(candidate: Measurement, baseline: Measurement): number {
  return candidate.opsPerSecond / baseline.opsPerSecond;
}

/** The machine a benchmark ran on, for the report. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

/** Renders measurements as a Markdown table. */
export function table(
  rows: readonly Measurement[],
  baselineOf?: (row: Measurement) => Measurement | undefined,
): string {
  const lines = [
    '| workload | concurrency | ops/s | p50 µs | p99 µs | vs baseline |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const baseline = baselineOf?.(row);
    const versus = baseline && baseline !== row ? `${ratio(row, baseline).toFixed(2)}x` : '—';
    lines.push(
      `| ${row.name} | ${row.concurrency} | ${Math.round(row.opsPerSecond).toLocaleString('en-US')} | ${row.p50Micros.toFixed(0)} | ${row.p99Micros.toFixed(0)} | ${versus} |`,
    );
  }
  return lines.join('\n');
}

/** One workload's result in {@link interleave}. */
export interface InterleavedResult {
  readonly name: string;
  readonly calls: number;
  readonly meanMicros: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  /** Mean latency of the baseline divided by this one's: the throughput ratio at concurrency 1. */
  readonly meanRatio: number;
  /** p50 latency of the baseline divided by this one's. */
  readonly p50Ratio: number;
}

/**
 * Concurrency-1 comparison that survives a busy machine: the workloads take turns one
 * call at a time (the order rotates every round), so a burst of load from other processes
 * lands on all of them alike instead of on whichever ran during it. The first workload is
 * the baseline. Runs for `seconds` after a warm-up of a fifth of that.
 */
export async function interleave(
  workloads: readonly (readonly [name: string, operation: (iteration: number) => Promise<unknown>])[],
  seconds = benchSeconds(),
  /** Calls per turn, timed together: sub-microsecond operations cost less than reading the clock. */
  batch = 1,
): Promise<InterleavedResult[]> {
  const latencies = workloads.map(() => new LatencyLog());
  const run = async (budgetSeconds: number, record: boolean) => {
    const deadline = performance.now() + budgetSeconds * 1000;
    let iteration = 0;
    while (performance.now() < deadline) {
      for (let step = 0; step < workloads.length; step++) {
        const index = (step + iteration) % workloads.length;
        const operation = workloads[index]![1];
        const start = performance.now();
        for (let call = 0; call < batch; call++) await operation(iteration * batch + call);
        if (record) latencies[index]!.push(((performance.now() - start) * 1000) / batch);
      }
      iteration++;
    }
  };
  await run(seconds / 5, false);
  await run(seconds, true);
  const summaries = latencies.map((log) => {
    const sorted = log.sorted();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
    return {
      mean: sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length),
      p50: at(0.5),
      p99: at(0.99),
    };
  });
  const base = summaries[0]!;
  return workloads.map(([name], index) => {
    const own = summaries[index]!;
    return {
      name,
      calls: latencies[index]!.size * batch,
      meanMicros: own.mean,
      p50Micros: own.p50,
      p99Micros: own.p99,
      meanRatio: base.mean / own.mean,
      p50Ratio: base.p50 / own.p50,
    };
  });
}

/** Renders {@link interleave} results as a Markdown table. */
export function interleavedTable(rows: readonly InterleavedResult[]): string {
  const lines = [
    '| workload (concurrency 1, interleaved) | calls | mean µs | p50 µs | p99 µs | throughput vs baseline | p50 vs baseline |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  rows.forEach((row, index) => {
    const versus = (value: number) => (index === 0 ? 'baseline' : `${value.toFixed(2)}x`);
    lines.push(
      `| ${row.name} | ${row.calls.toLocaleString('en-US')} | ${row.meanMicros.toFixed(1)} | ${row.p50Micros.toFixed(1)} | ${row.p99Micros.toFixed(0)} | ${versus(row.meanRatio)} | ${versus(row.p50Ratio)} |`,
    );
  });
  return lines.join('\n');
}
