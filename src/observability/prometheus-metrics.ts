import { type CacheStats, cacheMetricFamilies } from '../cache/cache-stats.js';
import type { ConnectionStats } from '../connection/connection-manager.js';
import { ValidationError } from '../errors.js';
import { formatPrometheus, type MetricFamily } from './prometheus-format.js';

/**
 * The components whose numbers {@link renderPrometheusMetrics} renders, each by a name
 * of your choice (it becomes the `manager`, `cache` or `spreadsheet` label). Anything
 * with the right `stats()` fits: a `ConnectionManager`, a `CacheManager`, a
 * `SheetsGateway` (or a `SheetsBackend`'s `gateway`).
 *
 * @example
 * ```ts
 * const sources: MetricsSources = {
 *   connections: { main: db },
 *   caches: { shop: cache },
 *   sheets: { crm: crmBackend.gateway },
 * };
 * ```
 */
export interface MetricsSources {
  /** Connection managers, by name. @default {} */
  readonly connections?: Readonly<Record<string, StatsSource<ConnectionStats>>>;
  /** Cache managers, by name. @default {} */
  readonly caches?: Readonly<Record<string, StatsSource<CacheStats>>>;
  /** Sheets gateways (API calls by method), by name. @default {} */
  readonly sheets?: Readonly<Record<string, StatsSource<Readonly<Record<string, number>>>>>;
}

/**
 * A component that reports its stats: a `ConnectionManager`, a `CacheManager`, a Sheets gateway.
 *
 * @example
 * ```ts
 * const source: StatsSource<CacheStats> = cache;
 * ```
 */
export interface StatsSource<S> {
  /** The component's current stats. */
  stats(): S;
}

/**
 * Options of {@link renderPrometheusMetrics}.
 *
 * @example
 * ```ts
 * renderPrometheusMetrics(sources, { prefix: 'shop_reposit' });
 * ```
 */
export interface PrometheusRenderOptions {
  /**
   * The start of every metric name.
   * @default 'reposit'
   */
  readonly prefix?: string;
}

/**
 * Every number reposit keeps, in the Prometheus text exposition format (version 0.0.4),
 * ready to serve on a `/metrics` endpoint: no client library needed, and the output sits
 * beside prom-client's in one scrape if you concatenate them (the names do not clash).
 *
 * - `reposit_db_connections{manager,node,role,state="total"|"idle"}`, `reposit_db_waiting_clients`,
 *   `reposit_db_node_healthy`, `reposit_db_replication_lag_seconds` (gauges);
 * - `reposit_db_statement_duration_seconds` (a summary: p50/p95/p99 over the recent
 *   window, `_sum` and `_count` since start), `reposit_db_statement_errors_total`;
 * - `reposit_cache_*{cache}`: hits and misses per tier, loads, errors, breaker state, L1
 *   size, bus deliveries (see `renderPrometheus` for one cache);
 * - `reposit_sheets_api_calls_total{spreadsheet,method}`: Sheets API requests sent,
 *   retries included.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer((req, res) => {
 *   res.setHeader('Content-Type', 'text/plain; version=0.0.4');
 *   res.end(renderPrometheusMetrics({ connections: { main: db }, caches: { shop: cache } }));
 * }).listen(9464);
 * ```
 */
export function renderPrometheusMetrics(
  sources: MetricsSources,
  options: PrometheusRenderOptions = {},
): string {
  if (typeof sources !== 'object' || sources === null) {
    throw ValidationError.fromIssues('Invalid metrics sources', [
      {
        path: 'sources',
        message: 'must be an object such as { connections: { main: db } }',
        code: 'invalid_type',
      },
    ]);
  }
  const families: MetricFamily[] = [];
  for (const [name, manager] of entries('connections', sources.connections)) {
    families.push(...connectionFamilies(manager.stats(), name));
  }
  for (const [name, cache] of entries('caches', sources.caches)) {
    for (const family of cacheMetricFamilies(cache.stats(), { cache: name })) {
      families.push({ ...family, name: `cache_${family.name}` });
    }
  }
  for (const [name, gateway] of entries('sheets', sources.sheets)) {
    families.push(sheetsFamily(gateway.stats(), name));
  }
  return formatPrometheus(families, options.prefix ?? 'reposit');
}

function connectionFamilies(stats: ConnectionStats, manager: string): MetricFamily[] {
  const node = (n: ConnectionStats['nodes'][number]) => ({ manager, node: n.name, role: n.role });
  const seconds = (ms: number) => ms / 1000;
  return [
    {
      name: 'db_connections',
      type: 'gauge',
      help: 'Connections open in the pool (state="total") and idle among them (state="idle").',
      samples: stats.nodes.flatMap((n) => [
        { labels: { ...node(n), state: 'total' }, value: n.total },
        { labels: { ...node(n), state: 'idle' }, value: n.idle },
      ]),
    },
    {
      name: 'db_waiting_clients',
      type: 'gauge',
      help: 'Callers waiting for a connection.',
      samples: stats.nodes.map((n) => ({ labels: node(n), value: n.waiting })),
    },
    {
      name: 'db_node_healthy',
      type: 'gauge',
      help: 'Whether the node is in rotation (1) or out of it (0).',
      samples: stats.nodes.map((n) => ({ labels: node(n), value: n.healthy ? 1 : 0 })),
    },
    {
      name: 'db_replication_lag_seconds',
      type: 'gauge',
      help: 'Replication lag at the last health check (0 for the primary).',
      samples: stats.nodes.map((n) => ({ labels: node(n), value: seconds(n.lagMs) })),
    },
    {
      name: 'db_statement_duration_seconds',
      type: 'summary',
      help: 'Statement latency: quantiles over the most recent statements, sum and count since start.',
      samples: stats.nodes.flatMap((n) => [
        { labels: { ...node(n), quantile: '0.5' }, value: seconds(n.latencyMs.p50) },
        { labels: { ...node(n), quantile: '0.95' }, value: seconds(n.latencyMs.p95) },
        { labels: { ...node(n), quantile: '0.99' }, value: seconds(n.latencyMs.p99) },
        { labels: node(n), value: seconds(n.latencyMs.sumMs), suffix: '_sum' as const },
        { labels: node(n), value: n.latencyMs.count, suffix: '_count' as const },
      ]),
    },
    {
      name: 'db_statement_errors_total',
      type: 'counter',
      help: 'Statements that failed, by node.',
      samples: stats.nodes.map((n) => ({ labels: node(n), value: n.errors })),
    },
  ];
}

function sheetsFamily(calls: Readonly<Record<string, number>>, spreadsheet: string): MetricFamily {
  return {
    name: 'sheets_api_calls_total',
    type: 'counter',
    help: 'Sheets API requests sent, retries included, by method.',
    samples: Object.entries(calls).map(([method, value]) => ({ labels: { spreadsheet, method }, value })),
  };
}

function entries<S>(kind: string, named: Readonly<Record<string, S>> | undefined): [string, S][] {
  if (named === undefined) return [];
  const list = typeof named === 'object' && named !== null ? Object.entries(named) : undefined;
  const bad = list?.find(([, source]) => typeof (source as { stats?: unknown })?.stats !== 'function');
  if (list === undefined || bad !== undefined) {
    throw ValidationError.fromIssues('Invalid metrics sources', [
      {
        path: bad ? `${kind}.${bad[0]}` : kind,
        message: `must be an object of named components with a stats() method, e.g. { ${kind}: { main: component } }`,
        code: 'invalid_type',
      },
    ]);
  }
  return list;
}
