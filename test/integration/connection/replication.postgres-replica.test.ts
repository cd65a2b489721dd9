import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PostgresBackend } from '../../../src/backends/postgres/postgres-backend.js';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { ConnectionManager } from '../../../src/connection/connection-manager.js';
import type { ConnectionManagerOptions } from '../../../src/connection/connection-options.js';
import { withPrimaryReads } from '../../../src/context/primary-reads.js';
import { withContext } from '../../../src/context/request-context.js';
import { ConnectionError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { defineEntity } from '../../../src/repository/entity.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { connectReplica, waitForReplay } from '../../support/replica.js';
import { databaseUrl, replicaUrl } from '../../support/services.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

// One file for everything that pauses replay on the shared replica, so those pauses never overlap.
let schema: TestSchema;
let replica: pg.Client;
const managers: ConnectionManager[] = [];
let nextId = 1;

beforeAll(async () => {
  replica = await connectReplica();
  schema = await createTestSchema('repl');
  await schema.sql('create table items (id int primary key, name text)');
  await waitForReplay(replica);
});

afterEach(async () => {
  // Whatever a test did, replay runs again before the next one.
  await replica.query('select pg_wal_replay_resume()');
  await Promise.all(managers.splice(0).map((db) => db.close()));
});

afterAll(async () => {
  await schema.drop();
  await replica.end();
});

function node(url: string) {
  return { connectionString: url, options: `-c search_path="${schema.name}"` };
}

function manager(overrides: Partial<ConnectionManagerOptions> = {}) {
  const logger = new CaptureLogger();
  const db = new ConnectionManager({
    primary: node(databaseUrl()),
    replicas: [node(replicaUrl())],
    logger,
    healthCheckIntervalMs: 100,
    maxReplicaLagMs: 60_000,
    ...overrides,
  });
  managers.push(db);
  return { db, logger };
}

/** Which node served a read, and how many items it sees. */
async function probe(db: ConnectionManager, id?: number) {
  const { rows } = await db.query<{ standby: boolean; port: number; seen: number }>(
    'select pg_is_in_recovery() as standby, inet_server_port() as port, (select count(*) from items where id = $1)::int as seen',
    [id ?? -1],
    { intent: 'read' },
  );
  return rows[0]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const replicaPort = Number(new URL(replicaUrl()).port);

describe('read/write splitting', () => {
  it('sends reads to the replica, and writes and transactions to the primary', async () => {
    const { db } = manager();
    const read = await probe(db);
    expect(read.standby).toBe(true);
    expect(read.port).toBe(replicaPort);
    const write = await db.query<{ standby: boolean }>('select pg_is_in_recovery() as standby', []);
    expect(write.rows[0]!.standby).toBe(false);
    const inTransaction = await db.transaction(() => probe(db));
    expect(inTransaction.standby).toBe(false);
    const stats = db.stats().nodes;
    expect(stats.map((n) => n.name)).toEqual(['primary', 'replica:0']);
    expect(stats[1]!.latencyMs.count).toBeGreaterThanOrEqual(1);
  });
});

describe('a write that reaches a replica', () => {
  it('is a ConnectionError (25006), e.g. when a failed-over "primary" is still a standby', async () => {
    const { db } = manager({ primary: node(replicaUrl()), replicas: [] });
    const error = await db.query('insert into items values ($1, $2)', [nextId++, 'nope']).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.node).toBe('primary');
    expect((error.cause as { code: string }).code).toBe('25006');
  });
});

describe('read-your-writes', () => {
  it("keeps a context's reads on the primary until the replica has replayed its write", async () => {
    const { db } = manager({ readYourWritesWindowMs: 60_000 });
    await db.checkHealth();
    await replica.query('select pg_wal_replay_pause()');
    const id = nextId++;
    let written!: () => void;
    let proceed!: () => void;
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      proceed = resolve;
    });
    const writer = withContext({ requestId: 'writer' }, async () => {
      await db.query('insert into items values ($1, $2)', [id, 'mine']);
      const own = await probe(db, id);
      expect(own).toMatchObject({ standby: false, seen: 1 });
      written();
      await gate;
      // Once the replica has replayed the write, the writer's reads may go there again.
      await replica.query('select pg_wal_replay_resume()');
      await waitForReplay(replica);
      await db.checkHealth();
      const later = await probe(db, id);
      expect(later).toMatchObject({ standby: true, seen: 1 });
    });
    await wrote;
    // A sibling context never wrote: it may read from the (stale) replica.
    const other = await withContext({ requestId: 'other' }, () => probe(db, id));
    expect(other).toMatchObject({ standby: true, seen: 0 });
    proceed();
    await writer;
  });

  it('without a request context, the manager itself is the context', async () => {
    const { db } = manager({ readYourWritesWindowMs: 60_000 });
    await replica.query('select pg_wal_replay_pause()');
    const id = nextId++;
    await db.query('insert into items values ($1, $2)', [id, 'global']);
    expect(await probe(db, id)).toMatchObject({ standby: false, seen: 1 });
  });

  it('a transaction that wrote counts as a write', async () => {
    const { db } = manager({ readYourWritesWindowMs: 60_000 });
    await replica.query('select pg_wal_replay_pause()');
    const id = nextId++;
    await withContext({}, async () => {
      await db.transaction(() => db.query('insert into items values ($1, $2)', [id, 'tx']));
      expect(await probe(db, id)).toMatchObject({ standby: false, seen: 1 });
    });
  });

  it('the window is bounded: after it, reads go back to the replica even if it has not replayed', async () => {
    const { db } = manager({ readYourWritesWindowMs: 300 });
    await replica.query('select pg_wal_replay_pause()');
    const id = nextId++;
    await withContext({}, async () => {
      await db.query('insert into items values ($1, $2)', [id, 'window']);
      expect(await probe(db, id)).toMatchObject({ standby: false, seen: 1 });
      await sleep(350);
      expect(await probe(db, id)).toMatchObject({ standby: true, seen: 0 });
    });
  });
});

