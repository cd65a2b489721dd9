import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Options of {@link OwnRedisServer.start}.
 *
 * @example
 * ```ts
 * const server = await OwnRedisServer.start({
 *   args: ['--user', 'default', 'off', '--user', 'app', 'on', '>s3cret', '~*', '&*', '+@all'],
 *   auth: { username: 'app', password: 's3cret' },
 * });
 * ```
 */
export interface OwnRedisServerOptions {
  /** Extra redis-server arguments (ACL users, limits …). @default [] */
  readonly args?: readonly string[];
  /** Credentials for the readiness probe, when `args` turn the default user off. @default none */
  readonly auth?: Pick<RedisOptions, 'username' | 'password'>;
}

/** A free loopback port (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A redis-server of the test's own, on a spare loopback port, that the test may stop
 * and restart (the shared server on 6379 is never touched).
 */
export class OwnRedisServer {
  readonly port: number;
  readonly #options: OwnRedisServerOptions;
  #process: ChildProcess | undefined;

  private constructor(port: number, options: OwnRedisServerOptions) {
    this.port = port;
    this.#options = options;
  }

  static async start(options: OwnRedisServerOptions = {}): Promise<OwnRedisServer> {
    const server = new OwnRedisServer(await freePort(), options);
    await server.restart();
    return server;
  }

  /** Starts (again) on the same port and waits until it answers PING. */
  async restart(): Promise<void> {
    this.#process = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...(this.#options.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const probe = new Redis({
        port: this.port,
        host: '127.0.0.1',
        lazyConnect: true,
        retryStrategy: () => null,
        ...this.#options.auth,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Stops the server (SIGKILL: no goodbye to clients) and waits for the exit. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
