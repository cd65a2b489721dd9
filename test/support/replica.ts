import pg from 'pg';
import { databaseUrl, replicaUrl } from './services.js';

/**
 * Connects to the streaming replica (scripts/start-replica.sh) and checks that it is
 * one. Tests that need it call this in `beforeAll`: an unreachable replica fails them
 * loudly with instructions, it never skips them.
 *
 * @example
 * ```ts
 * let replica: pg.Client;
 * beforeAll(async () => { replica = await connectReplica(); });
 * ```
 */
export async function connectReplica(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: replicaUrl(), connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `The streaming replica at ${redact(replicaUrl())} is not reachable (${(error as Error).message}). ` +
        'Start it with `bash scripts/start-replica.sh` or set TEST_REPLICA_URL.',
    );
  }
  const { rows } = await client.query('select pg_is_in_recovery() as standby');
  if (rows[0].standby !== true) {
    await client.end();
    throw new Error(`The server at ${redact(replicaUrl())} is not a replica (pg_is_in_recovery() is false).`);
  }
  return client;
}

/**
 * Waits until the replica has replayed everything the primary has written so far.
 *
 * @example
 * ```ts
 * await schema.sql('create table items (id int)');
 * await waitForReplay(replica); // the table now exists on the replica too
 * ```
 */
export async function waitForReplay(replica: pg.Client, timeoutMs = 15_000): Promise<void> {
  const primary = new pg.Client({ connectionString: databaseUrl() });
  await primary.connect();
  try {
    const { rows } = await primary.query('select pg_current_wal_insert_lsn()::text as lsn');
    const target = rows[0].lsn as string;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const replayed = await replica.query('select pg_last_wal_replay_lsn() >= $1::pg_lsn as done', [target]);
      if (replayed.rows[0].done === true) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`The replica did not replay up to ${target} within ${timeoutMs} ms`);
  } finally {
    await primary.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
