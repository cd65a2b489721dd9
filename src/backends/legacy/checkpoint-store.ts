import { readFile, rename, writeFile } from 'node:fs/promises';
import { decodeJson, encodeJson } from './json-codec.js';

/**
 * Where a backfill stands: the last legacy id it finished and its running totals.
 *
 * @example
 * ```ts
 * const checkpoint: BackfillCheckpoint = { lastLegacyId: 'C-01000', processed: 1000, inserted: 990, skipped: 5, deadLettered: 5, done: false, updatedAt: new Date() };
 * ```
 */
export interface BackfillCheckpoint {
  /** The last legacy id of the last finished batch; undefined before the first. */
  readonly lastLegacyId: unknown;
  /** Legacy records read so far (all runs). */
  readonly processed: number;
  /** Records written to new so far (all runs). */
  readonly inserted: number;
  /** Records new already had (written by dual-write, lazy migration or a run that was killed). */
  readonly skipped: number;
  /** Records that failed to convert. */
  readonly deadLettered: number;
  /** True once the whole legacy side was read. */
  readonly done: boolean;
  readonly updatedAt: Date;
}

/**
 * Persists a backfill's checkpoint. `save` must be atomic: after a crash, `load` returns
 * either the previous checkpoint or the new one.
 *
 * @example
 * ```ts
 * class TableCheckpoints implements CheckpointStore { async load() { ... } async save(c) { ... upsert one row ... } }
 * ```
 */
export interface CheckpointStore {
  /** The last checkpoint saved, or undefined before the first batch. */
  load(): Promise<BackfillCheckpoint | undefined>;
  /** Stores a checkpoint after a batch. */
  save(checkpoint: BackfillCheckpoint): Promise<void>;
}

/**
 * A checkpoint in memory (tests; a restart starts over).
 *
 * @example
 * ```ts
 * const checkpoints = new MemoryCheckpointStore();
 * ```
 */
export class MemoryCheckpointStore implements CheckpointStore {
  #checkpoint: BackfillCheckpoint | undefined;

  async load(): Promise<BackfillCheckpoint | undefined> {
    return this.#checkpoint;
  }
  async save(checkpoint: BackfillCheckpoint): Promise<void> {
    this.#checkpoint = checkpoint;
  }
}

/**
 * A checkpoint in a JSON file, replaced atomically (temporary file, then rename), so a
 * process killed at any moment leaves a readable checkpoint.
 *
 * @example
 * ```ts
 * const job = new BackfillJob({ ..., checkpoints: new FileCheckpointStore('./migration/customers.checkpoint.json') });
 * ```
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  async load(): Promise<BackfillCheckpoint | undefined> {
    try {
      return decodeJson(await readFile(this.#path, 'utf8')) as BackfillCheckpoint;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async save(checkpoint: BackfillCheckpoint): Promise<void> {
    const temporary = `${this.#path}.${process.pid}.tmp`;
    await writeFile(temporary, encodeJson(checkpoint));
    await rename(temporary, this.#path);
  }
}
