import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

const run = promisify(execFile);
const OS_USER = 'postgres';

/** The newest installed PostgreSQL server binaries. */
async function binaries(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  if (newest === undefined) throw new Error('No PostgreSQL server binaries under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** Runs a server binary as the postgres OS user (the server refuses to run as root). */
async function asPostgres(command: string, args: readonly string[]): Promise<string> {
  const asRoot = process.getuid?.() === 0;
  const { stdout } = asRoot
    ? await run('runuser', ['-u', OS_USER, '--', command, ...args])
    : await run(command, [...args]);
  return stdout;
}

/**
 * Options of {@link PrivatePostgres.start}.
 *
 * @example
 * ```ts
 * await PrivatePostgres.start({ settings: { ssl: 'on' }, hba: ['hostssl all all 127.0.0.1/32 scram-sha-256'] });
 * ```
 */
export interface PrivatePostgresOptions {
  /** postgresql.conf settings, e.g. `{ ssl: 'on', ssl_cert_file: '/…/server.crt' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** pg_hba.conf lines for TCP clients (the Unix socket always trusts, for set-up). */
  readonly hba?: readonly string[];
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temp directory, a spare loopback
 * port), for tests that need server settings the shared server on 5432 must keep (TLS,
 * password authentication). `stop()` shuts it down and deletes it.
 *
 * @example
 * ```ts
 * const server = await PrivatePostgres.start({ hba: ['host all all 127.0.0.1/32 scram-sha-256'] });
 * await server.sql("create role app login password 'pw'");
 * await server.stop();
 * ```
 */
export class PrivatePostgres {
  readonly port: number;
  readonly #dir: string;
  readonly #bin: string;

  private constructor(port: number, dir: string, bin: string) {
    this.port = port;
    this.#dir = dir;
    this.#bin = bin;
  }

  get #data(): string {
    return path.join(this.#dir, 'data');
  }

  static async start(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    const dir = await mkdtemp(path.join(tmpdir(), 'reposit-pg-'));
    await run('chown', [OS_USER, dir]);
    const server = new PrivatePostgres(await freePort(), dir, await binaries());
    const data = server.#data;
    await asPostgres(`${server.#bin}/initdb`, [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    const settings: Record<string, string> = {
      listen_addresses: "'127.0.0.1'",
      port: String(server.port),
      unix_socket_directories: `'${dir}'`,
      fsync: 'off',
      max_connections: '20',
      shared_buffers: "'16MB'",
      password_encryption: "'scram-sha-256'",
      ...options.settings,
    };
    const conf = Object.entries(settings)
      .map(([name, value]) => `${name} = ${value}`)
      .join('\n');
    const hba = ['local all all trust', ...(options.hba ?? ['host all all 127.0.0.1/32 trust'])].join('\n');
    await writeFile(path.join(data, 'postgresql.auto.conf'), `${conf}\n`);
    await writeFile(path.join(data, 'pg_hba.conf'), `${hba}\n`);
    await run('chown', [OS_USER, path.join(data, 'postgresql.auto.conf'), path.join(data, 'pg_hba.conf')]);
    await asPostgres(`${server.#bin}/pg_ctl`, [
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
    return server;
  }

  /** Runs SQL as the superuser over the Unix socket (trusted), returning psql's output. */
  sql(statement: string): Promise<string> {
    return asPostgres(`${this.#bin}/psql`, [
      '-h',
      this.#dir,
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-Atc',
      statement,
    ]);
  }

  /** Stops the server at once and deletes its directory. */
  async stop(): Promise<void> {
    await asPostgres(`${this.#bin}/pg_ctl`, ['-D', this.#data, '-m', 'immediate', '-w', 'stop']).catch(
      () => {},
    );
    await rm(this.#dir, { recursive: true, force: true });
  }
}
