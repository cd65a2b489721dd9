import net from 'node:net';

/**
 * How the proxy treats traffic:
 * - `pass`: forward both ways (after the configured delay).
 * - `drop`: accept connections and swallow every byte both ways: the peer hangs, as
 *   behind a dead link or a firewall that drops packets.
 * - `hold`: accept connections and hold every byte both ways until {@link TcpProxy.restore}:
 *   the server seems hung, then answers late.
 * - `refuse`: close every new connection at once (existing ones keep working unless cut).
 */
export type ProxyMode = 'pass' | 'drop' | 'hold' | 'refuse';

/**
 * A TCP proxy on 127.0.0.1 for fault injection in tests: put it between a client and a
 * real server (PostgreSQL, Redis …), then delay, drop or cut the traffic. No mocks: the
 * client and the server both see real sockets misbehave.
 *
 * @example
 * ```ts
 * const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
 * const url = proxy.rewrite('postgres://postgres@127.0.0.1:5432/test'); // …@127.0.0.1:<proxy port>/test
 * proxy.setDelay(200);      // every chunk waits 200 ms
 * proxy.setMode('drop');    // black hole
 * proxy.cutAll();           // reset every open connection
 * proxy.setMode('refuse');  // new connections are closed at once
 * await proxy.close();
 * ```
 */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  #mode: ProxyMode = 'pass';
  readonly #held: { to: net.Socket; chunk: Buffer }[] = [];
  #delayMs = 0;
  #accepted = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  /** Starts a proxy to `target` on a free port of 127.0.0.1 (or `port`). */
  static async start(target: { host?: string; port: number }, port = 0): Promise<TcpProxy> {
    const proxy = new TcpProxy({ host: target.host ?? '127.0.0.1', port: target.port });
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The port the proxy listens on. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Connections open through the proxy right now. */
  get openConnections(): number {
    return this.#pairs.size;
  }

  /** Connections accepted since start (including refused and dropped ones). */
  get acceptedConnections(): number {
    return this.#accepted;
  }

  /** The same URL with host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Sets how traffic is treated from now on (see {@link ProxyMode}). */
  setMode(mode: ProxyMode): void {
    this.#mode = mode;
  }

  /** Delays every chunk, both ways, by `ms` (order is preserved). */
  setDelay(ms: number): void {
    this.#delayMs = ms;
  }

  /** Back to plain forwarding without delay; bytes held by `hold` are delivered now, in order. */
  restore(): void {
    this.#mode = 'pass';
    this.#delayMs = 0;
    for (const { to, chunk } of this.#held.splice(0)) if (!to.destroyed) to.write(chunk);
  }

  /** Resets every open connection (both sides see the socket close abruptly). */
  cutAll(): void {
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.#pairs.clear();
    this.#held.length = 0;
  }

  /** Cuts every connection and stops listening. */
  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.#accepted++;
    client.on('error', () => {});
    if (this.#mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.#target);
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const forget = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget);
    upstream.on('close', forget);
    this.#forward(client, upstream);
    this.#forward(upstream, client);
  }

  /** Copies `from` to `to`, applying the current mode and delay to each chunk, in order. */
  #forward(from: net.Socket, to: net.Socket): void {
    // One queue and one timer per direction: separate timers per chunk could fire out of
    // order when the delay is lowered in between.
    const queue: { at: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length > 0 && queue[0]!.at <= now) {
        const { chunk } = queue.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(flush, queue[0]!.at - now);
    };
    from.on('data', (chunk: Buffer) => {
      if (this.#mode === 'drop') return;
      if (this.#mode === 'hold') {
        this.#held.push({ to, chunk });
        return;
      }
      if (this.#delayMs <= 0 && queue.length === 0) {
        to.write(chunk);
        return;
      }
      const at = Math.max(Date.now() + this.#delayMs, queue.at(-1)?.at ?? 0);
      queue.push({ at, chunk });
      timer ??= setTimeout(flush, at - Date.now());
    });
    from.on('close', () => clearTimeout(timer));
  }
}
