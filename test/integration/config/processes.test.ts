import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationRepository, ensureConfigSchema } from '../../../src/backends/config/index.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';

interface ChildMessage {
  type: 'ready' | 'change' | 'set-done' | 'error';
  path?: string;
  newValue?: unknown;
  version?: number;
  at?: number;
  message?: string;
}

const child = fileURLToPath(new URL('./fixtures/config-child.ts', import.meta.url));
const schema = z.object({ flags: z.record(z.string(), z.number()).default({}) });

/** A forked Node process running the child script, with its messages collected. */
function spawnChild(pgSchema: string): { process: ChildProcess; messages: ChildMessage[]; next: Waiter } {
  const proc = fork(child, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, CONFIG_DATABASE_URL: databaseUrl(), CONFIG_SCHEMA: pgSchema },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: ChildMessage[] = [];
  proc.on('message', (message: ChildMessage) => messages.push(message));
  const next: Waiter = (predicate, timeoutMs = 1000) =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = () => {
        const found = messages.find(predicate);
        if (found) return resolve(found);
        if (Date.now() > deadline)
          return reject(new Error(`child ${proc.pid} sent nothing matching in ${timeoutMs} ms`));
        setTimeout(poll, 5);
      };
      poll();
    });
  return { process: proc, messages, next };
}
type Waiter = (predicate: (m: ChildMessage) => boolean, timeoutMs?: number) => Promise<ChildMessage>;

describe('several processes stay in step', () => {
  let pg: TestSchema;
  const children: ReturnType<typeof spawnChild>[] = [];

  beforeAll(async () => {
    pg = await createTestSchema('cfg_proc');
    await ensureConfigSchema(pg.pool, { schema: pg.name, table: 'multi' });
  });
  afterAll(async () => {
    for (const c of children) {
      if (c.process.connected) c.process.send({ type: 'close' });
    }
    await Promise.all(
      children.map(
        (c) =>
          new Promise((resolve) =>
            c.process.exitCode !== null ? resolve(null) : c.process.once('exit', resolve),
          ),
      ),
    );
    await pg.drop();
  });

  it('each of two separate Node processes sees a database change within a second', async () => {
    children.push(spawnChild(pg.name), spawnChild(pg.name));
    // Starting a TypeScript child takes a while on a busy machine; the one-second budget is for changes.
    await Promise.all(children.map((c) => c.next((m) => m.type === 'ready', 20_000)));
    const [a, b] = children as [ReturnType<typeof spawnChild>, ReturnType<typeof spawnChild>];
    expect(a.process.pid).not.toBe(b.process.pid);
    expect(a.process.pid).not.toBe(process.pid);

    const config = await ConfigurationRepository.start({
      schema,
      files: false,
      database: { connection: pg.pool, schema: pg.name, table: 'multi' },
    });
    try {
      // This process writes; both children must see it.
      const written = Date.now();
      await config.set('flags.fromParent', 1);
      const seen = await Promise.all(
        [a, b].map((c) => c.next((m) => m.type === 'change' && m.path === 'flags.fromParent')),
      );
      for (const message of seen) {
        expect(message).toMatchObject({ newValue: 1, version: 1 });
        expect(message.at! - written).toBeLessThan(1000);
      }

      // A child writes; the other child and this process see it.
      const parentSaw: number[] = [];
      config.onChange('flags.fromChild', () => parentSaw.push(Date.now()));
      a.process.send({ type: 'set', path: 'flags.fromChild', value: 2 });
      const done = await a.next((m) => m.type === 'set-done', 5000);
      const other = await b.next((m) => m.type === 'change' && m.path === 'flags.fromChild');
      expect(other).toMatchObject({ newValue: 2, version: 2 });
      expect(other.at! - done.at!).toBeLessThan(1000);
      const deadline = Date.now() + 1000;
      while (parentSaw.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(parentSaw).toHaveLength(1);
      expect(config.get('flags')).toEqual({ fromParent: 1, fromChild: 2 });

      const [latest] = await config.history();
      expect(latest!.actor).toBe(`child-${a.process.pid}`);
      expect(children.flatMap((c) => c.messages.filter((m) => m.type === 'error'))).toEqual([]);
    } finally {
      await config.close();
    }
  });
});
