import type { Redis } from 'ioredis';
import type { CacheManager } from '../cache/cache-manager.js';
import type { ConnectionManager } from '../connection/connection-manager.js';
import type { ConnectionManagerOptions } from '../connection/connection-options.js';
import { ValidationError } from '../errors.js';
import type { CliConfig, CliContext, CliValue } from './cli-config.js';

/**
 * The {@link CliContext} of one command run, plus `close()`, which releases what the
 * run created (in reverse order) and never what the config module passed in.
 *
 * @example
 * ```ts
 * const context = new CommandContext(config);
 * try { await (await context.connections()).query('select 1'); } finally { await context.close(); }
 * ```
 */
export class CommandContext implements CliContext {
  readonly #config: CliConfig;
  readonly #closers: (() => void | Promise<void>)[] = [];
  #connectionSetting: Promise<ConnectionManagerOptions | ConnectionManager | undefined> | undefined;
  #connections: Promise<ConnectionManager> | undefined;
  #redis: Promise<Redis> | undefined;
  #cache: Promise<CacheManager> | undefined;

  constructor(config: CliConfig) {
    this.#config = config;
  }

  /** Makes a config value (calling its factory, if it is one). */
  resolve<T>(value: CliValue<T>): Promise<T> {
    return typeof value === 'function'
      ? Promise.resolve().then(() => (value as (context: CliContext) => T | Promise<T>)(this))
      : Promise.resolve(value);
  }

  connections(): Promise<ConnectionManager> {
    this.#connections ??= this.#createConnections();
    return this.#connections;
  }

  redis(): Promise<Redis> {
    this.#redis ??= this.#createRedis();
    return this.#redis;
  }

  cache(): Promise<CacheManager> {
    this.#cache ??= this.#createCache();
    return this.#cache;
  }

  onClose(close: () => void | Promise<void>): void {
    this.#closers.push(close);
  }

  /** Runs the closers, newest first; a failing one does not stop the others. */
  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // Closing is best effort: the command's outcome is already decided.
      }
    }
  }

  /**
   * The config's `connection` as given (its factory called once): options, a
   * ConnectionManager, or undefined when the config has none.
   */
  connectionSetting(): Promise<ConnectionManagerOptions | ConnectionManager | undefined> {
    const { connection } = this.#config;
    this.#connectionSetting ??=
      connection === undefined ? Promise.resolve(undefined) : this.resolve(connection);
    return this.#connectionSetting;
  }

  async #createConnections(): Promise<ConnectionManager> {
    const value = await this.connectionSetting();
    if (value === undefined) throw missing('connection', 'the database');
    if (isConnectionManager(value)) return value;
    const { ConnectionManager } = await import('../connection/connection-manager.js');
    const { createLogger } = await import('../observability/logger.js');
    // Failures are reported by the command; the pools' own warnings would only repeat them.
    const manager = new ConnectionManager({ logger: createLogger({ level: 'silent' }), ...value });
    this.onClose(() => manager.close());
    return manager;
  }

  async #createRedis(): Promise<Redis> {
    if (this.#config.redis === undefined) throw missing('redis', 'Redis');
    const value = await this.resolve(this.#config.redis);
    if (typeof value !== 'string') return value;
    const { Redis } = await import('ioredis');
    const client = new Redis(value, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      retryStrategy: () => null,
    });
    // Failures surface through the commands; without a listener ioredis prints each one.
    client.on('error', () => {});
    this.onClose(() => client.disconnect());
    return client;
  }

  async #createCache(): Promise<CacheManager> {
    const { CacheManager } = await import('../cache/cache-manager.js');
    if (this.#config.redis === undefined) {
      const memoryOnly = new CacheManager({ ...this.#config.cache });
      this.onClose(() => memoryOnly.close());
      return memoryOnly;
    }
    const client = await this.redis();
    const { RedisTier } = await import('../cache/redis/redis-tier.js');
    const cache = new CacheManager({ ...this.#config.cache, l2: new RedisTier({ client }) });
    this.onClose(() => cache.close());
    return cache;
  }
}

function missing(section: string, what: string): ValidationError {
  return new ValidationError(
    `The config module has no \`${section}\` section, which this command needs for ${what}`,
    [{ path: section, message: 'is required by this command', code: 'required' }],
  );
}

function isConnectionManager(
  value: ConnectionManagerOptions | ConnectionManager,
): value is ConnectionManager {
  return (
    typeof (value as ConnectionManager).checkHealth === 'function' &&
    typeof (value as ConnectionManager).query === 'function'
  );
}
