import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { connectReplica } from '../../test/support/replica.js';
import { databaseUrl, redisUrl, replicaUrl, uniqueName } from '../../test/support/services.js';
import { createAwilixApp } from './container.awilix.js';
import { createPlainApp } from './container.plain.js';
import { listen, type RunningService, type ServiceApp } from './service-app.js';
import { DEFAULT_CONFIG_DIR, type ServiceSettings } from './settings.js';

const WIRINGS: Record<string, (settings: ServiceSettings) => Promise<ServiceApp>> = {
  awilix: createAwilixApp,
  plain: createPlainApp,
};

interface Reply {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked field by field
  readonly body: any;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Every route over real HTTP, the good requests and the bad ones. */
async function exerciseRoutes(base: string): Promise<void> {
  expect(await call(base, 'GET', '/health')).toEqual({ status: 200, body: { status: 'ok' } });

  const first = await call(base, 'POST', '/notes', { title: 'first', body: 'one' });
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ title: 'first', body: 'one', version: 1 });
  const second = await call(base, 'POST', '/notes', { title: 'second' });
  expect(second).toMatchObject({ status: 201, body: { title: 'second', body: '' } });

  const duplicate = await call(base, 'POST', '/notes', { title: 'first' });
  expect(duplicate.status).toBe(409);
  expect(duplicate.body.error).toMatchObject({
    name: 'DuplicateError',
    code: 'E_DUPLICATE',
    columns: ['title'],
  });

  const wrongType = await call(base, 'POST', '/notes', { title: 42 });
  expect(wrongType.status).toBe(400);
  expect(wrongType.body.error).toMatchObject({ name: 'ValidationError', code: 'E_VALIDATION' });
  expect(wrongType.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual(['title']);
  const notJson = await call(base, 'POST', '/notes', '{"title": ');
  expect(notJson.status).toBe(400);
  expect(notJson.body.error.message).toContain('not valid JSON');
  const unknownField = await call(base, 'POST', '/notes', { title: 'third', owner: 'mallory' });
  expect(unknownField.status).toBe(400);
  expect(unknownField.body.error.issues).toEqual([expect.objectContaining({ path: 'owner' })]);

  const id = first.body.id as number;
  expect(await call(base, 'GET', `/notes/${id}`)).toMatchObject({
    status: 200,
    body: { id, title: 'first' },
  });
  expect(await call(base, 'GET', `/notes/${id}`)).toMatchObject({
    status: 200,
    body: { id, title: 'first' },
  });
  const badId = await call(base, 'GET', '/notes/abc');
  expect(badId.status).toBe(400);
  expect(badId.body.error.issues[0]).toMatchObject({ path: 'id' });
  const missing = await call(base, 'GET', '/notes/999999');
  expect(missing.status).toBe(404);
  expect(missing.body.error).toMatchObject({ name: 'NotFoundError', code: 'E_NOT_FOUND', id: 999999 });

  const updated = await call(base, 'PATCH', `/notes/${id}`, { body: 'uno', expectedVersion: 1 });
  expect(updated).toMatchObject({ status: 200, body: { id, body: 'uno', version: 2 } });
  const stale = await call(base, 'PATCH', `/notes/${id}`, { body: 'eins', expectedVersion: 1 });
  expect(stale.status).toBe(409);
  expect(stale.body.error).toMatchObject({ name: 'ConflictError', expectedVersion: 1, actualVersion: 2 });
  expect((await call(base, 'GET', `/notes/${id}`)).body.body).toBe('uno');

  const page1 = await call(base, 'GET', '/notes?limit=1');
  expect(page1.status).toBe(200);
  expect(page1.body.items.map((note: { title: string }) => note.title)).toEqual(['first']);
  const page2 = await call(base, 'GET', `/notes?limit=1&cursor=${encodeURIComponent(page1.body.nextCursor)}`);
  expect(page2.body.items.map((note: { title: string }) => note.title)).toEqual(['second']);
  const tampered = await call(
    base,
    'GET',
    `/notes?limit=1&cursor=${encodeURIComponent(`${page1.body.nextCursor}x`)}`,
  );
  expect(tampered.status).toBe(400);
  expect((await call(base, 'GET', '/notes?limit=0')).status).toBe(400);

  expect(await call(base, 'DELETE', `/notes/${second.body.id}`)).toEqual({ status: 204, body: undefined });
  expect((await call(base, 'DELETE', `/notes/${second.body.id}`)).status).toBe(404);
  expect((await call(base, 'GET', '/notes')).body.items).toHaveLength(1);

  const noRoute = await call(base, 'PUT', '/notes');
  expect(noRoute.status).toBe(404);
  expect(noRoute.body.error.message).toBe('No route for PUT /notes');
}

