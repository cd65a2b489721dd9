import { isRepositoryError, ValidationError } from '../../errors.js';
import type { DeadLetterSource, DeadLetterStore } from './dead-letter-store.js';
import type { LegacyMapper } from './legacy-mapper.js';

/**
 * The part of an entity definition the converter needs.
 *
 * @example
 * ```ts
 * const entity: ConvertibleEntity<Customer> = Customer;
 * ```
 */
export interface ConvertibleEntity<T> {
  readonly name: string;
  parseEntity(value: unknown): T;
}

/**
 * What {@link RecordConverter.toEntity} answers.
 *
 * @example
 * ```ts
 * const result: Conversion<Customer> = await converter.toEntity(record, 'read');
 * if (!result.ok) console.log(result.reason);
 * ```
 */
export type Conversion<T> =
  | { readonly ok: true; readonly entity: T }
  | { readonly ok: false; readonly reason: string };

/**
 * Applies a {@link LegacyMapper} and validates the result with the new entity's schema.
 * A record that fails goes to the dead-letter store with the reason; nothing of it is
 * written anywhere else.
 *
 * @example
 * ```ts
 * const converter = new RecordConverter(Customer, mapper, deadLetters);
 * const result = await converter.toEntity(record, 'backfill');
 * if (result.ok) await next.insertMany([result.entity]);
 * ```
 */
export class RecordConverter<L extends object, T extends object, ID, LID> {
  readonly mapper: LegacyMapper<L, T, ID, LID>;
  readonly #entity: ConvertibleEntity<T>;
  readonly #deadLetters: DeadLetterStore;
  readonly #onDeadLetter: () => void;
  readonly #reported = new Set<string>();

  constructor(
    entity: ConvertibleEntity<T>,
    mapper: LegacyMapper<L, T, ID, LID>,
    deadLetters: DeadLetterStore,
    onDeadLetter: () => void = () => {},
  ) {
    this.#entity = entity;
    this.mapper = mapper;
    this.#deadLetters = deadLetters;
    this.#onDeadLetter = onDeadLetter;
  }

  /** Converts and validates one legacy record; a failure is dead-lettered and reported. */
  async toEntity(record: L, source: DeadLetterSource): Promise<Conversion<T>> {
    const legacyId = (record as Record<string, unknown>)[this.mapper.legacyIdField];
    let issues: ValidationError['issues'] = [];
    let reason: string;
    try {
      return { ok: true, entity: this.#entity.parseEntity(this.mapper.toEntity(record)) };
    } catch (error) {
      if (error instanceof ValidationError) issues = error.issues;
      reason = error instanceof Error ? error.message : String(error);
    }
    // A bad record read again and again is put once (per process) while its reason stays the same.
    const key = `${typeof legacyId}:${String(legacyId)}:${reason}`;
    if (!this.#reported.has(key)) {
      if (this.#reported.size >= 10_000) this.#reported.clear();
      this.#reported.add(key);
      this.#onDeadLetter();
      await this.#deadLetters.put({ legacyId, record, reason, issues, source, at: new Date() });
    }
    return { ok: false, reason };
  }

  /** Converts an entity for the legacy side; a mapper failure is a `ValidationError`. */
  toLegacy(entity: T): L {
    try {
      return this.mapper.toLegacy(entity);
    } catch (error) {
      if (isRepositoryError(error)) throw error;
      throw new ValidationError(
        `${this.#entity.name} cannot be written in the legacy format: ${error instanceof Error ? error.message : String(error)}`,
        [],
        { entity: this.#entity.name, cause: error },
      );
    }
  }
}
