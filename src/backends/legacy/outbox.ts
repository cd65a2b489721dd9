import { readFile, rename, writeFile } from 'node:fs/promises';
import { decodeJson, encodeJson } from './json-codec.js';
import type { MigrationSide } from './migration-phase.js';

/**
 * A secondary write that failed and waits to be retried. It names only the id and the
 * side to bring up to date: a retry copies whatever the other side holds then, so
 * retries are idempotent and the latest state wins whatever order they run in.
 *
 * @example
 * ```ts
 * const pending: OutboxEntry = { key: 'legacy:"c-42"', side: 'legacy', id: 'c-42', attempts: 1, lastError: 'timeout', enqueuedAt: new Date(), nextAttemptAt: Date.now() + 1000 };
 * ```
 */
export interface OutboxEntry {
  /** One entry per side and id. */
  readonly key: string;
  /** The side that missed the write. */
  readonly side: MigrationSide;
  readonly id: unknown;
  readonly attempts: number;
  readonly lastError: string;
  readonly enqueuedAt: Date;
  /** Epoch milliseconds before which it is not retried. */
  readonly nextAttemptAt: number;
}

/**
 * Stores outbox entries. `put` replaces an entry with the same key.
 *
 * @example
 * ```ts
 * class TableOutbox implements OutboxStore { ... } // e.g. a table with a unique key column
 * ```
 */
export interface OutboxStore {
  /** Stores (or replaces) a secondary write to retry. */
  put(entry: OutboxEntry): Promise<void>;
  /** Removes the entry, but only if it is still the one enqueued at `enqueuedAt` (a newer failure stays). */
  remove(key: string, enqueuedAt: Date): Promise<void>;
  /** Entries due at `now`, at most `limit`. */
  due(now: number, limit: number): Promise<OutboxEntry[]>;
  /** How many entries wait. */
  size(): Promise<number>;
}

/**
 * The outbox key of a side and id.
 *
 * @example
 * ```ts
 * outboxKey('legacy', 42); // 'legacy:42'
 * ```
 */
export function outboxKey(side: MigrationSide, id: unknown): string {
  return `${side}:${encodeJson(id)}`;
}

/**
 * An outbox in memory: retried while the process lives, lost with it.
 *
 * @example
 * ```ts
 * new LegacyAdapter({ ..., secondaryWrites: { policy: 'outbox', outbox: new MemoryOutboxStore() } });
 * ```
 */
export class MemoryOutboxStore implements OutboxStore {
  readonly #entries = new Map<string, OutboxEntry>();

  async put(entry: OutboxEntry): Promise<void> {
    this.#entries.set(entry.key, entry);
  }
  async remove(key: string, enqueuedAt: Date): Promise<void> {
    if (this.#entries.get(key)?.enqueuedAt.getTime() === enqueuedAt.getTime()) this.#entries.delete(key);
  }
  async due(now: number, limit: number): Promise<OutboxEntry[]> {
    return [...this.#entries.values()].filter((entry) => entry.nextAttemptAt <= now).slice(0, limit);
  }
  async size(): Promise<number> {
    return this.#entries.size;
  }
}

/**
 * An outbox in a JSON file, rewritten atomically (temporary file, then rename) on every
 * change, so pending retries survive a restart. For one process at a time.
 *
 * @example
 * ```ts
 * secondaryWrites: { policy: 'outbox', outbox: new FileOutboxStore('./migration/outbox.json') }
 * ```
 */
export class FileOutboxStore implements OutboxStore {
  readonly #path: string;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.#path = path;
  }

  put(entry: OutboxEntry): Promise<void> {
    return this.#change((entries) => entries.set(entry.key, entry));
  }
  remove(key: string, enqueuedAt: Date): Promise<void> {
    return this.#change((entries) => {
      if (entries.get(key)?.enqueuedAt.getTime() === enqueuedAt.getTime()) entries.delete(key);
    });
  }
  async due(now: number, limit: number): Promise<OutboxEntry[]> {
    return [...(await this.#read()).values()].filter((entry) => entry.nextAttemptAt <= now).slice(0, limit);
  }
  async size(): Promise<number> {
    return (await this.#read()).size;
  }

  #change(apply: (entries: Map<string, OutboxEntry>) => unknown): Promise<void> {
    const next = this.#chain.then(async () => {
      const entries = await this.#read();
      apply(entries);
      const temporary = `${this.#path}.${process.pid}.tmp`;
      await writeFile(temporary, encodeJson([...entries.values()]));
      await rename(temporary, this.#path);
    });
    this.#chain = next.catch(() => {});
    return next;
  }

  async #read(): Promise<Map<string, OutboxEntry>> {
    try {
      const entries = decodeJson(await readFile(this.#path, 'utf8')) as OutboxEntry[];
      return new Map(entries.map((entry) => [entry.key, entry]));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
  }
}
