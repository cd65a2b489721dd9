import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { ConnectionManager } from '../../../src/connection/index.js';
import { ConnectionError, DuplicateError } from '../../../src/errors.js';
import { configureTracing, type SpanTracer, tracingStatus } from '../../../src/index.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { type CreateInputOf, defineEntity, type EntityType } from '../../../src/repository/entity.js';
import { disposeCaches, testRedis } from '../../support/cache.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl, uniqueName } from '../../support/services.js';
import { installTracing, spanText } from '../../support/tracing.js';

const SECRET = 'sup3r-s3cret-pw';
const tracing = installTracing();

const Member = defineEntity({
  name: 'member',
  schema: z.object({ id: z.number().int(), email: z.string(), name: z.string() }),
  id: 'id',
});
type MemberType = EntityType<typeof Member>;

/** The test database's URL with a password in it (the server trusts local users, so it is ignored). */
function urlWithPassword(): string {
  const url = new URL(databaseUrl());
  url.password = SECRET;
  return url.toString();
}

let schema: TestSchema;
let connections: ConnectionManager;
let redis: Redis;
const namespace = uniqueName('trace');
const caches: CacheManager[] = [];

function repository(cache = newCache()) {
  return new BaseRepository<MemberType, number, CreateInputOf<typeof Member>>({
    entity: Member,
    backend: new PostgresBackend(connections, { entity: Member, schema: schema.name }),
    cache: cache.forEntity<MemberType, number>(Member),
  });
}

function newCache() {
  const cache = new CacheManager({ namespace, l2: new RedisTier({ client: redis }), l2Timeout: 2_000 });
  caches.push(cache);
  return cache;
}

function only(name: string): ReadableSpan {
  const found = tracing.named(name);
  expect(found, `spans named ${name}`).toHaveLength(1);
  return found[0]!;
}

beforeAll(async () => {
  schema = await createTestSchema('trace');
  await schema.sql('create table member (id integer primary key, email text not null, name text not null)');
  connections = new ConnectionManager({ primary: { connectionString: urlWithPassword() } });
  redis = testRedis();
});
afterAll(async () => {
  await disposeCaches(redis, namespace, caches);
  await connections?.close();
  await schema?.drop();
  tracing.provider.shutdown().catch(() => {});
});
beforeEach(() => {
  configureTracing({ tracer: 'auto', recordStatements: false });
  tracing.reset();
});

