import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';

/** A free loopback port (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Options of {@link OwnRedisServer.start}.
 *
 * @example
 * ```ts
 * await OwnRedisServer.start({ tls: { certFile, keyFile, caFile }, args: ['--user', 'app', 'on', '>pw', '~*', '+@all'] });
 * ```
 */
export interface OwnRedisServerOptions {
  /** Serve TLS only (the plain port is closed) with these files. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** More redis-server arguments, e.g. ACL `--user` lines. */
  readonly args?: readonly string[];
  /** How the readiness probe connects (credentials, TLS); host and port are added. */
  readonly probe?: RedisOptions;
  /** Credentials for the readiness probe, when `args` turn the default user off. */
  readonly auth?: Pick<RedisOptions, 'username' | 'password'>;
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

  #args(): string[] {
    const { tls, args = [] } = this.#options;
    const listen = tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(this.port),
          '--tls-cert-file',
          tls.certFile,
          '--tls-key-file',
          tls.keyFile,
          '--tls-ca-cert-file',
          tls.caFile,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(this.port)];
    return [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args];
  }

  /** Starts (again) on the same port and waits until it answers PING. */
  async restart(): Promise<void> {
    this.#process = spawn('redis-server', this.#args(), { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const probe = new Redis({
        ...this.#options.probe,
        ...this.#options.auth,
        port: this.port,
        host: '127.0.0.1',
        lazyConnect: true,
        retryStrategy: () => null,
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
