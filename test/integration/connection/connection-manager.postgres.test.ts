import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../../src/connection/connection-manager.js';
import type { PgPool } from '../../../src/connection/pg-pool.js';
import { ConnectionError, TimeoutError, UnavailableError } from '../../../src/errors.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl, uniqueName } from '../../support/services.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

let schema: TestSchema;
let proxy: TcpProxy;

beforeAll(async () => {
  schema = await createTestSchema('cm');
  await schema.sql('create table items (id int primary key, name text)');
  const target = new URL(databaseUrl());
  proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
});

afterAll(async () => {
  await proxy.close();
  await schema.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A manager on the test schema whose connections are tagged, so a test can find and kill them. */
function manager(
  overrides: Partial<ConstructorParameters<typeof ConnectionManager>[0]> = {},
  url = databaseUrl(),
) {
  const applicationName = uniqueName('app');
  const logger = new CaptureLogger();
  const db = new ConnectionManager({
    primary: { connectionString: url, options: `-c search_path="${schema.name}"`, applicationName },
    logger,
    ...overrides,
  });
  return { db, logger, applicationName };
}

describe('idle and broken connections', () => {
  it('an idle connection killed by pg_terminate_backend does not crash the process', async () => {
    const { db, logger, applicationName } = manager();
    try {
      // Open a few connections and leave them idle in the pool.
      await Promise.all([1, 2, 3].map(() => db.query('select pg_sleep(0.05)', [])));
      expect(db.stats().nodes[0]!.idle).toBeGreaterThanOrEqual(2);
      const { rows } = await schema.sql(
        'select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1',
        [applicationName],
      );
      expect(rows.length).toBeGreaterThanOrEqual(2);
      const deadline = Date.now() + 3000;
      while (
        logger.matching('idle database connection failed').length < rows.length &&
        Date.now() < deadline
      ) {
        await sleep(20);
      }
      expect(logger.matching('idle database connection failed').length).toBeGreaterThanOrEqual(2);
      // The pool discarded the dead connections; work goes on.
      const after = await db.query<{ one: number }>('select 1 as one', []);
      expect(after.rows[0]!.one).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('a connection killed between statements of a transaction fails that transaction only', async () => {
    const { db, logger, applicationName } = manager();
    try {
      const error = await db
        .transaction(async () => {
          await db.query('insert into items values (100, $1)', ['x']);
          await schema.sql(
            'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
            [applicationName],
          );
          await sleep(100);
          await db.query('insert into items values (101, $1)', ['y']);
        })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.outcomeUnknown).toBe(false);
      expect(logger.matching('failed while checked out').length).toBe(1);
      expect((await schema.sql('select count(*)::int as n from items where id >= 100')).rows[0].n).toBe(0);
      expect((await db.query<{ one: number }>('select 1 as one', [])).rows[0]!.one).toBe(1);
    } finally {
      await db.close();
    }
  });
});

describe('connections killed while close() ends them', () => {
  it('does not crash the process (found by the soak: the server killed them as the pool closed)', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      for (let round = 0; round < 3; round++) {
        const { db, applicationName } = manager();
        await Promise.all([1, 2, 3, 4].map(() => db.query('select pg_sleep(0.05)', [])));
        // The kill is on its way when close() ends the pool: the server's FATAL reaches
        // connections that the pool has already let go of.
        const killing = schema.sql(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
          [applicationName],
        );
        await sleep(2);
        await db.close();
        await killing;
      }
      await sleep(300);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});

describe('timeouts through a misbehaving network (TCP proxy)', () => {
  it('connecting to a node that never answers fails after connectTimeoutMs', async () => {
    proxy.setMode('drop');
    const { db } = manager({ connectTimeoutMs: 200 }, proxy.rewrite(databaseUrl()));
    try {
      const started = Date.now();
      const error = await db.query('select 1', []).catch((e) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toMatch(/timed out/);
      expect(elapsed).toBeGreaterThanOrEqual(180);
      expect(elapsed).toBeLessThan(2000);
    } finally {
      proxy.setMode('pass');
      await db.close();
    }
  });

  it("bounds the wait for a connection even when the user's pool has no connect timeout", async () => {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: proxy.rewrite(databaseUrl()) }); // connectionTimeoutMillis: none
    pool.on('error', () => {});
    const db = new ConnectionManager({ primary: pool, connectTimeoutMs: 200, logger: new CaptureLogger() });
    proxy.setMode('drop');
    try {
      const started = Date.now();
      const error = await db.query('select 1', []).catch((e) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toContain('connectTimeoutMs');
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      proxy.setMode('pass');
      proxy.cutAll();
      await db.close();
      await pool.end();
    }
  });

  it('when the server cannot even send its cancellation, the client gives up slightly later', async () => {
    const { db } = manager(
      { clientTimeoutGraceMs: 200, connectTimeoutMs: 500 },
      proxy.rewrite(databaseUrl()),
    );
    try {
      // Two connections opened while the link is fine: the read breaks one, the write uses the other.
      await Promise.all([db.query('select pg_sleep(0.05)', []), db.query('select pg_sleep(0.05)', [])]);
      proxy.setMode('drop');
      const started = Date.now();
      const read = await db.query('select 1', [], { intent: 'read', timeoutMs: 100 }).catch((e) => e);
      const elapsed = Date.now() - started;
      expect(read).toBeInstanceOf(TimeoutError);
      expect((read.cause as Error).message).toBe('Query read timeout');
      expect(elapsed).toBeGreaterThanOrEqual(280); // 100 ms server limit + 200 ms grace
      expect(elapsed).toBeLessThan(1500);
      // A write that got no reply may or may not have happened.
      const write = await db
        .query('insert into items values (1, $1)', ['a'], { timeoutMs: 100 })
        .catch((e) => e);
      expect(write).toBeInstanceOf(ConnectionError);
      expect(write.outcomeUnknown).toBe(true);
      expect(write.retryable).toBe(false);
    } finally {
      proxy.setMode('pass');
      proxy.cutAll();
      await db.close();
    }
  });

  it('a connection cut while COMMIT is in flight is outcome-unknown and not retried', async () => {
    const { db } = manager({}, proxy.rewrite(databaseUrl()));
    try {
      let attempts = 0;
      const error = await db
        .transaction(async () => {
          attempts++;
          await db.query('insert into items values (200, $1)', ['maybe']);
          // COMMIT is the next thing sent: hold it in the proxy, then cut the link.
          proxy.setDelay(300);
          setTimeout(() => proxy.cutAll(), 100);
        })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.outcomeUnknown).toBe(true);
      expect(error.retryable).toBe(false);
      expect(attempts).toBe(1);
    } finally {
      proxy.setDelay(0);
      await db.close();
    }
  });
});

describe('process lifetime', () => {
  it('neither the health-check timer nor idle connections keep the process alive', async () => {
    const alive = () => {
      const resources = process.getActiveResourcesInfo();
      return {
        timers: resources.filter((r) => r === 'Timeout').length,
        sockets: resources.filter((r) => r === 'TCPSocketWrap').length,
      };
    };
    // The measurement sees a ref'd interval (so it can tell the difference).
    const control = alive();
    const probe = setInterval(() => {}, 1000);
    expect(alive().timers).toBe(control.timers + 1);
    clearInterval(probe);

    // A plain server as a "replica" is enough to start the health checks. The interval is long
    // so that no check holds a connection (ref'd while checked out) during the measurement.
    const { db } = manager({
      replicas: [{ connectionString: databaseUrl() }],
      healthCheckIntervalMs: 60_000,
    });
    await Promise.all([db.query('select 1', []), db.query('select 1', [], { intent: 'read' })]);
    await db.checkHealth();
    await sleep(120);
    expect(db.stats().nodes.every((n) => n.total > 0 && n.idle === n.total)).toBe(true);
    const idle = alive();
    // Closing stops the interval and closes the connections; had they been holding the
    // process open, the counts would drop.
    await db.close();
    const closed = alive();
    expect(closed.timers).toBeGreaterThanOrEqual(idle.timers);
    expect(closed.sockets).toBeGreaterThanOrEqual(idle.sockets);
  });
});

describe('stats and close', () => {
  it('stats() reports connections and latency percentiles per node', async () => {
    const { db } = manager();
    try {
      for (let i = 0; i < 20; i++) await db.query('select $1::int as i', [i]);
      await db.query('select pg_sleep(0.05)', []);
      const [primary] = db.stats().nodes;
      expect(primary!.name).toBe('primary');
      expect(primary!.role).toBe('primary');
      expect(primary!.healthy).toBe(true);
      expect(primary!.total).toBeGreaterThanOrEqual(1);
      expect(primary!.idle).toBeGreaterThanOrEqual(1);
      expect(primary!.waiting).toBe(0);
      const latency = primary!.latencyMs;
      expect(latency.count).toBe(21);
      expect(latency.p50).toBeGreaterThan(0);
      expect(latency.p50).toBeLessThanOrEqual(latency.p95);
      expect(latency.p95).toBeLessThanOrEqual(latency.p99);
      expect(latency.p99).toBeGreaterThanOrEqual(50);
    } finally {
      await db.close();
    }
  });

  it('stats() counts callers waiting for a connection', async () => {
    const { db } = manager({ primary: { connectionString: databaseUrl(), max: 1 } });
    try {
      const holding = db.transaction(() => db.query('select pg_sleep(0.3)', []));
      await sleep(50);
      const waiting = db.query('select 1', []);
      await sleep(50);
      const during = db.stats().nodes[0]!;
      expect(during).toMatchObject({ total: 1, idle: 0, waiting: 1 });
      await Promise.all([holding, waiting]);
      expect(db.stats().nodes[0]).toMatchObject({ total: 1, idle: 1, waiting: 0 });
    } finally {
      await db.close();
    }
  });

  it('close() waits for running work, then refuses new work', async () => {
    const { db } = manager();
    const running = db.query<{ done: string }>("select pg_sleep(0.3)::text || 'ok' as done", []);
    const inTransaction = db.transaction(async () => {
      await sleep(100);
      return (await db.query<{ n: number }>('select 7 as n', [])).rows[0]!.n;
    });
    await sleep(20);
    const closed = db.close();
    await expect(db.query('select 1', [])).rejects.toBeInstanceOf(UnavailableError);
    await closed;
    expect((await running).rows[0]!.done).toBe('ok');
    expect(await inTransaction).toBe(7);
    expect(db.stats().nodes[0]!.total).toBe(0);
  });

  it('never ends a pool it did not create', async () => {
    const logger = new CaptureLogger();
    const db = new ConnectionManager({ primary: schema.pool as PgPool, logger });
    expect(db.primaryPool).toBe(schema.pool);
    await db.query('insert into items values (300, $1)', ['mine']);
    await db.close();
    const { rows } = await schema.pool.query('select name from items where id = 300');
    expect(rows[0].name).toBe('mine');
  });
});
