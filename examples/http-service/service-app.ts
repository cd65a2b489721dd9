/**
 * What a composition root produces, and how it is served over node:http.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A wired service: its request listener and what shutting it down takes. */
export interface ServiceApp {
  /** Which composition root built it: `awilix` or `plain`. */
  readonly wiring: string;
  readonly handler: RequestListener;
  /** Closes the cache, the connections and the configuration watchers. */
  close(): Promise<void>;
}

/** A service listening on a port. */
export interface RunningService {
  /** `http://host:port`, with the port the system picked when asked for 0. */
  readonly url: string;
  /** Stops accepting requests, ends open connections, then closes the app. */
  close(): Promise<void>;
}

/**
 * Serves the app; `port: 0` takes a free port.
 *
 * @example
 * ```ts
 * const running = await listen(await createPlainApp(readSettings()), { port: 3000 });
 * ```
 */
export async function listen(
  app: ServiceApp,
  options: { port?: number; host?: string } = {},
): Promise<RunningService> {
  const server = createServer(app.handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${address}:${port}`,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await app.close();
      })();
      return closing;
    },
  };
}
