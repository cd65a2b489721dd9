import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../src/cache/cache-manager.js';
import { RedisBus } from '../../src/cache/redis/redis-bus.js';
import { ConnectionError } from '../../src/errors.js';
import { eventually, testRedis } from '../support/cache.js';
import { OwnRedisServer } from '../support/redis-server.js';
import { redisUrl, uniqueName } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// A process whose first bus subscription failed must still hear of other processes' writes
// once Redis lets it subscribe: the bus keeps trying, and its late subscription clears L1
// (what was published meanwhile was missed), as a reconnection does.
const namespace = uniqueName('latebus');
const channel = `${namespace}:invalidate`;
const cleanup: (() => Promise<void> | void)[] = [];
let direct: Redis;

beforeAll(() => {
  direct = testRedis();
});

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  direct.disconnect();
});

function manager(bus: RedisBus): CacheManager {
  const cache = new CacheManager({ namespace, bus });
  cleanup.push(() => cache.close());
  return cache;
}

/**
 * Shows `late` missed nothing once subscribed: its L1 was cleared when it subscribed, and
 * an invalidation `other` publishes now reaches its L1.
 */
async function expectInvalidationsReach(late: CacheManager, other: CacheManager): Promise<void> {
  await eventually(() => late.stats().bus.reconnects > 0, 15_000);
  expect(late.stats().bus.reconnects).toBe(1);
  expect(await late.get('held')).toBeUndefined();
  let truth = 'v1';
  const load = async () => truth;
  expect(await late.getOrLoad('row', load)).toBe('v1');
  truth = 'v2';
  await other.delete('row');
  await eventually(async () => (await late.getOrLoad('row', load)) === 'v2', 5_000);
}

describe('a bus that could not subscribe at start', () => {
  it('subscribes once Redis is reachable, and then receives invalidations', async () => {
    const proxy = await TcpProxy.start({ port: Number(new URL(redisUrl()).port || 6379) });
    cleanup.push(() => proxy.close());
    proxy.setMode('refuse');
    const client = new Redis({ host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    cleanup.push(() => client.disconnect());
    const late = manager(new RedisBus({ client, channel }));
    const other = manager(new RedisBus({ client: direct, channel }));
    await other.ready();
    const reconnected: unknown[] = [];
    late.events.on('bus:reconnected', (event) => reconnected.push(event));

    const failure = await late.ready().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).message).toMatch(/unreachable/);
    await late.set('held', 'cached while unsubscribed');
    expect(await late.get('held')).toBe('cached while unsubscribed');

    proxy.restore();
    await expectInvalidationsReach(late, other);
    expect(reconnected).toHaveLength(1);
  });

  describe('on a server whose ACL is fixed later', () => {
    let server: OwnRedisServer;
    let admin: Redis;
    const password = randomBytes(12).toString('base64url');
    const otherPassword = randomBytes(12).toString('base64url');

    beforeAll(async () => {
      server = await OwnRedisServer.start({
        args: [
          '--user',
          'app',
          'on',
          `>${password}`,
          '~*',
          'resetchannels',
          '+@all',
          '--user',
          'admin',
          'on',
          `>${password}`,
          '~*',
          '&*',
          '+@all',
        ],
      });
      cleanup.push(() => server.stop());
      admin = new Redis({
        host: '127.0.0.1',
        port: server.port,
        username: 'admin',
        password,
        maxRetriesPerRequest: 1,
      });
      admin.on('error', () => {});
      cleanup.push(() => admin.disconnect());
    });

    const cases: [string, Partial<RedisOptions>, RegExp, () => string[]][] = [
      [
        'the channel is granted to the user later (NOPERM)',
        { password },
        /does not allow this user.*NOPERM/,
        () => ['app', 'allchannels'],
      ],
      [
        'the password is accepted later (WRONGPASS)',
        { password: otherPassword },
        /refused the credentials.*WRONGPASS/,
        () => ['app', `>${otherPassword}`, 'allchannels'],
      ],
    ];

    it.each(cases)('%s', async (_name, credentials, refusal, fix) => {
      const late = manager(
        new RedisBus({
          redis: { host: '127.0.0.1', port: server.port, username: 'app', ...credentials },
          channel,
        }),
      );
      const other = manager(new RedisBus({ client: admin, channel }));
      await other.ready();
      const failure = await late.ready().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ConnectionError);
      expect((failure as ConnectionError).message).toMatch(refusal);
      expect((failure as ConnectionError).retryable).toBe(false);
      await late.set('held', 'cached while unsubscribed');

      await admin.call('ACL', 'SETUSER', ...fix());
      await expectInvalidationsReach(late, other);
      await admin.call('ACL', 'SETUSER', 'app', 'resetchannels', 'resetpass', `>${password}`);
    });

    it('a re-subscription refused after a reconnection (the channel revoked) is reported and retried, not an unhandled rejection', async () => {
      await admin.call('ACL', 'SETUSER', 'app', 'allchannels');
      const cache = manager(
        new RedisBus({ redis: { host: '127.0.0.1', port: server.port, username: 'app', password }, channel }),
      );
      const other = manager(new RedisBus({ client: admin, channel }));
      await Promise.all([cache.ready(), other.ready()]);
      const errors: unknown[] = [];
      cache.events.on('error', ({ error }) => errors.push(error));
      // Redis closes the connection of a subscriber whose channel is revoked; the client
      // reconnects and may no longer subscribe.
      await admin.call('ACL', 'SETUSER', 'app', 'resetchannels');
      await eventually(
        () => errors.some((error) => error instanceof ConnectionError && /NOPERM/.test(error.message)),
        10_000,
      );
      expect(cache.stats().bus.reconnects).toBe(0);
      await cache.set('held', 'cached while unsubscribed');
      await admin.call('ACL', 'SETUSER', 'app', 'allchannels');
      await expectInvalidationsReach(cache, other);
      await admin.call('ACL', 'SETUSER', 'app', 'resetchannels');
    });
  });
});
