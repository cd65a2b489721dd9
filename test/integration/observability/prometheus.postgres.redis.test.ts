import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SheetsBackend } from '../../../src/backends/sheets/index.js';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { ConnectionManager } from '../../../src/connection/index.js';
import { ValidationError } from '../../../src/errors.js';
import { formatPrometheus, renderPrometheusMetrics } from '../../../src/index.js';
import { type SheetsEmulator, startSheetsEmulator } from '../../../src/testing/index.js';
import { disposeCaches, testRedis } from '../../support/cache.js';
import { parsePrometheus } from '../../support/prometheus-parse.js';
import { databaseUrl, uniqueName } from '../../support/services.js';
import { emulatorClient, FAST_RETRY, Person, type PersonType, TEST_LIMITS } from '../../support/sheets.js';

const AWKWARD = 'main "db"\\eu\nwest';

let db: ConnectionManager;
let redis: Redis;
let emulator: SheetsEmulator;
let people: SheetsBackend<PersonType, number>;
const namespace = uniqueName('prom');
const caches: CacheManager[] = [];

beforeAll(async () => {
  db = new ConnectionManager({ primary: { connectionString: databaseUrl() } });
  redis = testRedis();
  emulator = await startSheetsEmulator();
  people = new SheetsBackend<PersonType, number>({
    entity: Person,
    client: emulatorClient(emulator.rootUrl),
    spreadsheetId: emulator.createSpreadsheet({ sheets: ['People'] }),
    sheet: 'People',
    gatewayOptions: { retry: FAST_RETRY, limits: TEST_LIMITS },
  });
});
afterAll(async () => {
  await people?.close();
  await emulator?.close();
  await disposeCaches(redis, namespace, caches);
  await db?.close();
});