describe('OpenTelemetry spans', () => {
  it('finds the registered provider through @opentelemetry/api', () => {
    expect(tracingStatus()).toBe('opentelemetry');
  });

  it('a repository read is the parent of its cache span, which is the parent of the database span', async () => {
    const members = repository();
    await schema.sql("insert into member values (1, 'ada@example.com', 'Ada')");
    expect(await members.getById(1)).toEqual({ id: 1, email: 'ada@example.com', name: 'Ada' });

    const read = only('repository.getById');
    expect(read.attributes['reposit.entity']).toBe('member');
    expect(read.parentSpanContext).toBeUndefined();
    const [cacheSpan] = tracing.childrenOf(read);
    expect(cacheSpan?.name).toBe('cache.getOrLoad');
    expect(cacheSpan?.attributes).toMatchObject({
      'reposit.cache.hit_level': 'loader',
      'reposit.cache.entity': 'member',
      'reposit.cache.namespace': namespace,
      'reposit.cache.keys': 1,
      'reposit.cache.loaded': 1,
    });
    const queries = tracing.descendantsOf(cacheSpan!).filter((span) => span.name === 'db.query');
    expect(queries.length).toBeGreaterThanOrEqual(1);
    const select = queries.find((span) => span.attributes['db.operation.name'] === 'SELECT');
    const address = new URL(databaseUrl());
    expect(select?.attributes).toMatchObject({
      'db.system': 'postgresql',
      'db.system.name': 'postgresql',
      'db.namespace': address.pathname.slice(1),
      'server.address': address.hostname,
      'server.port': Number(address.port || 5432),
      'reposit.db.node': 'primary',
      'reposit.db.role': 'primary',
      'db.response.returned_rows': 1,
    });
    expect(select?.kind).toBe(2); // CLIENT
    expect(select?.attributes['db.query.text']).toBeUndefined();
    expect(select?.status.code).not.toBe(2);
  });

  it('records the level that served a key: L1, then L2 for a process with a cold L1', async () => {
    await schema.sql("insert into member values (2, 'grace@example.com', 'Grace')");
    const warm = repository();
    await warm.getById(2);
    await caches.at(-1)!.settle(); // the write-back to Redis has landed
    tracing.reset();
    await warm.getById(2);
    // A synchronous L1 hit is recorded on the repository span (no cache span of its own).
    expect(only('repository.getById').attributes['reposit.cache.hit_level']).toBe('l1');
    expect(tracing.named('cache.getOrLoad')).toHaveLength(0);
    expect(tracing.named('db.query')).toHaveLength(0);

    tracing.reset();
    await repository().getById(2);
    expect(only('cache.getOrLoad').attributes).toMatchObject({
      'reposit.cache.hit_level': 'l2',
      'reposit.cache.l2_hits': 1,
    });
    expect(tracing.named('db.query')).toHaveLength(0);
  });

  it('CacheManager calls get cache.get / cache.set / cache.getOrLoad spans with the level that served them', async () => {
    const cache = newCache();
    await cache.set('fx', { eur: 1 });
    expect(await cache.get('fx')).toEqual({ eur: 1 });
    expect(await cache.get('absent')).toBeUndefined();
    expect(await cache.getOrLoad('computed', async () => 42)).toBe(42);
    expect(await cache.getMany(['fx', 'absent'])).toEqual([{ eur: 1 }, undefined]);

    expect(only('cache.set').attributes).toMatchObject({ 'reposit.cache.keys': 1 });
    const gets = tracing.named('cache.get').map((span) => span.attributes['reposit.cache.hit_level']);
    expect(gets).toEqual(['l1', 'miss']);
    expect(only('cache.getOrLoad').attributes['reposit.cache.hit_level']).toBe('loader');
    expect(only('cache.getMany').attributes).toMatchObject({
      'reposit.cache.keys': 2,
      'reposit.cache.l1_hits': 1,
      'reposit.cache.missed': 1,
    });
    // Keys may hold data: they are never attributes.
    for (const span of tracing.spans()) expect(spanText(span)).not.toContain('computed');
  });

  it('a write nests its INSERT under repository.create, and both under an explicit db.transaction', async () => {
    const members = repository();
    await members.create({ id: 3, email: 'linus@example.com', name: 'Linus' });
    const insertUnder = (span: ReadableSpan) =>
      tracing
        .descendantsOf(span)
        .find((child) => child.name === 'db.query' && child.attributes['db.operation.name'] === 'INSERT');
    expect(insertUnder(only('repository.create')), 'an INSERT span under repository.create').toBeDefined();

    tracing.reset();
    await connections.transaction(() => members.create({ id: 30, email: 'x@example.com', name: 'X' }), {
      isolation: 'serializable',
    });
    const transaction = only('db.transaction');
    expect(transaction.attributes).toMatchObject({
      'reposit.db.isolation': 'serializable',
      'reposit.db.read_only': false,
    });
    const create = only('repository.create');
    expect(tracing.childrenOf(transaction)).toContain(create);
    expect(insertUnder(create)).toBeDefined();
  });

  it('marks failed spans ERROR with the reposit error code, on the database span and its repository parent', async () => {
    const members = repository();
    await members.create({ id: 4, email: 'a@example.com', name: 'A' });
    tracing.reset();
    const failure = await members
      .create({ id: 4, email: 'b@example.com', name: 'B' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DuplicateError);
    const code = (failure as DuplicateError).code;
    const create = only('repository.create');
    expect(create.status.code).toBe(2);
    expect(create.attributes['error.type']).toBe(code);
    expect(create.events.map((event) => event.name)).toContain('exception');
    const failed = tracing
      .descendantsOf(create)
      .filter((span) => span.status.code === 2 && span.name === 'db.query');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]!.attributes['error.type']).toBe(code);
  });

  it('records the SQL text only when asked, and never the parameters', async () => {
    const members = repository();
    await members.create({ id: 5, email: 'private@example.com', name: 'Private' });
    expect(tracing.named('db.query').every((span) => span.attributes['db.query.text'] === undefined)).toBe(
      true,
    );

    configureTracing({ recordStatements: true });
    tracing.reset();
    await members.update(5, { name: 'Still private' });
    const texts = tracing
      .named('db.query')
      .map((span) => span.attributes['db.query.text'])
      .filter((text): text is string => typeof text === 'string');
    expect(texts.some((text) => /update/i.test(text))).toBe(true);
    for (const span of tracing.spans()) {
      expect(spanText(span)).not.toContain('Still private');
      expect(spanText(span)).not.toContain('private@example.com');
    }
  });

  it('never puts the password of the connection string on a span, even when connecting fails', async () => {
    const members = repository();
    await members.getById(1);
    const unreachable = new ConnectionManager({
      primary: { connectionString: `postgres://postgres:${SECRET}@127.0.0.1:1/test` },
      connectTimeoutMs: 2_000,
    });
    const broken = new BaseRepository<MemberType, number, CreateInputOf<typeof Member>>({
      entity: Member,
      backend: new PostgresBackend(unreachable, { entity: Member, schema: schema.name }),
    });
    const failure = await broken.getById(1).catch((e: unknown) => e);
    await unreachable.close();
    expect(failure).toBeInstanceOf(ConnectionError);
    const failedRead = tracing.named('repository.getById').find((span) => span.status.code === 2);
    expect(failedRead?.attributes['error.type']).toBe((failure as ConnectionError).code);
    expect(tracing.spans().length).toBeGreaterThan(2);
    for (const span of tracing.spans()) expect(spanText(span)).not.toContain(SECRET);
  });

  it("tracer 'off' makes no spans; a custom tracer gets them instead of the global provider", async () => {
    const members = repository();
    configureTracing({ tracer: 'off' });
    expect(tracingStatus()).toBe('off');
    await members.getById(1);
    expect(tracing.spans()).toHaveLength(0);

    const custom: SpanTracer = tracing.provider.getTracer('custom-scope');
    configureTracing({ tracer: custom });
    expect(tracingStatus()).toBe('custom');
    await members.getById(1);
    const read = only('repository.getById');
    expect(read.instrumentationScope.name).toBe('custom-scope');
  });

  it('the global tracer names reposit as the instrumentation scope', async () => {
    await repository().getById(1);
    expect(only('repository.getById').instrumentationScope.name).toBe('reposit');
  });
});