describe.each(Object.keys(WIRINGS))('the notes service, %s wiring', (wiring) => {
  const createApp = WIRINGS[wiring]!;

  describe('on embedded defaults: PGlite, a memory-only cache, configuration files', () => {
    let running: RunningService;
    beforeAll(async () => {
      const app = await createApp({ replicaUrls: [], configDir: DEFAULT_CONFIG_DIR, env: {} });
      running = await listen(app);
    }, 120_000);
    afterAll(() => running?.close());

    it('serves every route and maps typed errors to 400/404/409', async () => {
      await exerciseRoutes(running.url);
      const { status, body } = await call(running.url, 'GET', '/status');
      expect(status).toBe(200);
      expect(body.wiring).toBe(wiring);
      expect(body.database.engine).toBe('embedded PGlite');
      expect(body.database.nodes.map((node: { role: string }) => node.role)).toEqual(['primary']);
      expect(body.cache.l2.enabled).toBe(false);
      expect(body.cache.l1.hits).toBeGreaterThan(0);
      expect(body.config).toEqual({
        service: { name: 'notes-http' },
        database: { schema: 'http_service' },
        cache: { namespace: 'notes', ttlMs: 30_000 },
        notes: { pageSize: 20, cursorSecret: '[redacted]' },
      });
    }, 60_000);
  });

  it('refuses to start on bad configuration, with a ValidationError naming the variable', async () => {
    const failure = await createApp({
      replicaUrls: [],
      configDir: DEFAULT_CONFIG_DIR,
      env: { NOTES_CACHE__TTL_MS: '-5' },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).message).toContain('NOTES_CACHE__TTL_MS');
  });

  describe('on PostgreSQL with a streaming replica and Redis', () => {
    const schema = uniqueName('http_service');
    const namespace = uniqueName('http-service');
    let running: RunningService;
    let redis: Redis;

    beforeAll(async () => {
      await (await connectReplica()).end();
      redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      const app = await createApp({
        databaseUrl: databaseUrl(),
        replicaUrls: [replicaUrl()],
        redisUrl: redisUrl(),
        configDir: DEFAULT_CONFIG_DIR,
        env: {
          NOTES_DATABASE__SCHEMA: schema,
          NOTES_CACHE__NAMESPACE: namespace,
          NOTES_SERVICE__NAME: 'notes-under-test',
        },
      });
      running = await listen(app);
    }, 120_000);

    afterAll(async () => {
      await running?.close();
      const admin = new pg.Client({ connectionString: databaseUrl() });
      await admin.connect();
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
      const keys = await redis.keys(`${namespace}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it('serves every route over the replica set and keeps entries in Redis', async () => {
      await exerciseRoutes(running.url);
      const { body } = await call(running.url, 'GET', '/status');
      expect(body.wiring).toBe(wiring);
      expect(body.database.engine).toBe('PostgreSQL at 127.0.0.1:5432');
      expect(body.database.nodes).toEqual([
        expect.objectContaining({ role: 'primary', healthy: true }),
        expect.objectContaining({ role: 'replica', healthy: true }),
      ]);
      expect(body.cache.l2.enabled).toBe(true);
      expect(body.config.service.name).toBe('notes-under-test');
      expect(body.config.database.schema).toBe(schema);
      expect(JSON.stringify(body)).not.toContain('postgres://');
      expect(await redis.keys(`${namespace}*`)).not.toHaveLength(0);
    }, 60_000);

    it('loads cache misses from the primary, so a lagging replica cannot put an old row in the cache', async () => {
      const statements = async () => {
        const { body } = await call(running.url, 'GET', '/status');
        const count = (role: string) =>
          body.database.nodes.find((node: { role: string }) => node.role === role).latencyMs.count as number;
        return { primary: count('primary'), replica: count('replica') };
      };
      // Ids that do not exist, each asked once: every request is a cache miss and one read.
      let missingId = 1_000_000;
      const reads = 20;
      const before = await statements();
      for (let i = 0; i < reads; i++)
        expect((await call(running.url, 'GET', `/notes/${missingId++}`)).status).toBe(404);
      const after = await statements();
      // Health checks add a statement or two a second to each node, never twenty.
      expect(after.primary - before.primary).toBeGreaterThanOrEqual(reads);
      expect(after.replica - before.replica).toBeLessThan(reads);
    }, 60_000);
  });
});

describe('npm run example:http', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('starts on embedded defaults with no server configured, and stops on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !/^(DATABASE_URL|REPLICA_URL|REDIS_URL|NOTES_.*)$/.test(name),
      ),
    );
    child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...env, PORT: '0', WIRING: 'plain' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /listening on (http:\S+)/.exec(output);
        if (match) {
          clearInterval(timer);
          resolve(match[1]!);
        } else if (child?.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`the service exited early:\n${output}`));
        }
      }, 50);
    });
    expect(output).toContain(
      'notes service (plain wiring) on embedded PGlite, 0 replica(s), memory-only cache',
    );
    expect(await call(url, 'GET', '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await call(url, 'POST', '/notes', { title: 'from the command line' })).status).toBe(201);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