describe('primary reads', () => {
  it('withPrimaryReads sends the reads of its async context to the primary, and only those', async () => {
    const { db } = manager();
    await replica.query('select pg_wal_replay_pause()');
    const id = nextId++;
    await schema.sql('insert into items values ($1, $2)', [id, 'fresh']);
    const [inside, outside] = await Promise.all([
      withPrimaryReads(async () => {
        await sleep(1);
        return probe(db, id);
      }),
      probe(db, id),
    ]);
    expect(inside).toMatchObject({ standby: false, seen: 1 });
    expect(outside).toMatchObject({ standby: true, seen: 0 });
  });

  it('a cached repository never fills its cache from a replica that has not replayed the write (found by the soak)', async () => {
    const Item = defineEntity({
      name: 'item',
      schema: z.object({ id: z.number().int(), name: z.string().nullable() }),
      id: 'id',
    });
    const { db } = manager({ readYourWritesWindowMs: 60_000 });
    const cache = new CacheManager({ namespace: `repl${process.pid}` });
    const items = new BaseRepository({
      entity: Item,
      backend: new PostgresBackend(db, { entity: Item, table: 'items', schema: schema.name }),
      cache: cache.forEntity(Item),
    });
    const id = nextId++;
    await items.create({ id, name: 'v1' });
    await waitForReplay(replica);
    expect((await items.getById(id))?.name).toBe('v1');
    await replica.query('select pg_wal_replay_pause()');
    // Written in one request, read in the next: read-your-writes does not carry over, the
    // invalidation does, and the reload must not come from the paused replica.
    await withContext({ requestId: 'write' }, () => items.update(id, { name: 'v2' }));
    const read = await withContext({ requestId: 'read' }, () => items.getById(id));
    expect(read?.name).toBe('v2');
    const listed = await withContext({ requestId: 'list' }, () => items.list({ where: { id } }));
    expect(listed.map((item) => item.name)).toEqual(['v2']);
    await cache.close();
  });
});

describe('whether reads may reach a replica', () => {
  it('a manager with replicas and its backends say they may; one without says they may not', () => {
    const Item = defineEntity({ name: 'item', schema: z.object({ id: z.number().int() }), id: 'id' });
    const { db: withReplicas } = manager();
    const { db: primaryOnly } = manager({ replicas: [] });
    expect(withReplicas.mayReadFromReplicas()).toBe(true);
    expect(primaryOnly.mayReadFromReplicas()).toBe(false);
    const backend = (db: ConnectionManager) => new PostgresBackend(db, { entity: Item, table: 'items' });
    expect(backend(withReplicas).mayReadFromReplicas()).toBe(true);
    expect(backend(primaryOnly).mayReadFromReplicas()).toBe(false);
    // An executor that cannot tell is taken to say yes, so cache misses stay on the primary.
    const opaque = {
      query: withReplicas.query.bind(withReplicas),
      transaction: withReplicas.transaction.bind(withReplicas),
    };
    expect(new PostgresBackend(opaque, { entity: Item, table: 'items' }).mayReadFromReplicas()).toBe(true);
  });
});

