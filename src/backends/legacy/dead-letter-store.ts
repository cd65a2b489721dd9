import { appendFile, readFile } from 'node:fs/promises';
import type { ValidationIssue } from '../../errors.js';

/**
 * Where a record that failed to convert was met.
 *
 * @example
 * ```ts
 * const fromBackfill = (await deadLetters.list()).filter((l) => l.source === 'backfill');
 * ```
 */
export type DeadLetterSource = 'read' | 'backfill' | 'lazy-migration' | 'reconciliation';

/**
 * A legacy record that could not be converted to the new entity, with the reason. It
 * was not written to the new side.
 *
 * @example
 * ```ts
 * for (const letter of await deadLetters.list()) console.log(letter.legacyId, letter.reason);
 * ```
 */
export interface DeadLetter {
  readonly legacyId: unknown;
  /** The legacy record as it was read. */
  readonly record: unknown;
  /** What is wrong, in words. */
  readonly reason: string;
  /** The schema's issues, when the schema rejected the converted value. */
  readonly issues: readonly ValidationIssue[];
  readonly source: DeadLetterSource;
  readonly at: Date;
}

/**
 * Keeps dead letters. One entry per legacy id: a later failure replaces the earlier one.
 *
 * @example
 * ```ts
 * class TableDeadLetters implements DeadLetterStore { async put(letter) { await db.insertInto('dead_letters')... } ... }
 * ```
 */
export interface DeadLetterStore {
  /** Stores a record that could not be converted (the latest per legacy id wins). */
  put(letter: DeadLetter): Promise<void>;
  /** Every dead letter, latest per legacy id. */
  list(): Promise<DeadLetter[]>;
}

/**
 * Dead letters in memory (tests, short jobs).
 *
 * @example
 * ```ts
 * const deadLetters = new MemoryDeadLetterStore();
 * ```
 */
export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly #letters = new Map<string, DeadLetter>();

  async put(letter: DeadLetter): Promise<void> {
    this.#letters.set(letterKey(letter.legacyId), letter);
  }

  async list(): Promise<DeadLetter[]> {
    return [...this.#letters.values()];
  }
}

/**
 * Dead letters appended to a JSON-lines file, so they survive the process (one line per
 * failure; `list` keeps the latest per legacy id).
 *
 * @example
 * ```ts
 * const deadLetters = new FileDeadLetterStore('./migration/dead-letters.jsonl');
 * ```
 */
export class FileDeadLetterStore implements DeadLetterStore {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  async put(letter: DeadLetter): Promise<void> {
    await appendFile(this.#path, `${JSON.stringify(letter, jsonReplacer)}\n`);
  }

  async list(): Promise<DeadLetter[]> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const latest = new Map<string, DeadLetter>();
    for (const line of text.split('\n')) {
      // A line cut short by a crash mid-append is skipped, not fatal.
      if (!line.trim()) continue;
      try {
        const parsed = JSON.parse(line) as DeadLetter;
        latest.set(letterKey(parsed.legacyId), { ...parsed, at: new Date(parsed.at) });
      } catch {}
    }
    return [...latest.values()];
  }
}

function letterKey(id: unknown): string {
  return typeof id === 'bigint' ? `${id}n` : (JSON.stringify(id) ?? String(id));
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