describe('renderPrometheusMetrics', () => {
  it('renders real numbers of connections, caches and Sheets in a format a scraper accepts', async () => {
    await db.query('select 1', []);
    await db.query('select 2', [], { intent: 'read' });
    await db.query('select pg_sleep(0.01)', []);
    await expect(db.query('select * from no_such_table_here', [])).rejects.toThrow();

    const cache = new CacheManager({ namespace, l2: new RedisTier({ client: redis }), l2Timeout: 2_000 });
    caches.push(cache);
    await cache.getOrLoad('a', async () => 1); // L1 miss, L2 miss, one load
    await cache.get('a'); // L1 hit
    await cache.settle();
    const coldProcess = new CacheManager({
      namespace,
      l2: new RedisTier({ client: redis }),
      l2Timeout: 2_000,
    });
    caches.push(coldProcess);
    await coldProcess.get('a'); // L1 miss, L2 hit

    await people.insertMany([
      { name: 'Ada', age: 36, active: true, joined: new Date('2024-03-01T00:00:00Z') },
    ]);
    await people.findByIds([1]);

    const text = renderPrometheusMetrics({
      connections: { [AWKWARD]: db },
      caches: { warm: cache, cold: coldProcess },
      sheets: { people: people.gateway },
    });
    const parsed = parsePrometheus(text);

    const node = { manager: AWKWARD, node: 'primary', role: 'primary' };
    const [stats] = db.stats().nodes;
    expect(parsed.types.get('reposit_db_statement_duration_seconds')).toBe('summary');
    expect(parsed.value('reposit_db_statement_errors_total', node)).toBe(1);
    expect(parsed.value('reposit_db_statement_duration_seconds_count', node)).toBe(stats!.latencyMs.count);
    expect(stats!.latencyMs.count).toBeGreaterThanOrEqual(4);
    // pg_sleep(0.01) alone took 10 ms: the sum is in seconds, not milliseconds.
    const sum = parsed.value('reposit_db_statement_duration_seconds_sum', node)!;
    expect(sum).toBeGreaterThanOrEqual(0.01);
    expect(sum).toBeCloseTo(stats!.latencyMs.sumMs / 1000, 6);
    for (const quantile of ['0.5', '0.95', '0.99']) {
      expect(parsed.value('reposit_db_statement_duration_seconds', { ...node, quantile })).toBeGreaterThan(0);
    }
    expect(parsed.value('reposit_db_connections', { ...node, state: 'total' })).toBe(stats!.total);
    expect(parsed.value('reposit_db_node_healthy', node)).toBe(1);
    expect(parsed.value('reposit_db_replication_lag_seconds', node)).toBe(0);
    expect(parsed.types.get('reposit_db_statement_errors_total')).toBe('counter');

    expect(parsed.value('reposit_cache_hits_total', { cache: 'warm', tier: 'l1' })).toBe(1);
    expect(parsed.value('reposit_cache_misses_total', { cache: 'warm', tier: 'l2' })).toBe(1);
    expect(parsed.value('reposit_cache_loads_total', { cache: 'warm', result: 'ok' })).toBe(1);
    expect(parsed.value('reposit_cache_hits_total', { cache: 'cold', tier: 'l2' })).toBe(1);
    expect(parsed.value('reposit_cache_breaker_state', { cache: 'cold', tier: 'l2' })).toBe(0);
    expect(parsed.value('reposit_cache_bus_delay_ms', { cache: 'cold', quantile: '0.99' })).toBeNaN();

    const sent = emulator.requestCounts();
    const calls = parsed.samples.filter((s) => s.name === 'reposit_sheets_api_calls_total');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const sample of calls) {
      expect(sample.labels.spreadsheet).toBe('people');
      expect(sample.value).toBe(sent[sample.labels.method!]);
    }

    // Every family once, with its help; no sample outside a family (the parser enforces both).
    expect([...parsed.types.keys()].every((name) => parsed.help.has(name))).toBe(true);
    expect(text).toContain('manager="main \\"db\\"\\\\eu\\nwest"');
  });

  it('escapes label values so that quotes, backslashes and newlines read back unchanged', () => {
    const nasty = ['plain', 'say "hi"', 'C:\\path\\', 'line\nbreak', '\\n literal', '"\\\n"', 'ünïcødé ✓'];
    const text = formatPrometheus(
      [
        {
          name: 'nasty',
          type: 'gauge',
          help: 'Help with a \\ backslash\nand a newline.',
          samples: nasty.map((value, i) => ({ labels: { value }, value: i })),
        },
      ],
      'test',
    );
    const parsed = parsePrometheus(text);
    expect(parsed.samples.map((s) => s.labels.value)).toEqual(nasty);
    expect(parsed.help.get('test_nasty')).toBe('Help with a \\ backslash\nand a newline.');
    expect(text.split('\n').filter((line) => line !== '')).toHaveLength(2 + nasty.length);
  });

  it('spells NaN and infinities as Prometheus does, and merges families of the same name', () => {
    const text = formatPrometheus(
      [
        { name: 'x', type: 'gauge', help: 'X.', samples: [{ labels: { a: '1' }, value: Number.NaN }] },
        { name: 'x', type: 'gauge', help: 'X.', samples: [{ labels: { a: '2' }, value: Infinity }] },
        { name: 'y', type: 'counter', help: 'Y.', samples: [{ value: -Infinity }] },
      ],
      'p',
    );
    expect(text).toBe(
      '# HELP p_x X.\n# TYPE p_x gauge\np_x{a="1"} NaN\np_x{a="2"} +Inf\n# HELP p_y Y.\n# TYPE p_y counter\np_y -Inf\n',
    );
    parsePrometheus(text);
  });

  it('refuses bad input with a ValidationError that says what to pass', () => {
    expect(() => renderPrometheusMetrics(null as never)).toThrow(ValidationError);
    const notComponent = (() => {
      try {
        renderPrometheusMetrics({ caches: { shop: {} as never } });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(notComponent).toBeInstanceOf(ValidationError);
    expect((notComponent as ValidationError).issues[0]?.path).toBe('caches.shop');
    expect(String((notComponent as ValidationError).issues[0]?.message)).toContain('stats()');
    expect(() => renderPrometheusMetrics({ connections: 'db' as never })).toThrow(ValidationError);
    expect(() => renderPrometheusMetrics({}, { prefix: 'bad-prefix' })).toThrow(ValidationError);
    expect(renderPrometheusMetrics({}, { prefix: '' })).toBe('');
  });
});
