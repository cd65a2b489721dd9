import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../../src/connection/connection-manager.js';
import { createLogger } from '../../../src/observability/logger.js';
import { redactSecrets } from '../../../src/observability/redact.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl, uniqueName } from '../../support/services.js';

const SECRET = 'hunter2-very-secret';

/** A pino destination that keeps every line. */
function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines, text: () => lines.join('\n') };
}

/** The test database URL with a password in it (trust auth accepts any password). */
function urlWithPassword(): string {
  const url = new URL(databaseUrl());
  url.password = SECRET;
  return url.toString();
}

let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema('log');
});

afterAll(async () => {
  await schema.drop();
});

describe('redactSecrets', () => {
  it.each([
    [`postgres://app:${SECRET}@db:5432/app`, 'postgres://app:***@db:5432/app'],
    [`redis://:${SECRET}@cache:6379`, 'redis://:***@cache:6379'],
    [`host=db password=${SECRET} user=app`, 'host=db password=*** user=app'],
    [`{"token": "${SECRET}"}`, '{"token": ***}'],
    [`Authorization: Bearer ${SECRET}`, 'Authorization: ***'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});

describe('createLogger', () => {
  it('redacts secret keys at any depth, URLs and pairs in strings, and error messages', () => {
    const out = sink();
    const logger = createLogger({ level: 'debug', destination: out.stream });
    logger.info(
      {
        password: SECRET,
        config: {
          connectionString: `postgres://u:${SECRET}@h/db`,
          nested: { apiKey: SECRET, token: SECRET },
        },
        note: `retrying postgres://u:${SECRET}@h/db`,
        err: new Error(`could not connect to postgres://u:${SECRET}@h/db`),
      },
      `connecting with password=${SECRET}`,
    );
    logger.warn(new Error(`boom postgres://u:${SECRET}@h/db`));
    expect(out.lines).toHaveLength(2);
    expect(out.text()).not.toContain(SECRET);
    const first = JSON.parse(out.lines[0]!);
    expect(first.password).toBe('***');
    expect(first.config.connectionString).toBe('***');
    expect(first.config.nested).toEqual({ apiKey: '***', token: '***' });
    expect(first.note).toBe('retrying postgres://u:***@h/db');
    expect(first.err.message).toBe('could not connect to postgres://u:***@h/db');
    expect(first.msg).toBe('connecting with password=***');
    expect(first.component).toBe('reposit');
  });

  it("wraps the user's own pino instance, keeping its destination and adding redaction", () => {
    const out = sink();
    const user = pino({ level: 'info' }, out.stream);
    const logger = createLogger({ pino: user, component: 'db' });
    logger.error(
      { password: SECRET, url: `postgres://a:${SECRET}@b/c` },
      `failed: postgres://a:${SECRET}@b/c`,
    );
    expect(out.lines).toHaveLength(1);
    expect(out.text()).not.toContain(SECRET);
    const line = JSON.parse(out.lines[0]!);
    expect(line.component).toBe('db');
    expect(line.password).toBe('***');
  });
});

describe('ConnectionManager logging', () => {
  it('no secret from the connection string reaches a log line or an error during connects and failures', async () => {
    const out = sink();
    const logger = createLogger({ level: 'debug', destination: out.stream });
    const applicationName = uniqueName('logapp');
    const bad = new URL(urlWithPassword());
    bad.port = '1';
    const db = new ConnectionManager({
      primary: { connectionString: urlWithPassword(), applicationName },
      // A replica nobody listens for: health checks and reads fail and are logged.
      replicas: [{ connectionString: bad.toString() }],
      logger,
      healthCheckIntervalMs: 50,
      connectTimeoutMs: 300,
    });
    const errors: unknown[] = [];
    try {
      await db.query('select 1', []);
      // The replica is down: the read fails over to the primary (and says so in the log).
      const read = await db.query<{ standby: boolean }>('select pg_is_in_recovery() as standby', [], {
        intent: 'read',
      });
      expect(read.rows[0]!.standby).toBe(false);
      // Idle connections killed under the pool.
      await Promise.all([db.query('select pg_sleep(0.05)', []), db.query('select pg_sleep(0.05)', [])]);
      await schema.sql('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
        applicationName,
      ]);
      const deadline = Date.now() + 3000;
      while (!out.text().includes('idle database connection failed') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      errors.push(await db.query('select * from missing_table', []).catch((e) => e));
      errors.push(await db.transaction(() => db.query('select 1/0', [])).catch((e) => e));
    } finally {
      await db.close();
    }
    const text = out.text();
    expect(out.lines.length).toBeGreaterThanOrEqual(3);
    expect(text).toContain('replica');
    expect(text).toContain('idle database connection failed');
    expect(text).not.toContain(SECRET);
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error);
      const all = `${(error as Error).message} ${(error as Error).stack} ${JSON.stringify(error)}`;
      expect(all).not.toContain(SECRET);
    }
  });
});
