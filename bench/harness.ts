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
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  const operations = await runFor(seconds, concurrency, operation, latencies);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
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

async function runFor(
  seconds: number,
  concurrency: number,
  operation: (worker: number, iteration: number) => Promise<unknown>,
  latencies: number[] | undefined,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let operations = 0;
  const worker = async (index: number) => {
    let iteration = 0;
    while (performance.now() < deadline) {
      const start = performance.now();
      await operation(index, iteration++);
      if (latencies) latencies.push((performance.now() - start) * 1000);
      operations++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  return operations;
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
