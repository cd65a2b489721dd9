import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { remoteError } from '../../../src/cache/remote-error.js';
import { ConnectionError, TimeoutError, UnavailableError } from '../../../src/errors.js';
import { countingTier } from '../../support/cache.js';
import { freePort } from '../../support/redis-server.js';

const SECRET = 'pa55-w0rd-never-logged';

/** An error shaped like the driver's: the failed command rides along, arguments included. */
function driverError(message: string, command: { name: string; args: string[] }, code?: string): Error {
  const error = Object.assign(new Error(message), { command });
  error.name = 'ReplyError';
  if (code) Object.assign(error, { code });
  return error;
}

describe('remoteError', () => {
  it('maps refused credentials to a non-retryable ConnectionError that keeps nothing of the command', () => {
    const raw = driverError('WRONGPASS invalid username-password pair or user is disabled.', {
      name: 'hello',
      args: ['3', 'AUTH', 'app', SECRET],
    });
    expect(inspect(raw, { depth: 5 })).toContain(SECRET);
    const mapped = remoteError(raw, 'redis', 'get');
    expect(mapped).toBeInstanceOf(ConnectionError);
    expect(mapped.retryable).toBe(false);
    expect(mapped.message).toMatch(/^redis refused the credentials \(get\): WRONGPASS/);
    expect(inspect(mapped, { depth: 10, showHidden: true })).not.toContain(SECRET);
    expect(JSON.stringify(mapped)).not.toContain(SECRET);
  });

  it('maps NOPERM, TLS codes, network codes and anything else to the right typed error', () => {
    const noperm = remoteError(
      driverError('NOPERM no permissions', { name: 'evalsha', args: [SECRET] }),
      'redis',
      'set',
    );
    expect(noperm).toBeInstanceOf(ConnectionError);
    expect(noperm.message).toMatch(/does not allow this user to run set/);

    const tls = remoteError(
      Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
      'redis',
      'get',
    );
    expect(tls).toBeInstanceOf(ConnectionError);
    expect(tls.message).toMatch(/TLS handshake failed/);
    expect(tls.retryable).toBe(false);

    const gaveUp = Object.assign(new Error('Reached the max retries per request limit'), {
      name: 'MaxRetriesPerRequestError',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const unreachable = remoteError(gaveUp, 'redis', 'get', refused);
    expect(unreachable).toBeInstanceOf(ConnectionError);
    expect(unreachable.retryable).toBe(true);
    expect(unreachable.message).toMatch(/unreachable \(get\): connect ECONNREFUSED/);

    const other = remoteError(new Error(`OOM command not allowed, password=${SECRET}`), 'redis', 'set');
    expect(other).toBeInstanceOf(UnavailableError);
    expect(other.message).not.toContain(SECRET);
  });

  it('passes reposit errors through', () => {
    const timeout = new TimeoutError('L2 get timed out', { timeoutMs: 50 });
    expect(remoteError(timeout, 'redis', 'get')).toBe(timeout);
  });
});

describe('an L2 failure through a wrapped tier', () => {
  it('settles the read and reports a typed error, even through a Proxy around the tier', async () => {
    // Nothing listens on the port: every command fails with a refused connection.
    const tier = countingTier(
      new RedisTier({ redis: { host: '127.0.0.1', port: await freePort(), retryStrategy: () => 50 } }),
    );
    const cache = new CacheManager({ namespace: 'wrapped', l2: tier, l2Timeout: 5_000 });
    const errors: unknown[] = [];
    cache.events.on('error', ({ error }) => errors.push(error));
    try {
      expect(await cache.getOrLoad('k', async () => 'loaded')).toBe('loaded');
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]).toBeInstanceOf(ConnectionError);
      expect((errors[0] as Error).message).toMatch(/unreachable \(get\): connect ECONNREFUSED/);
    } finally {
      await cache.close();
    }
  });
});
