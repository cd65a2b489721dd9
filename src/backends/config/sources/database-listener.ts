import type { PgPoolClientLike, PgPoolLike } from './pg-client.js';

/** Callbacks of a {@link DatabaseListener}. */
export interface ListenerEvents {
  /** A notification arrived on the channel. */
  readonly onNotify: (payload: string | undefined) => void;
  /** LISTEN is active again after the connection was lost: notifications may have been missed. */
  readonly onReconnect: () => void;
  /** The connection failed; the listener keeps trying. */
  readonly onError: (error: unknown) => void;
}

/**
 * Holds one connection in `LISTEN channel` and brings it back when it breaks, with a
 * fixed delay between attempts. After a reconnection it says so, because NOTIFY is not
 * queued for a listener that is away.
 *
 * @example
 * ```ts
 * const listener = new DatabaseListener(pool, 'reposit_config_ab12', {
 *   onNotify: () => reload(), onReconnect: () => reload(), onError: (e) => log.warn(e),
 * });
 * await listener.start();
 * ```
 */
export class DatabaseListener {
  readonly #pool: PgPoolLike;
  readonly #channel: string;
  readonly #events: ListenerEvents;
  readonly #reconnectDelayMs: number;
  #client: PgPoolClientLike | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  /** @param reconnectDelayMs wait between reconnection attempts. @default 1000 */
  constructor(pool: PgPoolLike, channel: string, events: ListenerEvents, reconnectDelayMs = 1000) {
    this.#pool = pool;
    this.#channel = channel;
    this.#events = events;
    this.#reconnectDelayMs = reconnectDelayMs;
  }

  /** Connects and runs LISTEN; rejects when the first attempt fails. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    client.removeAllListeners('notification');
    try {
      await client.query(`UNLISTEN "${this.#channel}"`);
      client.release();
    } catch {
      client.release(true);
    }
  }

  async #connect(): Promise<void> {
    const client = await this.#pool.connect();
    if (this.#stopped) {
      client.release();
      return;
    }
    const lost = (error?: unknown) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.removeAllListeners('notification');
      client.release(true);
      if (error) this.#events.onError(error);
      this.#scheduleReconnect();
    };
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#events.onNotify(message.payload);
    });
    client.on('error', (error) => lost(error));
    client.on('end', () => lost());
    this.#client = client;
    try {
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (error) {
      lost();
      throw error;
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      try {
        await this.#connect();
        if (!this.#stopped) this.#events.onReconnect();
      } catch (error) {
        this.#events.onError(error);
        this.#scheduleReconnect();
      }
    }, this.#reconnectDelayMs);
    this.#timer.unref();
  }
}
