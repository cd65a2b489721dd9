import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../../src/connection/connection-manager.js';
import type { PgNodeOptions } from '../../../src/connection/pg-pool.js';
import { ConnectionError } from '../../../src/errors.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { PrivatePostgres } from '../../support/private-postgres.js';
import { TestCertificates } from '../../support/tls-certificates.js';

// A private cluster (the shared server on 5432 keeps trust auth and no TLS): TCP clients
// must use TLS and a SCRAM password; plain TCP is rejected.
const password = randomBytes(18).toString('base64url');
const wrongPassword = randomBytes(18).toString('base64url');
let certs: TestCertificates;
let server: PrivatePostgres;
const managers: ConnectionManager[] = [];

function node(overrides: Partial<PgNodeOptions> = {}): PgNodeOptions {
  return {
    host: '127.0.0.1',
    port: server.port,
    user: 'app',
    password,
    database: 'postgres',
    ssl: { ca: certs.caCert, rejectUnauthorized: true },
    ...overrides,
  };
}

function manager(primary: PgNodeOptions, logger = new CaptureLogger()) {
  const db = new ConnectionManager({ primary, logger, connectTimeoutMs: 20_000 });
  managers.push(db);
  return db;
}

/** What a query on `db` rejected with. */
async function failure(db: ConnectionManager): Promise<unknown> {
  return db.query('select 1').then(
    () => undefined,
    (error: unknown) => error,
  );
}

function expectNoPassword(text: string): void {
  expect(text).not.toContain(password);
  expect(text).not.toContain(wrongPassword);
}

beforeAll(async () => {
  certs = await TestCertificates.create({ owner: 'postgres' });
  server = await PrivatePostgres.start({
    settings: {
      ssl: 'on',
      ssl_cert_file: `'${certs.serverCertPath}'`,
      ssl_key_file: `'${certs.serverKeyPath}'`,
    },
    hba: ['hostssl all all 127.0.0.1/32 scram-sha-256', 'hostnossl all all 127.0.0.1/32 reject'],
  });
  await server.sql(`create role app login password '${password}'`);
});

afterAll(async () => {
  for (const db of managers) await db.close();
  await server?.stop();
  await certs?.remove();
});

describe('PostgreSQL over TLS with SCRAM passwords', () => {
  it('connects with ssl { ca, rejectUnauthorized: true } passed through to pg', async () => {
    const primary = node();
    const db = manager(primary);
    // The very object given, not a copy or a rewrite of it.
    expect((db.primaryPool as unknown as { options: { ssl: unknown } }).options.ssl).toBe(primary.ssl);
    const { rows } = await db.query<{ ssl: boolean; user: string }>(
      'select ssl, current_user as user from pg_stat_ssl where pid = pg_backend_pid()',
    );
    expect(rows).toEqual([{ ssl: true, user: 'app' }]);
  });

  it('takes the password from a function (rotating credentials) over TLS', async () => {
    const db = manager(node({ password: async () => password }));
    const { rows } = await db.query<{ ok: number }>('select 1 as ok');
    expect(rows).toEqual([{ ok: 1 }]);
  });

  it('a server certificate from another CA is a typed, non-retryable ConnectionError naming TLS', async () => {
    const logger = new CaptureLogger();
    const db = manager(node({ ssl: { ca: certs.otherCaCert, rejectUnauthorized: true } }), logger);
    const error = await failure(db);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/TLS connection .*could not be set up.*check ssl\.ca/);
    expectNoPassword(inspect(error, { depth: 10 }));
    expectNoPassword(inspect(logger.lines, { depth: 10 }));
  });

  it('without TLS the server refuses the connection, as a typed ConnectionError', async () => {
    const db = manager(node({ ssl: false }));
    const error = await failure(db);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/SQLSTATE 28000/);
  });

  it('a wrong password is a typed ConnectionError; no message, cause or log line holds a password', async () => {
    for (const primary of [
      node({ password: wrongPassword }),
      node({
        connectionString: `postgres://app:${wrongPassword}@127.0.0.1:${server.port}/postgres`,
        host: undefined,
        port: undefined,
        user: undefined,
        password: undefined,
        database: undefined,
      }),
    ]) {
      const logger = new CaptureLogger();
      const db = manager(primary, logger);
      const error = await failure(db);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/rejected the credentials.*SQLSTATE 28P01/);
      expectNoPassword(inspect(error, { depth: 10, showHidden: true }));
      expectNoPassword(JSON.stringify(error));
      expectNoPassword(inspect(logger.lines, { depth: 10 }));
      expectNoPassword(JSON.stringify(await db.checkHealth()));
    }
  });
});
