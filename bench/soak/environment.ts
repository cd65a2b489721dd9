import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { OwnReplica } from '../../test/support/own-replica.js';
import { OwnRedisServer } from '../../test/support/redis-server.js';
import { databaseUrl, uniqueName } from '../../test/support/services.js';
import { TcpProxy } from '../../test/support/tcp-proxy.js';

/** How many rows the table starts with. */
export const INITIAL_ROWS = 2000;

/**
 * Everything the soak runs against, all of its own except the shared primary: a login
 * role with a password, a schema and table on the primary, a streaming replica and a
 * redis-server (ACL user with a password) it may stop, and TCP proxies in front of the
 * primary and Redis for latency and hangs.
 */
export interface SoakEnvironment {
  /** What the application is configured with; both URLs carry a password. */
  readonly primaryUrl: string;
  readonly replicaUrl: string;
  readonly redisUrl: string;
  readonly schema: string;
  readonly applicationName: string;
  /** Secrets that must never appear in a log line or an error message. */
  readonly secrets: readonly string[];
  readonly admin: pg.Pool;
  readonly redis: OwnRedisServer;
  readonly replica: OwnReplica;
  readonly primaryProxy: TcpProxy;
  readonly redisProxy: TcpProxy;
  teardown(): Promise<void>;
}

/** Sets the environment up; `teardown()` removes every trace (role, schema, servers, directories). */
export async function startEnvironment(): Promise<SoakEnvironment> {
  const primary = new URL(databaseUrl());
  const admin = new pg.Pool({ connectionString: databaseUrl(), max: 3 });
  admin.on('error', () => {});
  const undo: (() => Promise<unknown>)[] = [() => admin.end()];
  const teardown = async () => {
    for (const step of undo.reverse()) await step().catch(() => {});
  };
  try {
    const name = uniqueName('soak');
    const role = name;
    const dbPassword = `pgpw-${randomBytes(12).toString('hex')}`;
    const redisPassword = `rdpw-${randomBytes(12).toString('hex')}`;
    await admin.query(`create role "${role}" login password '${dbPassword}'`);
    undo.push(() => admin.query(`drop role if exists "${role}"`));
    await admin.query(`create schema "${name}"`);
    undo.push(() => admin.query(`drop schema if exists "${name}" cascade`));
    await admin.query(
      `create table "${name}".items (id int primary key, version int not null, value int not null, note text not null)`,
    );
    await admin.query(
      `insert into "${name}".items select g, 1, 0, 'initial' from generate_series(1, ${INITIAL_ROWS}) g`,
    );
    await admin.query(`grant usage on schema "${name}" to "${role}"`);
    await admin.query(`grant select, insert, update, delete on "${name}".items to "${role}"`);

    const replica = await OwnReplica.start({
      primary: { host: primary.hostname, port: Number(primary.port || 5432) },
      // The application's role proves its password on the replica (the shared primary trusts loopback).
      hba: [`host all "${role}" 127.0.0.1/32 scram-sha-256`],
    });
    undo.push(() => replica.destroy());
    const redis = await OwnRedisServer.start({
      args: ['--user', 'default', 'off', '--user', role, 'on', `>${redisPassword}`, '~*', '&*', '+@all'],
      auth: { username: role, password: redisPassword },
    });
    undo.push(() => redis.stop());
    const primaryProxy = await TcpProxy.start({ host: primary.hostname, port: Number(primary.port || 5432) });
    undo.push(() => primaryProxy.close());
    const redisProxy = await TcpProxy.start({ port: redis.port });
    undo.push(() => redisProxy.close());

    const database = primary.pathname.slice(1) || 'test';
    return {
      primaryUrl: `postgres://${role}:${dbPassword}@127.0.0.1:${primaryProxy.port}/${database}`,
      replicaUrl: `postgres://${role}:${dbPassword}@127.0.0.1:${replica.port}/${database}`,
      redisUrl: `redis://${role}:${redisPassword}@127.0.0.1:${redisProxy.port}`,
      schema: name,
      applicationName: name,
      secrets: [dbPassword, redisPassword],
      admin,
      redis,
      replica,
      primaryProxy,
      redisProxy,
      teardown: async () => {
        // Connections of the role keep it from being dropped.
        await admin
          .query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [role])
          .catch(() => {});
        await teardown();
      },
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}
