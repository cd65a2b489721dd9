/**
 * What the core asks of an invalidation bus: deliver messages to every other process,
 * and say when messages may have been lost (a reconnection) so L1 can be cleared.
 *
 * @example
 * ```ts
 * class MyBus implements InvalidationBus {
 *   async publish(message) { await transport.send(JSON.stringify(message)); }
 *   async subscribe(handlers) { transport.on('message', (m) => handlers.onMessage(JSON.parse(m), Date.now())); }
 *   async close() { await transport.close(); }
 * }
 * ```
 */
export interface InvalidationBus {
  /**
   * Sends a message to every other process. Never rejects: a message that cannot be
   * sent now is queued and retried.
   */
  publish(message: InvalidationMessage): Promise<void>;
  /**
   * Starts delivering messages from other processes, and reconnection notices. When the
   * first subscription fails it rejects (that is `cache.ready()`'s error), and a bus
   * should keep trying in the background and call `onReconnect` once subscribed, since
   * every message sent until then was missed.
   */
  subscribe(handlers: BusHandlers): Promise<void>;
  /** Stops and releases the connection the bus created. */
  close(): Promise<void>;
}

/**
 * What a process is told to drop from its L1.
 *
 * @example
 * ```ts
 * await bus.publish({ keys: ['shop:{user}:n1:v1'] });
 * await bus.publish({ prefix: 'shop:' });
 * ```
 */
export interface InvalidationMessage {
  /** Full cache keys to drop. */
  readonly keys?: readonly string[];
  /** Drop every key with this prefix (`clear(namespace)`). */
  readonly prefix?: string;
  /**
   * The sender could not invalidate `keys` in L2 yet (it retries): L2 may still hold the
   * replaced values, so receivers load these keys instead of reading L2 until a message
   * for them without this flag arrives (the sender's retry landed), for at most a minute.
   */
  readonly l2Pending?: boolean;
}

/**
 * Callbacks of {@link InvalidationBus.subscribe}.
 *
 * @example
 * ```ts
 * await bus.subscribe({
 *   onMessage: (message) => dropFromL1(message.keys ?? []),
 *   onReconnect: () => clearL1(),
 * });
 * ```
 */
export interface BusHandlers {
  /** A message from another process; `sentAt` is the sender's clock (epoch ms). */
  onMessage(message: InvalidationMessage, sentAt: number): void;
  /** The subscription was re-established: messages may have been missed. */
  onReconnect(): void;
  /** Something failed inside the bus (reported, never thrown). */
  onError?(error: unknown): void;
}
