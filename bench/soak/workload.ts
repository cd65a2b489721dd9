import { withContext } from '../../src/context/request-context.js';
import { ConnectionError, RepositoryError } from '../../src/errors.js';
import { INITIAL_ROWS } from './environment.js';
import type { AppInstance, Item } from './instance.js';
import type { Ledger } from './ledger.js';
import type { LogCapture } from './log-capture.js';

/** The operations of the mix. */
export type OpKind = 'getById' | 'getByIds' | 'update' | 'create';

/** One operation as a caller saw it; times in ms since the run's start. */
export interface OpRecord {
  readonly at: number;
  readonly ms: number;
  readonly kind: OpKind;
  readonly instance: number;
  /** The error's type, when the call failed. */
  readonly error?: string;
}

/** A read that returned a version older than one whose invalidation had been delivered. */
export interface StaleRead {
  readonly at: number;
  readonly instance: number;
  readonly id: number;
  readonly got: number;
  readonly floor: number;
  /** Whether the newer version was acknowledged by the reading instance itself. */
  readonly ownWrite: boolean;
}

/** Share of hot rows among the ids picked: writes and reads meet on them. */
const HOT_ROWS = 100;
const HOT_SHARE = 0.7;

/**
 * Mixed reads and writes from `concurrency` callers, each call in a request context of
 * its own (as a server handles requests), on a random instance: 62 % getById, 13 %
 * getByIds of 5, 20 % update, 5 % create. Every read is checked against the ledger.
 */
export class Workload {
  readonly records: OpRecord[] = [];
  readonly staleReads: StaleRead[] = [];
  /** The first message seen of each error type, as callers got it. */
  readonly errorExamples = new Map<string, string>();
  readonly #instances: readonly AppInstance[];
  readonly #ledger: Ledger;
  readonly #capture: LogCapture;
  readonly #startedAt: number;
  #nextId = INITIAL_ROWS + 1;
  /** Ids whose creation was acknowledged (updates pick only rows known to exist). */
  readonly #createdIds: number[] = [];
  #nextValue = 1;
  #stopped = false;

  constructor(instances: readonly AppInstance[], ledger: Ledger, capture: LogCapture, startedAt: number) {
    this.#instances = instances;
    this.#ledger = ledger;
    this.#capture = capture;
    this.#startedAt = startedAt;
  }

  /** Runs until `stop()`; resolves when every caller has finished its last call. */
  async run(concurrency: number): Promise<void> {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, caller) => {
        let request = 0;
        while (!this.#stopped) {
          await withContext({ requestId: `c${caller}-${request++}` }, () => this.#one());
        }
      }),
    );
  }

  stop(): void {
    this.#stopped = true;
  }

  async #one(): Promise<void> {
    const instance = this.#instances[Math.floor(Math.random() * this.#instances.length)]!;
    const roll = Math.random();
    const kind: OpKind =
      roll < 0.62 ? 'getById' : roll < 0.75 ? 'getByIds' : roll < 0.95 ? 'update' : 'create';
    const started = Date.now();
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await this.#run(kind, instance, started);
    } catch (caught) {
      error = errorType(caught);
      this.#capture.recordError(caught);
      if (!this.errorExamples.has(`${kind} ${error}`))
        this.errorExamples.set(`${kind} ${error}`, caught instanceof Error ? caught.message : String(caught));
    }
    this.records.push({
      at: started - this.#startedAt,
      ms: performance.now() - t0,
      kind,
      instance: instance.index,
      ...(error === undefined ? {} : { error }),
    });
  }

  async #run(kind: OpKind, instance: AppInstance, started: number): Promise<void> {
    const { items, index } = instance;
    switch (kind) {
      case 'getById': {
        const id = this.#pickId();
        const floor = this.#ledger.floor(index, id);
        this.#check(index, id, floor, await items.getById(id));
        return;
      }
      case 'getByIds': {
        const ids = Array.from({ length: 5 }, () => this.#pickId());
        const floors = ids.map((id) => this.#ledger.floor(index, id));
        const rows = await items.getByIds(ids);
        ids.forEach((id, at) => {
          this.#check(index, id, floors[at]!, rows[at] ?? null);
        });
        return;
      }
      case 'update': {
        const id = this.#pickId(true);
        const value = this.#nextValue++;
        const updated = await items.update(id, { value, note: `update ${value}` });
        this.#ledger.acknowledge(index, id, { version: updated.version, value: updated.value }, started);
        return;
      }
      case 'create': {
        const id = this.#nextId++;
        const value = this.#nextValue++;
        const created = await items.create({ id, value, note: `create ${value}` });
        this.#ledger.acknowledge(
          index,
          id,
          { version: created.version, value: created.value },
          started,
          true,
        );
        this.#createdIds.push(id);
        return;
      }
    }
  }

  /**
   * A hot row most of the time, else any row; for a read, sometimes one being created
   * (or about to be), whose "not found" may have been cached.
   */
  #pickId(existing = false): number {
    if (Math.random() < HOT_SHARE) return 1 + Math.floor(Math.random() * HOT_ROWS);
    if (existing) {
      const at = Math.floor(Math.random() * (INITIAL_ROWS + this.#createdIds.length));
      return at < INITIAL_ROWS ? at + 1 : this.#createdIds[at - INITIAL_ROWS]!;
    }
    return 1 + Math.floor(Math.random() * (this.#nextId + 2));
  }

  #check(instance: number, id: number, floor: number, row: Item | null): void {
    const got = row?.version ?? 0;
    if (got >= floor) return;
    this.staleReads.push({
      at: Date.now() - this.#startedAt,
      instance,
      id,
      got,
      floor,
      ownWrite: this.#ownFloor(instance, id, floor),
    });
  }

  #ownFloor(instance: number, id: number, floor: number): boolean {
    const writes = this.#ledger.acknowledged.get(id) ?? [];
    return writes.some((write) => write.version === floor && write.instance === instance);
  }
}

/** The type a caller would switch on: the reposit error class (and whether the outcome is unknown). */
export function errorType(error: unknown): string {
  if (error instanceof ConnectionError)
    return error.outcomeUnknown ? 'ConnectionError (outcome unknown)' : 'ConnectionError';
  if (error instanceof RepositoryError) return `${error.constructor.name} ${error.code}`;
  return `untyped ${error instanceof Error ? error.constructor.name : typeof error}`;
}
