import { DuplicateError, ValidationError } from '../../errors.js';
import type { Backend } from '../../repository/backend.js';
import { type BackfillCheckpoint, type CheckpointStore, MemoryCheckpointStore } from './checkpoint-store.js';
import { type DeadLetterStore, MemoryDeadLetterStore } from './dead-letter-store.js';
import type { LegacyMapper } from './legacy-mapper.js';
import type { MigrationEntity } from './legacy-store.js';
import { RecordConverter } from './record-converter.js';

/**
 * Progress of a backfill, reported after every batch.
 *
 * @example
 * ```ts
 * onProgress: (p) => console.log(`${p.processed}/${p.total} ${p.rowsPerSecond.toFixed(0)} rows/s, ETA ${Math.round(p.etaMs / 1000)}s`)
 * ```
 */
export interface BackfillProgress extends Omit<BackfillCheckpoint, 'updatedAt'> {
  /** Legacy records in all (counted when this run started). */
  readonly total: number;
  /** Rows per second in this run. */
  readonly rowsPerSecond: number;
  /** Estimated milliseconds left; undefined until the rate is known. */
  readonly etaMs: number | undefined;
  /** Records this run read (the others were read by earlier runs). */
  readonly processedThisRun: number;
}

/**
 * What a finished (or stopped) backfill reports.
 *
 * @example
 * ```ts
 * const result = await job.run();
 * if (result.resumed) console.log(`continued after ${String(result.resumedAfter)}`);
 * ```
 */
export interface BackfillResult extends BackfillProgress {
  /** Whether the run continued from a checkpoint. */
  readonly resumed: boolean;
  /** The legacy id the run continued after. */
  readonly resumedAfter: unknown;
  /** Milliseconds this run took. */
  readonly durationMs: number;
}

/**
 * Options of {@link BackfillJob}.
 *
 * @example
 * ```ts
 * const options: BackfillJobOptions<LegacyCustomer, Customer, string, string> = { entity: Customer, legacy, target, mapper, batchSize: 1000 };
 * ```
 */
export interface BackfillJobOptions<L extends object, T extends object, ID, LID> {
  readonly entity: MigrationEntity<T>;
  readonly legacy: Backend<L, LID>;
  readonly target: Backend<T, ID>;
  readonly mapper: LegacyMapper<L, T, ID, LID>;
  /** Where the job remembers how far it got. @default new MemoryCheckpointStore() */
  readonly checkpoints?: CheckpointStore;
  /** Where records that fail to convert go (share the adapter's). @default new MemoryDeadLetterStore() */
  readonly deadLetters?: DeadLetterStore;
  /** Legacy records per batch; each batch is one atomic insert and one checkpoint. @default 500 */
  readonly batchSize?: number;
  /** Called after every batch. @default undefined */
  readonly onProgress?: (progress: BackfillProgress) => void;
  /** Called with the ids of every batch written to new, after the write. @default undefined */
  readonly onInserted?: (ids: readonly ID[]) => void | Promise<void>;
  /** Stops the job after the current batch (the checkpoint is saved). @default undefined */
  readonly signal?: AbortSignal;
}

/**
 * Copies every legacy record to the new side, in legacy id order, one batch at a time.
 * Resumable: after each batch it saves a checkpoint, and a restarted job continues after
 * the last finished batch. Without duplicates: it inserts only ids that new does not
 * already hold (a batch written just before a kill, or records dual-write or lazy
 * migration already copied, are skipped, never overwritten — those copies are newer),
 * and each batch insert is atomic. Records that fail to convert go to the dead-letter
 * store.
 *
 * @example
 * ```ts
 * const job = new BackfillJob({ entity: Customer, legacy, target, mapper, checkpoints: new FileCheckpointStore('customers.ckpt.json'), onProgress: console.log });
 * const result = await job.run(); // kill it and run it again: it continues where it stopped
 * ```
 */
export class BackfillJob<L extends object, T extends object, ID, LID> {
  readonly #options: BackfillJobOptions<L, T, ID, LID>;
  readonly #checkpoints: CheckpointStore;
  readonly #deadLetters: DeadLetterStore;
  readonly #converter: RecordConverter<L, T, ID, LID>;
  readonly #batchSize: number;

