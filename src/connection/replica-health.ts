import { outsideRequestContext } from '../context/request-context.js';
import type { Logger } from '../observability/logger.js';
import type { PoolNode } from './pool-node.js';
import { parseLsn } from './wal-position.js';

/**
 * Settings of {@link ReplicaHealth}.
 *
 * @example
 * ```ts
 * new ReplicaHealth(primary, replicas, { intervalMs: 1000, maxLagMs: 5000, checkTimeoutMs: 5000, logger });
 * ```
 */
export interface ReplicaHealthOptions {
  readonly intervalMs: number;
  readonly maxLagMs: number;
  /** Limit for one check statement; a replica that does not answer in time counts as down. */
  readonly checkTimeoutMs: number;
  readonly logger: Logger;
}

/** A primary WAL position and when it was first seen. */
interface WalSample {
  readonly lsn: bigint;
  readonly at: number;
}

/**
 * Checks the replicas on an interval (an unref'd timer, so it never keeps the process
 * alive): a replica that fails the check or lags more than `maxLagMs` is taken out of
 * read rotation, and put back once it answers and has caught up.
 *
 * Lag is measured in time without trusting clocks or `pg_last_xact_replay_timestamp()`
 * (which looks huge after an idle hour): each check samples the primary's WAL position;
 * a replica's lag is the age of the oldest sample it has not replayed yet.
 *
 * @example
 * ```ts
 * const health = new ReplicaHealth(primary, replicas, { intervalMs: 1000, maxLagMs: 5000, checkTimeoutMs: 5000, logger });
 * health.start();
 * await health.check(); // now, instead of waiting for the interval
 * await health.stop();
 * ```
 */
export class ReplicaHealth {
  readonly #primary: PoolNode;
  readonly #replicas: readonly PoolNode[];
  readonly #options: ReplicaHealthOptions;
  readonly #samples: WalSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(primary: PoolNode, replicas: readonly PoolNode[], options: ReplicaHealthOptions) {
    this.#primary = primary;
    this.#replicas = replicas;
    this.#options = options;
  }

  /** Starts checking on the interval (the first check runs at once). */
  start(): void {
    if (this.#timer || this.#replicas.length === 0) return;
    // The checks belong to no request, even when the manager is created inside one.
    outsideRequestContext(() => {
      void this.check();
      this.#timer = setInterval(() => void this.check(), this.#options.intervalMs);
      this.#timer.unref();
    });
  }

  /** Stops the interval and waits for a check in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Runs one check of every replica now (joins a check already in progress). */
  check(): Promise<void> {
    this.#running ??= this.#checkAll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Takes a replica out of rotation at once (a read on it just failed to connect). */
  markDown(replica: PoolNode, reason: unknown): void {
    if (!replica.healthy) return;
    replica.healthy = false;
    this.#options.logger.warn({ node: replica.name, err: reason }, 'replica taken out of read rotation');
  }

  async #checkAll(): Promise<void> {
    await this.#samplePrimary();
    await Promise.all(this.#replicas.map((replica) => this.#checkReplica(replica)));
  }

  async #samplePrimary(): Promise<void> {
    const row = await this.#queryOne(this.#primary, 'select pg_current_wal_flush_lsn()::text as lsn');
    const lsn = parseLsn(row?.lsn);
    if (lsn === undefined) return;
    const now = Date.now();
    const latest = this.#samples.at(-1);
    if (!latest || lsn > latest.lsn) this.#samples.push({ lsn, at: now });
    // Keep enough history to measure lag a little past the limit, and never less than one sample.
    const horizon = now - (this.#options.maxLagMs * 2 + this.#options.intervalMs * 2);
    while (this.#samples.length > 1 && this.#samples[0]!.at < horizon && this.#samples[1]!.at < horizon) {
      this.#samples.shift();
    }
  }

  async #checkReplica(replica: PoolNode): Promise<void> {
    let row: Record<string, unknown> | undefined;
    let failure: unknown;
    try {
      row = await this.#queryOne(
        replica,
        'select pg_is_in_recovery() as recovery, pg_last_wal_replay_lsn()::text as lsn',
        true,
      );
    } catch (error) {
      failure = error;
    }
    if (!row) {
      this.markDown(replica, failure);
      return;
    }
    const replayed = parseLsn(row.lsn);
    replica.replayLsn = replayed;
    const oldestMissing = replayed === undefined ? undefined : this.#samples.find((s) => s.lsn > replayed);
    // A node not in recovery (promoted, or a plain server used as a read pool) has no lag.
    replica.lagMs = row.recovery === true && oldestMissing ? Date.now() - oldestMissing.at : 0;
    const healthy = replica.lagMs <= this.#options.maxLagMs;
    if (healthy !== replica.healthy) {
      replica.healthy = healthy;
      if (healthy) {
        this.#options.logger.info(
          { node: replica.name, lagMs: replica.lagMs },
          'replica back in read rotation',
        );
      } else {
        this.#options.logger.warn(
          { node: replica.name, lagMs: replica.lagMs, maxLagMs: this.#options.maxLagMs },
          'replica lags too far; taken out of read rotation',
        );
      }
    }
  }

  async #queryOne(
    node: PoolNode,
    sql: string,
    rethrow = false,
  ): Promise<Record<string, unknown> | undefined> {
    let client: Awaited<ReturnType<PoolNode['acquire']>> | undefined;
    try {
      client = await node.acquire();
      const { rows } = await node.run<Record<string, unknown>>(client, sql, [], {
        during: 'read',
        clientTimeoutMs: this.#options.checkTimeoutMs,
        traced: false,
      });
      return rows[0];
    } catch (error) {
      if (rethrow) throw error;
      this.#options.logger.debug({ node: node.name, err: error }, 'health check query failed');
      return undefined;
    } finally {
      if (client) node.release(client);
    }
  }
}