describe('replica health', () => {
  it('takes a lagging replica out of rotation and puts it back when it has caught up', async () => {
    const { db, logger } = manager({ maxReplicaLagMs: 300 });
    await db.checkHealth();
    expect(db.stats().nodes[1]!.healthy).toBe(true);
    await replica.query('select pg_wal_replay_pause()');
    // A write by someone else moves the primary on; the replica does not follow.
    await schema.sql('insert into items values ($1, $2)', [nextId++, 'elsewhere']);
    await sleep(700);
    await db.checkHealth();
    const lagging = db.stats().nodes[1]!;
    expect(lagging.healthy).toBe(false);
    expect(lagging.lagMs).toBeGreaterThan(300);
    expect((await probe(db)).standby).toBe(false);
    expect(logger.matching('replica lags too far').length).toBe(1);

    await replica.query('select pg_wal_replay_resume()');
    await waitForReplay(replica);
    await db.checkHealth();
    const recovered = db.stats().nodes[1]!;
    expect(recovered.healthy).toBe(true);
    expect(recovered.lagMs).toBe(0);
    expect((await probe(db)).standby).toBe(true);
    expect(logger.matching('replica back in read rotation').length).toBe(1);
  });

  it('checks on its own interval', async () => {
    const { db } = manager({ maxReplicaLagMs: 200, healthCheckIntervalMs: 50 });
    await replica.query('select pg_wal_replay_pause()');
    await schema.sql('insert into items values ($1, $2)', [nextId++, 'interval']);
    const deadline = Date.now() + 3000;
    while (db.stats().nodes[1]!.healthy && Date.now() < deadline) await sleep(25);
    expect(db.stats().nodes[1]!.healthy).toBe(false);
  });
});

describe('failover of reads', () => {
  let proxy: TcpProxy;

  beforeAll(async () => {
    const target = new URL(replicaUrl());
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
  });
  afterAll(async () => {
    await proxy.close();
  });
  afterEach(() => {
    proxy.setMode('pass');
  });

  it('a read on a replica that cannot be reached is served by the primary; the replica comes back', async () => {
    const { db, logger } = manager({ replicas: [node(proxy.rewrite(replicaUrl()))], connectTimeoutMs: 500 });
    expect((await probe(db)).standby).toBe(true);

    proxy.setMode('refuse');
    proxy.cutAll();
    const during = await probe(db);
    expect(during.standby).toBe(false);
    expect(db.stats().nodes[1]!.healthy).toBe(false);
    expect(logger.matching('read failed on a replica').length).toBe(1);
    // Out of rotation: the next reads do not even try it.
    const triedBefore = proxy.acceptedConnections;
    expect((await probe(db)).standby).toBe(false);
    expect(proxy.acceptedConnections).toBe(triedBefore);

    proxy.setMode('pass');
    await db.checkHealth();
    expect(db.stats().nodes[1]!.healthy).toBe(true);
    expect((await probe(db)).standby).toBe(true);
  });

  it('a read tries the other replicas before the primary', async () => {
    const { db } = manager({
      replicas: [node(proxy.rewrite(replicaUrl())), node(replicaUrl())],
      connectTimeoutMs: 500,
    });
    await db.checkHealth();
    proxy.setMode('refuse');
    proxy.cutAll();
    for (let i = 0; i < 4; i++) {
      const served = await probe(db);
      expect(served.standby).toBe(true);
      expect(served.port).toBe(replicaPort);
    }
    expect(db.stats().nodes.map((n) => n.healthy)).toEqual([true, false, true]);
  });

  it('a replica that hangs (packets dropped) is found out by the health check', async () => {
    const { db } = manager({ replicas: [node(proxy.rewrite(replicaUrl()))], connectTimeoutMs: 300 });
    await db.checkHealth();
    proxy.setMode('drop');
    proxy.cutAll();
    await db.checkHealth();
    expect(db.stats().nodes[1]!.healthy).toBe(false);
    expect((await probe(db)).standby).toBe(false);
  });
});
