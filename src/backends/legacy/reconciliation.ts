import type { Backend } from '../../repository/backend.js';
import { type Comparator, diffEntities, type FieldDiff, type Normaliser, normalise } from './comparison.js';
import { type DeadLetterStore, MemoryDeadLetterStore } from './dead-letter-store.js';
import type { LegacyMapper } from './legacy-mapper.js';
import type { MigrationEntity } from './legacy-store.js';
import { RecordConverter } from './record-converter.js';

/**
 * One entity that differs between the sides.
 *
 * @example
 * ```ts
 * for (const sample of report.samples) if (sample.kind === 'different') console.log(sample.id, sample.diffs);
 * ```
 */
export interface DriftSample {
  readonly id: unknown;
  /** `missing-in-new`, `missing-in-legacy`, `different`, or `unconvertible` (legacy record fails the schema). */
  readonly kind: 'missing-in-new' | 'missing-in-legacy' | 'different' | 'unconvertible';
  readonly diffs: readonly FieldDiff[];
}

/**
 * The drift between the two sides, entity by entity.
 *
 * @example
 * ```ts
 * const report = await reconcile({ entity: Customer, legacy, target, mapper });
 * if (report.inSync) adapter.machine.moveTo('new-only');
 * ```
 */
export interface ReconciliationReport {
  readonly legacyCount: number;
  readonly newCount: number;
  readonly matched: number;
  readonly missingInNew: number;
  readonly missingInLegacy: number;
  readonly different: number;
  /** Legacy records that do not convert (dead-lettered). */
  readonly unconvertible: number;
  /** True when nothing is missing, different or unconvertible. */
  readonly inSync: boolean;
  /** The first `sampleSize` drifted entities. */
  readonly samples: readonly DriftSample[];
  readonly durationMs: number;
}

/**
 * Options of {@link reconcile}.
 *
 * @example
 * ```ts
 * await reconcile({ entity: Customer, legacy, target, mapper, normalisers: [ignoreTimestamps(Customer)], sampleSize: 20 });
 * ```
 */
export interface ReconcileOptions<L extends object, T extends object, ID, LID> {
  readonly entity: MigrationEntity<T>;
  readonly legacy: Backend<L, LID>;
  readonly target: Backend<T, ID>;
  readonly mapper: LegacyMapper<L, T, ID, LID>;
  /** @default diffEntities */
  readonly comparator?: Comparator;
  /** @default [] */
  readonly normalisers?: readonly Normaliser[];
  /** How many drifted entities the report lists. @default 100 */
  readonly sampleSize?: number;
  /** Entities read per round trip. @default 500 */
  readonly batchSize?: number;
  /** Where unconvertible records go. @default new MemoryDeadLetterStore() */
  readonly deadLetters?: DeadLetterStore;
}

/**
 * Walks both sides in id order and reports what differs: entities only one side has,
 * entities whose fields differ (after normalisers), and legacy records that do not
 * convert. Read-only.
 *
 * @example
 * ```ts
 * const report = await reconcile({ entity: Customer, legacy, target, mapper, normalisers: [ignoreTimestamps(Customer)] });
 * console.log(report.missingInNew, report.different, report.samples.slice(0, 5));
 * ```
 */
export async function reconcile<L extends object, T extends object, ID, LID>(
  options: ReconcileOptions<L, T, ID, LID>,
): Promise<ReconciliationReport> {
  const started = performance.now();
  const { entity, legacy, target, mapper } = options;
  const comparator = options.comparator ?? diffEntities;
  const normalisers = options.normalisers ?? [];
  const sampleSize = options.sampleSize ?? 100;
  const batchSize = options.batchSize ?? 500;
  const converter = new RecordConverter(entity, mapper, options.deadLetters ?? new MemoryDeadLetterStore());
  const samples: DriftSample[] = [];
  const note = (sample: DriftSample) => {
    if (samples.length < sampleSize) samples.push(sample);
  };
  const idOf = (row: T) => (row as Record<string, unknown>)[entity.idField] as ID;
  let legacyCount = 0;
  let newCount = 0;
  let matched = 0;
  let missingInNew = 0;
  let missingInLegacy = 0;
  let different = 0;
  let unconvertible = 0;

  for await (const records of pages(legacy, mapper.legacyIdField, batchSize)) {
    legacyCount += records.length;
    const converted: T[] = [];
    for (const record of records) {
      const result = await converter.toEntity(record, 'reconciliation');
      if (result.ok) converted.push(result.entity);
      else {
        unconvertible++;
        note({
          id: (record as Record<string, unknown>)[mapper.legacyIdField],
          kind: 'unconvertible',
          diffs: [],
        });
      }
    }
    const stored = new Map(
      (await target.findByIds(converted.map(idOf))).map((row) => [keyOf(idOf(row)), row]),
    );
    for (const row of converted) {
      const other = stored.get(keyOf(idOf(row)));
      if (!other) {
        missingInNew++;
        note({ id: idOf(row), kind: 'missing-in-new', diffs: [] });
        continue;
      }
      const diffs = comparator(normalise(row, normalisers), normalise(other, normalisers));
      if (diffs.length === 0) matched++;
      else {
        different++;
        note({ id: idOf(row), kind: 'different', diffs });
      }
    }
  }

  for await (const rows of pages(target, entity.idField, batchSize)) {
    newCount += rows.length;
    const present = new Set(
      (await legacy.findByIds(rows.map((row) => mapper.toLegacyId(idOf(row))))).map((record) =>
        keyOf(mapper.toEntityId((record as Record<string, unknown>)[mapper.legacyIdField] as LID)),
      ),
    );
    for (const row of rows) {
      if (present.has(keyOf(idOf(row)))) continue;
      missingInLegacy++;
      note({ id: idOf(row), kind: 'missing-in-legacy', diffs: [] });
    }
  }

  return {
    legacyCount,
    newCount,
    matched,
    missingInNew,
    missingInLegacy,
    different,
    unconvertible,
    inSync: missingInNew + missingInLegacy + different + unconvertible === 0,
    samples,
    durationMs: performance.now() - started,
  };
}

async function* pages<R extends object>(
  backend: Backend<R, unknown>,
  idField: string,
  size: number,
): AsyncIterable<R[]> {
  let last: unknown;
  for (;;) {
    const page = await backend.find({
      where: last === undefined ? undefined : { kind: 'field', field: idField, op: 'gt', value: last },
      orderBy: [{ field: idField, direction: 'asc' }],
      limit: size,
    });
    if (page.length > 0) yield page;
    if (page.length < size) return;
    last = (page.at(-1) as Record<string, unknown>)[idField];
  }
}

function keyOf(id: unknown): string {
  return id instanceof Date ? `d:${id.getTime()}` : `${typeof id}:${String(id)}`;
}
