import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedis } from '../../support/cache.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { freePort } from '../../support/redis-server.js';
import { databaseUrl, redisUrl, uniqueName } from '../../support/services.js';
import { bundleCli, type CliBundle, runReposit, succeeded } from './run-reposit.js';
import { createWidgetsTable, insertWidgets } from './widgets-table.js';

let bundle: CliBundle;
let schema: TestSchema;
let redis: Redis;
const namespaces: string[] = [];

beforeAll(async () => {
  [bundle, schema] = await Promise.all([bundleCli(), createTestSchema('cli_warm')]);
  redis = testRedis();
  await createWidgetsTable(schema);
  await insertWidgets(schema, 1, 12);
});
afterAll(async () => {
  for (const namespace of namespaces) {
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis?.disconnect();
  await schema?.drop();
});

function environment(redisAddress = redisUrl()) {
  const namespace = uniqueName('cliwarm');
  namespaces.push(namespace);
  return {
    namespace,
    env: {
      CLI_DATABASE_URL: databaseUrl(),
      CLI_SCHEMA: schema.name,
      CLI_REDIS_URL: redisAddress,
      CLI_NAMESPACE: namespace,
    },
  };
}

/** The widget ids that have an entry in Redis under the namespace. */
async function cachedIds(namespace: string): Promise<string[]> {
  const keys = await redis.keys(`${namespace}:*`);
  return keys
    .map((key) => /(w\d{4})/.exec(key)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort();
}

describe('reposit cache warm', () => {
  it('loads every row through the repository into Redis', async () => {
    const { namespace, env } = environment();
    expect(await cachedIds(namespace)).toEqual([]);
    const run = await runReposit(
      bundle.cli,
      ['-c', bundle.config, 'cache', 'warm', 'widgets', '--json'],
      env,
    );
    expect(run.stderr).toBe('');
    succeeded(run);
    expect(run.json()).toMatchObject({
      ok: true,
      command: 'cache warm',
      result: { targets: [{ name: 'widgets', ids: 12 }] },
    });
    const expected = Array.from({ length: 12 }, (_, i) => `w${String(i + 1).padStart(4, '0')}`);
    expect(await cachedIds(namespace)).toEqual(expected);
    // The entries hold the rows (as the repository's cache serialises them), not placeholders.
    const [key] = (await redis.keys(`${namespace}:*`)).filter((k) => k.includes('w0003'));
    expect(await redis.get(key!)).toContain('w0003@example.com');
  });

  it('loads only the ids a target names, and says what it did', async () => {
    const { namespace, env } = environment();
    const run = await runReposit(bundle.cli, ['-c', bundle.config, 'cache', 'warm', 'first-two'], env);
    succeeded(run);
    expect(run.stdout).toMatch(/^warmed first-two: 2 id\(s\) in \d+ ms$/m);
    expect(await cachedIds(namespace)).toEqual(['w0001', 'w0002']);
  });

  it('rejects an unknown target with the known ones (exit 2)', async () => {
    const { env } = environment();
    const run = await runReposit(bundle.cli, ['-c', bundle.config, 'cache', 'warm', 'gizmos'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cache warm: no caches entry named "gizmos" (known: widgets, first-two)');
  });

  it('fails when Redis is down instead of warming only its own memory', async () => {
    const { env } = environment(`redis://127.0.0.1:${await freePort()}`);
    const run = await runReposit(bundle.cli, ['-c', bundle.config, 'cache', 'warm', 'first-two'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^reposit: cache warm: \d+ Redis \(L2\) operation\(s\) failed, so the cache is not warm/m,
    );
  });
});
