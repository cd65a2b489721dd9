import type { InvalidationBus, InvalidationMessage } from '../../src/cache/bus.js';

/** What one acknowledged write left: the version and value the caller was told. */
export interface AckedWrite {
  readonly version: number;
  readonly value: number;
  /** The instance that acknowledged it. */
  readonly instance: number;
}

interface PendingDelivery {
  readonly id: number;
  readonly version: number;
  /** When the writer published the invalidation (its bus's clock, ms). */
  readonly publishedAt: number;
  readonly ackedAt: number;
}

/** Per instance: what its bus has delivered so far. */
interface Deliveries {
  /** The latest publication time among delivered messages, any key. */
  latestAny: number;
  /** The latest publication time among delivered messages naming the id. */
  readonly latestById: Map<number, number>;
  /** Acknowledged writes of other instances whose invalidation has not reached this one yet. */
  pending: PendingDelivery[];
  /** Per id: the newest acknowledged version this instance must never read below. */
  readonly floor: Map<number, number>;
}

const ENTITY_KEY = /:n(\d+):v\d+$/;

/**
 * The soak's book of record: every acknowledged write (to verify in the database at the
 * end), and for each instance the newest version of each row it must not read below —
 * its own acknowledged writes at once, another instance's once the bus delivered their
 * invalidation here. Messages of one publisher arrive in order (one connection, one
 * queue), so a delivered message published after a write's invalidation proves that one
 * was delivered too.
 */
export class Ledger {
  readonly #acked = new Map<number, AckedWrite[]>();
  readonly #created = new Set<number>();
  readonly #deliveries: Deliveries[];
  /** Per instance and id: when its bus last published an invalidation of the id. */
  readonly #published: Map<number, number>[];
  undelivered = 0;
  writesWithoutPublish = 0;

  constructor(instances: number) {
    this.#deliveries = Array.from({ length: instances }, () => ({
      latestAny: 0,
      latestById: new Map(),
      pending: [],
      floor: new Map(),
    }));
    this.#published = Array.from({ length: instances }, () => new Map());
  }

  /** Wraps an instance's bus to see what it publishes and what it delivers (it changes nothing). */
  observe(instance: number, bus: InvalidationBus): InvalidationBus {
    return {
      publish: (message) => {
        const now = Date.now();
        for (const id of idsOf(message)) this.#published[instance]!.set(id, now);
        return bus.publish(message);
      },
      subscribe: (handlers) =>
        bus.subscribe({
          ...handlers,
          onMessage: (message, sentAt) => {
            handlers.onMessage(message, sentAt);
            this.#delivered(instance, idsOf(message), sentAt);
          },
        }),
      close: () => bus.close(),
    };
  }

  /** The version a read on `instance` that starts now must return at least. */
  floor(instance: number, id: number): number {
    return this.#deliveries[instance]!.floor.get(id) ?? 0;
  }

  /** Records a write `instance` acknowledged; `startedAt` is when the call began. */
  acknowledge(
    instance: number,
    id: number,
    write: Omit<AckedWrite, 'instance'>,
    startedAt: number,
    created = false,
  ): void {
    const writes = this.#acked.get(id) ?? [];
    this.#acked.set(id, writes);
    writes.push({ ...write, instance });
    if (created) this.#created.add(id);
    const now = Date.now();
    this.#raise(this.#deliveries[instance]!, id, write.version);
    const publishedAt = this.#published[instance]!.get(id);
    if (publishedAt === undefined || publishedAt < startedAt - 1) {
      this.writesWithoutPublish++;
      return;
    }
    this.#deliveries.forEach((deliveries, other) => {
      if (other === instance) return;
      const entry = { id, version: write.version, publishedAt, ackedAt: now };
      if (covers(deliveries, entry)) this.#raise(deliveries, id, write.version);
      else deliveries.pending.push(entry);
    });
  }

  /** Forgets invalidations not delivered within `maxAgeMs` (lost while the bus was down). */
  expire(maxAgeMs: number): void {
    const cutoff = Date.now() - maxAgeMs;
    for (const deliveries of this.#deliveries) {
      const before = deliveries.pending.length;
      deliveries.pending = deliveries.pending.filter((entry) => entry.ackedAt >= cutoff);
      this.undelivered += before - deliveries.pending.length;
    }
  }

  /** Every acknowledged write, by id. */
  get acknowledged(): ReadonlyMap<number, readonly AckedWrite[]> {
    return this.#acked;
  }

  /** Ids created (and acknowledged) during the run. */
  get created(): ReadonlySet<number> {
    return this.#created;
  }

  #delivered(instance: number, ids: readonly number[], sentAt: number): void {
    const deliveries = this.#deliveries[instance]!;
    deliveries.latestAny = Math.max(deliveries.latestAny, sentAt);
    for (const id of ids) deliveries.latestById.set(id, Math.max(deliveries.latestById.get(id) ?? 0, sentAt));
    if (deliveries.pending.length === 0) return;
    deliveries.pending = deliveries.pending.filter((entry) => {
      if (!covers(deliveries, entry)) return true;
      this.#raise(deliveries, entry.id, entry.version);
      return false;
    });
  }

  #raise(deliveries: Deliveries, id: number, version: number): void {
    if ((deliveries.floor.get(id) ?? 0) < version) deliveries.floor.set(id, version);
  }
}

/**
 * Whether the invalidation of `entry` has been delivered: a message naming the id,
 * published no earlier, or any message published later (same publisher, in order).
 */
function covers(deliveries: Deliveries, entry: PendingDelivery): boolean {
  return (
    (deliveries.latestById.get(entry.id) ?? 0) >= entry.publishedAt ||
    deliveries.latestAny > entry.publishedAt
  );
}

function idsOf(message: InvalidationMessage): number[] {
  const ids: number[] = [];
  for (const key of message.keys ?? []) {
    const match = ENTITY_KEY.exec(key);
    if (match) ids.push(Number(match[1]));
  }
  return ids;
}
