import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisBus } from '../../../src/cache/redis/redis-bus.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { ConnectionError } from '../../../src/errors.js';
import { createLogger } from '../../../src/observability/logger.js';
import { eventually } from '../../support/cache.js';
import { OwnRedisServer } from '../../support/redis-server.js';
import { uniqueName } from '../../support/services.js';
import { TestCertificates } from '../../support/tls-certificates.js';

// A private redis-server that only speaks TLS and only knows one ACL user, limited to
// this file's key prefix and channels; the shared server on 6379 is not involved.
const namespace = uniqueName('tls');
const password = randomBytes(18).toString('base64url');
const wrongPassword = randomBytes(18).toString('base64url');
let certs: TestCertificates;
let server: OwnRedisServer;
const managers: CacheManager[] = [];

function connection(overrides: Partial<RedisOptions> = {}): RedisOptions {
  return {
    host: '127.0.0.1',
    port: server.port,
    tls: { ca: certs.caCert },
    username: 'app',
    password,
    ...overrides,
  };
}

function manager(redis: RedisOptions, options: { bus?: boolean; logLines?: string[] } = {}) {
  const cache = new CacheManager({
    namespace,
    l2: new RedisTier({ redis }),
    bus: options.bus ? new RedisBus({ redis, channel: `${namespace}:invalidate` }) : undefined,
    // Connecting over TLS takes a few round trips; the default 50 ms is for a warm link.
    l2Timeout: 10_000,
    logger: options.logLines
      ? createLogger({
          level: 'debug',
          destination: { write: (line: string) => options.logLines!.push(line) },
        })
      : undefined,
  });
  managers.push(cache);
  return cache;
}

/** The first error event of a cache, after `run`. */
async function firstError(cache: CacheManager, run: () => Promise<unknown>): Promise<unknown> {
  const errors: unknown[] = [];
  cache.events.on('error', ({ error }) => errors.push(error));
  await run();
  await eventually(() => errors.length > 0, 15_000);
  return errors[0];
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(password);
  expect(text).not.toContain(wrongPassword);
}

beforeAll(async () => {
  certs = await TestCertificates.create();
  server = await OwnRedisServer.start({
    tls: { certFile: certs.serverCertPath, keyFile: certs.serverKeyPath, caFile: certs.caCertPath },
    args: [
      '--user',
      'default',
      'off',
      '--user',
      'app',
      'on',
      `>${password}`,
      `~${namespace}:*`,
      `&${namespace}:*`,
      '+@all',
      '-@dangerous',
      '+info',
    ],
    probe: { tls: { ca: certs.caCert }, username: 'app', password },
  });
});

afterAll(async () => {
  for (const cache of managers) await cache.close();
  await server?.stop();
  await certs?.remove();
});

describe('Redis over TLS as an ACL user', () => {
  it('passes tls, username and password to ioredis untouched, and the cache and bus work with them', async () => {
    const options = connection();
    const writer = manager(options, { bus: true });
    const reader = manager(options, { bus: true });
    await Promise.all([writer.ready(), reader.ready()]);

    const tier = new RedisTier({ redis: options });
    try {
      expect(tier.client.options).toMatchObject({ tls: options.tls, username: 'app', password });
      expect(await tier.client.call('ACL', 'WHOAMI')).toBe('app');
    } finally {
      await tier.close();
    }

    await writer.set('greeting', { text: 'hello' });
    expect(await reader.get('greeting')).toEqual({ text: 'hello' });
    expect(reader.stats().l2).toMatchObject({ hits: 1, errors: 0 });

    await writer.set('greeting', { text: 'changed' });
    await eventually(
      async () => (await reader.get<{ text: string }>('greeting'))?.text === 'changed',
      10_000,
    );
    expect(reader.stats().bus.received).toBeGreaterThan(0);
  });

  it('a key outside the user’s pattern is refused as a typed ConnectionError; the call still succeeds', async () => {
    const lines: string[] = [];
    const cache = manager(connection(), { logLines: lines });
    const error = await firstError(cache, () =>
      cache.set('x', { secretish: 'value' }, { namespace: 'elsewhere' }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/does not allow this user.*NOPERM/);
    // The driver's error carried the command's arguments (here the cached value); ours does not.
    expect(inspect(error, { depth: 10 })).not.toContain('secretish');
    expect(lines.join('\n')).toContain('NOPERM');
    expect(lines.join('\n')).not.toContain('secretish');
  });

  it('a wrong password is a typed ConnectionError; no message, cause or log line holds a password', async () => {
    const lines: string[] = [];
    const cache = manager(connection({ password: wrongPassword }), { bus: true, logLines: lines });
    const loaded = { text: 'from the loader' };
    const error = await firstError(cache, async () => {
      // The cache never fails a read: the loader's value comes back all the same.
      expect(await cache.getOrLoad('k', async () => loaded)).toEqual(loaded);
    });
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/refused the credentials.*WRONGPASS/);
    expectNoSecret(inspect(error, { depth: 10, showHidden: true }));
    expectNoSecret(JSON.stringify(error));
    const subscribed = await cache.ready().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(subscribed).toBeInstanceOf(ConnectionError);
    expectNoSecret(inspect(subscribed, { depth: 10, showHidden: true }));
    await eventually(() => lines.some((line) => line.includes('WRONGPASS')), 10_000);
    expectNoSecret(lines.join('\n'));
  });

  it('a server certificate from another CA is refused as a typed ConnectionError naming TLS', async () => {
    const cache = manager(connection({ tls: { ca: certs.otherCaCert } }));
    const error = await firstError(cache, () => cache.get('k'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/TLS handshake failed/);
    expectNoSecret(inspect(error, { depth: 10, showHidden: true }));
  });

  it('a client without TLS cannot reach the TLS-only server', async () => {
    const cache = manager(connection({ tls: undefined }));
    const error = await firstError(cache, () => cache.get('k'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(cache.stats().l2.hits).toBe(0);
  });
});
