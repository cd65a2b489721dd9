import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/**
 * Options of {@link OwnReplica.start}.
 *
 * @example
 * ```ts
 * const replica = await OwnReplica.start({ hba: ['host all app 127.0.0.1/32 scram-sha-256'] });
 * ```
 */
export interface OwnReplicaOptions {
  /** The primary to copy and stream from. @default 127.0.0.1:5432 */
  readonly primary?: { readonly host: string; readonly port: number };
  /**
   * pg_hba.conf lines placed before the final `trust` lines, e.g. to make one role
   * authenticate with its password.
   * @default []
   */
  readonly hba?: readonly string[];
}

/**
 * A streaming replica of the local primary of the caller's own, on a spare port and a
 * temporary data directory (`pg_basebackup -R`), that it may stop and start at will: the
 * shared replica on 5433 (scripts/start-replica.sh) is never touched. `destroy()` stops it
 * and deletes its directory.
 *
 * @example
 * ```ts
 * const replica = await OwnReplica.start();
 * const url = `postgres://postgres@127.0.0.1:${replica.port}/test`;
 * await replica.stop();   // immediate shutdown: clients see their connections die
 * await replica.start();  // streams again from where it stopped
 * await replica.destroy();
 * ```
 */
export class OwnReplica {
  readonly port: number;
  readonly dataDir: string;
  readonly #bin: string;

  private constructor(port: number, dataDir: string, bin: string) {
    this.port = port;
    this.dataDir = dataDir;
    this.#bin = bin;
  }

  /** Takes a base backup of the primary, configures it as a hot standby and starts it. */
  static async start(options: OwnReplicaOptions = {}): Promise<OwnReplica> {
    const primary = options.primary ?? { host: '127.0.0.1', port: 5432 };
    const bin = await serverBinaries();
    const port = await freePort();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `reposit-replica-${port}-`));
    const replica = new OwnReplica(port, dataDir, bin);
    await chownToPostgres(dataDir);
    await fs.chmod(dataDir, 0o700);
    await asPostgres(path.join(bin, 'pg_basebackup'), [
      ...['-h', primary.host, '-p', String(primary.port), '-U', 'postgres'],
      ...['-D', dataDir, '-R', '-X', 'stream', '-c', 'fast'],
    ]);
    const settings = await primarySettings(primary);
    await writeAsPostgres(
      path.join(dataDir, 'postgresql.conf'),
      [
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = '/tmp'",
        'hot_standby = on',
        'hot_standby_feedback = on',
        'wal_receiver_status_interval = 1s',
        'shared_buffers = 32MB',
        'logging_collector = off',
        ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
      ].join('\n'),
    );
    await writeAsPostgres(
      path.join(dataDir, 'pg_hba.conf'),
      [...(options.hba ?? []), 'local all all trust', 'host all all 127.0.0.1/32 trust'].join('\n'),
    );
    await writeAsPostgres(path.join(dataDir, 'pg_ident.conf'), '');
    await replica.start();
    return replica;
  }

  /** Starts the server (again) and waits until it answers as a server in recovery. */
  async start(): Promise<void> {
    await asPostgres(path.join(this.#bin, 'pg_ctl'), [
      ...['-D', this.dataDir, '-l', `${this.dataDir}/server.log`, '-w', '-t', '60', 'start'],
    ]);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: this.port,
        user: 'postgres',
        database: 'postgres',
      });
      client.on('error', () => {});
      try {
        await client.connect();
        const { rows } = await client.query('select pg_is_in_recovery() as standby');
        if (rows[0].standby === true) return;
      } catch {
        // not accepting connections yet
      } finally {
        await client.end().catch(() => {});
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the replica on port ${this.port} did not come up in recovery within 30 s`);
  }

  /** Stops the server at once (`-m immediate`: no goodbye to clients, like a crash). */
  async stop(): Promise<void> {
    await asPostgres(path.join(this.#bin, 'pg_ctl'), ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  /** Stops the server if it runs and deletes its data directory. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    await fs.rm(this.dataDir, { recursive: true, force: true });
  }
}

async function serverBinaries(): Promise<string> {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const versions = (await fs.readdir('/usr/lib/postgresql')).sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  if (!newest) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql; set PG_BIN');
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** The server refuses to run as root: run its tools as the postgres OS user. */
async function asPostgres(command: string, args: readonly string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  await run(asRoot ? 'runuser' : command, asRoot ? ['-u', 'postgres', '--', command, ...args] : [...args], {
    timeout: 120_000,
  });
}

async function chownToPostgres(file: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await run('chown', ['postgres:postgres', file]);
}

async function writeAsPostgres(file: string, text: string): Promise<void> {
  await fs.writeFile(file, `${text}\n`, { mode: 0o600 });
  await chownToPostgres(file);
}

/** A hot standby needs at least the primary's values of these. */
async function primarySettings(primary: { host: string; port: number }): Promise<Record<string, string>> {
  const client = new pg.Client({
    host: primary.host,
    port: primary.port,
    user: 'postgres',
    database: 'postgres',
  });
  await client.connect();
  try {
    const names = [
      'max_connections',
      'max_worker_processes',
      'max_wal_senders',
      'max_locks_per_transaction',
      'max_prepared_transactions',
    ];
    const { rows } = await client.query<{ name: string; setting: string }>(
      'select name, setting from pg_settings where name = any($1)',
      [names],
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
  } finally {
    await client.end();
  }
}
