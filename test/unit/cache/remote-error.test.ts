import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { remoteError } from '../../../src/cache/remote-error.js';
import { ConnectionError, TimeoutError, UnavailableError } from '../../../src/errors.js';

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
