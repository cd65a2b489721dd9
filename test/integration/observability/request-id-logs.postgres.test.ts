import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import { ConnectionManager } from '../../../src/connection/connection-manager.js';
import { withContext } from '../../../src/context/request-context.js';
import { currentTransaction } from '../../../src/context/transaction-scope.js';
import { createLogger } from '../../../src/observability/logger.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { Widget, type WidgetInput } from '../../../src/testing/conformance.js';
import { eventually, sleep } from '../../support/cache.js';
import { databaseUrl } from '../../support/services.js';

/** A pino destination that keeps every line, parsed. */
function sink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

const widget = (id: string): WidgetInput => ({
  id,
  email: `${id}@example.com`,
  name: id,
  age: null,
  score: 1,
  active: true,
});

let db: ConnectionManager;
const out = sink();

beforeAll(() => {
  db = new ConnectionManager({
    primary: { connectionString: databaseUrl() },
    logger: createLogger({ level: 'debug', destination: out.stream }),
  });
});
afterAll(async () => {
  await db?.close();
});

/** A transaction whose after-commit hook throws: the ConnectionManager logs it (and the caller is not failed). */
function commitWithFailingHook(label: string) {
  return db.transaction(async () => {
    await db.query('select 1', []);
    currentTransaction()?.afterCommit(() => {
      throw new Error(`hook of ${label}`);
    });
  });
}

function hookLines(label: string) {
  return out.lines.filter((line) => JSON.stringify(line.err ?? '').includes(`hook of ${label}`));
}

describe('requestId on log lines', () => {
  it('a line reposit writes inside withContext carries its requestId; outside, none', async () => {
    await withContext({ requestId: 'req-41' }, () => commitWithFailingHook('inside'));
    await commitWithFailingHook('outside');
    const [inside] = hookLines('inside');
    const [outside] = hookLines('outside');
    expect(inside).toMatchObject({ requestId: 'req-41', component: 'reposit', level: 50 });
    expect(outside).toBeDefined();
    expect(outside).not.toHaveProperty('requestId');
  });

  it('concurrent requests, interleaved across awaits, each log their own id', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `req-c${i}`);
    await Promise.all(
      ids.map((requestId, i) =>
        withContext({ requestId }, async () => {
          await sleep((ids.length - i) * 3);
          await commitWithFailingHook(requestId);
        }),
      ),
    );
    for (const requestId of ids) {
      const lines = hookLines(requestId);
      expect(lines).toHaveLength(1);
      expect(lines[0]!.requestId).toBe(requestId);
    }
  });

  it("through the user's own pino (a child logger), for repository lines too, and for a bare Error", async () => {
    const user = sink();
    const logger = createLogger({ pino: pino({ level: 'info' }, user.stream), component: 'orders' });
    const widgets = new BaseRepository<Widget, string, WidgetInput>({
      entity: Widget,
      backend: new MemoryBackend<Widget, string>(Widget),
      logger,
    });
    widgets.events.on('created', () => {
      throw new Error('listener bug');
    });
    await withContext({ requestId: 'req-user', actor: 'ada' }, async () => {
      await widgets.create(widget('w1'));
      logger.warn(new Error('plain error'));
      await withContext({ actor: 'nested' }, async () => logger.info({ step: 2 }, 'nested context'));
      logger.info({ requestId: 'explicit' }, 'the line says its own');
    });
    const byMessage = (text: string) => user.lines.find((line) => String(line.msg).includes(text));
    expect(byMessage('repository event listener threw')).toMatchObject({
      requestId: 'req-user',
      component: 'orders',
      entity: 'widget',
    });
    expect(byMessage('plain error')).toMatchObject({ requestId: 'req-user' });
    expect(byMessage('nested context')).toMatchObject({ requestId: 'req-user', step: 2 });
    expect(byMessage('the line says its own')).toMatchObject({ requestId: 'explicit' });
  });

  it('the health checks of a manager created inside a request are not attributed to that request', async () => {
    const lines = sink();
    const unreachable = new URL(databaseUrl());
    unreachable.port = '1';
    const manager = await withContext(
      { requestId: 'req-ctor' },
      async () =>
        new ConnectionManager({
          primary: { connectionString: databaseUrl() },
          replicas: [{ connectionString: unreachable.toString() }],
          logger: createLogger({ level: 'debug', destination: lines.stream }),
          healthCheckIntervalMs: 50,
          connectTimeoutMs: 300,
        }),
    );
    try {
      await eventually(
        () => lines.lines.some((line) => String(line.msg).includes('taken out of read rotation')),
        10_000,
      );
      expect(lines.lines.length).toBeGreaterThan(0);
      expect(lines.lines.filter((line) => 'requestId' in line)).toEqual([]);
    } finally {
      await manager.close();
    }
  });
});