  constructor(options: BackfillJobOptions<L, T, ID, LID>) {
    this.#options = options;
    this.#checkpoints = options.checkpoints ?? new MemoryCheckpointStore();
    this.#deadLetters = options.deadLetters ?? new MemoryDeadLetterStore();
    this.#converter = new RecordConverter(options.entity, options.mapper, this.#deadLetters);
    this.#batchSize = options.batchSize ?? 500;
    if (!Number.isSafeInteger(this.#batchSize) || this.#batchSize < 1)
      throw new ValidationError(
        `BackfillJob batchSize must be a whole number of at least 1, got ${String(options.batchSize)}`,
      );
  }

  /** Runs (or resumes) the backfill until the legacy side is exhausted or the signal aborts. */
  async run(): Promise<BackfillResult> {
    const { legacy, mapper, signal } = this.#options;
    const started = performance.now();
    const saved = await this.#checkpoints.load();
    let checkpoint: BackfillCheckpoint = saved ?? {
      lastLegacyId: undefined,
      processed: 0,
      inserted: 0,
      skipped: 0,
      deadLettered: 0,
      done: false,
      updatedAt: new Date(),
    };
    const total = await legacy.count(undefined);
    const idField = mapper.legacyIdField;
    let processedThisRun = 0;
    const progress = (): BackfillProgress => {
      const seconds = (performance.now() - started) / 1000;
      const rowsPerSecond = seconds > 0 ? processedThisRun / seconds : 0;
      const left = Math.max(0, total - checkpoint.processed);
      const { updatedAt: _updatedAt, ...counts } = checkpoint;
      return {
        ...counts,
        total,
        processedThisRun,
        rowsPerSecond,
        etaMs: checkpoint.done ? 0 : rowsPerSecond > 0 ? (left / rowsPerSecond) * 1000 : undefined,
      };
    };
    while (!checkpoint.done && !signal?.aborted) {
      const after = checkpoint.lastLegacyId;
      const page = await legacy.find({
        where: after === undefined ? undefined : { kind: 'field', field: idField, op: 'gt', value: after },
        orderBy: [{ field: idField, direction: 'asc' }],
        limit: this.#batchSize,
      });
      const counts = page.length > 0 ? await this.#copy(page) : { inserted: 0, skipped: 0, deadLettered: 0 };
      processedThisRun += page.length;
      checkpoint = {
        lastLegacyId: page.length > 0 ? (page.at(-1) as Record<string, unknown>)[idField] : after,
        processed: checkpoint.processed + page.length,
        inserted: checkpoint.inserted + counts.inserted,
        skipped: checkpoint.skipped + counts.skipped,
        deadLettered: checkpoint.deadLettered + counts.deadLettered,
        done: page.length < this.#batchSize,
        updatedAt: new Date(),
      };
      await this.#checkpoints.save(checkpoint);
      this.#options.onProgress?.(progress());
    }
    return {
      ...progress(),
      resumed: saved !== undefined,
      resumedAfter: saved?.lastLegacyId,
      durationMs: performance.now() - started,
    };
  }

  async #copy(records: readonly L[]): Promise<{ inserted: number; skipped: number; deadLettered: number }> {
    const { target, entity } = this.#options;
    const entities: T[] = [];
    let deadLettered = 0;
    for (const record of records) {
      const result = await this.#converter.toEntity(record, 'backfill');
      if (result.ok) entities.push(result.entity);
      else deadLettered++;
    }
    const idOf = (row: T) => (row as Record<string, unknown>)[entity.idField] as ID;
    const present = new Set((await target.findByIds(entities.map(idOf))).map((row) => keyOf(idOf(row))));
    const missing = entities.filter((row) => !present.has(keyOf(idOf(row))));
    let inserted = 0;
    let raced = 0;
    if (missing.length > 0) {
      try {
        await target.insertMany(missing);
        inserted = missing.length;
        await this.#options.onInserted?.(missing.map(idOf));
      } catch (error) {
        if (!(error instanceof DuplicateError)) throw error;
        // A live write raced the batch, or a record clashes on another unique field:
        // one at a time, so each gets its own outcome.
        for (const row of missing) {
          try {
            await target.insertMany([row]);
            inserted++;
            await this.#options.onInserted?.([idOf(row)]);
          } catch (rowError) {
            if (!(rowError instanceof DuplicateError)) throw rowError;
            if ((await target.findByIds([idOf(row)])).length > 0) {
              raced++;
              continue;
            }
            deadLettered++;
            await this.#deadLetters.put({
              legacyId: this.#options.mapper.toLegacyId(idOf(row)),
              record: this.#converter.toLegacy(row),
              reason: rowError.message,
              issues: [],
              source: 'backfill',
              at: new Date(),
            });
          }
        }
      }
    }
    return { inserted, skipped: entities.length - missing.length + raced, deadLettered };
  }
}

function keyOf(id: unknown): string {
  return id instanceof Date ? `d:${id.getTime()}` : `${typeof id}:${String(id)}`;
}
