import type { Entity } from '../../repository/entity.js';
import type { Repository } from '../../repository/repository.js';
import { idKey } from './sheet-table.js';
import type { SyncState, SyncStateStore } from './sync-state.js';

/** Which side a conflict resolution picks. */
export type SyncSide = 'sheet' | 'other';

/**
 * How a conflict (both sides changed the same entity since the last sync, differently)
 * is resolved. A deletion counts as a change.
 * - `sheet-wins` / `other-wins`: that side's state (present or deleted) wins.
 * - `newest-wins`: the entity with the later `updatedAt` timestamp wins; a deleted side
 *   loses to a present one; ties (or no timestamp field) go to the sheet.
 * - a function: picks the side for each conflict.
 *
 * @example
 * ```ts
 * const rule: ConflictRule<User> = (sheet, other) => (sheet?.approved ? 'sheet' : 'other');
 * ```
 */
export type ConflictRule<T> =
  | 'sheet-wins'
  | 'other-wins'
  | 'newest-wins'
  | ((sheet: T | undefined, other: T | undefined) => SyncSide);

/**
 * Progress of a running sync, reported after every chunk.
 *
 * @example
 * ```ts
 * onProgress: (p) => console.log(`${p.processed}/${p.total}, ${p.conflicts} conflicts`)
 * ```
 */
export interface SyncProgress {
  /** Ids that differ from the last synced state (the work of this run). */
  readonly total: number;
  /** Of those, how many are done. */
  readonly processed: number;
  readonly copiedToSheet: number;
  readonly copiedToOther: number;
  readonly deletedInSheet: number;
  readonly deletedInOther: number;
  readonly conflicts: number;
}

/**
 * Options of {@link syncRepositories}.
 *
 * @example
 * ```ts
 * const options: SyncOptions<User, number> = { entity: User, sheet: sheetUsers, other: pgUsers, state: memorySyncState() };
 * ```
 */
export interface SyncOptions<T extends object, ID> {
  // biome-ignore lint/suspicious/noExplicitAny: any id and generated-field types are accepted.
  readonly entity: Entity<T, any, any>;
  /** The repository over the sheet. */
  // biome-ignore lint/suspicious/noExplicitAny: create inputs differ per entity.
  readonly sheet: Repository<T, ID, any>;
  /** The other repository, e.g. over PostgreSQL. */
  // biome-ignore lint/suspicious/noExplicitAny: create inputs differ per entity.
  readonly other: Repository<T, ID, any>;
  /** Where the last synced state is kept between runs. */
  readonly state: SyncStateStore;
  /** @default 'sheet-wins' */
  readonly conflicts?: ConflictRule<T>;
  /** Ids applied (and the state saved) per chunk. @default 100 */
  readonly chunkSize?: number;
  /** Called after every chunk. @default undefined */
  readonly onProgress?: (progress: SyncProgress) => void;
}

type Row = Record<string, unknown>;

/**
 * Two-way synchronisation of a sheet with another repository, by a three-way comparison
 * with the state of the last sync: a change on one side is copied to the other (creates,
 * updates and deletes), a change on both is a conflict resolved by the rule. Version and
 * timestamp fields are each side's own and are not compared. Changes are applied in
 * chunks, concurrently within a chunk (so the sheet side batches them), and the state is
 * saved after each chunk: a sync that fails part-way (quota, network) can simply be run
 * again and continues; what it already applied is not applied twice.
 *
 * @example
 * ```ts
 * const report = await syncRepositories({
 *   entity: User,
 *   sheet: new BaseRepository({ entity: User, backend: sheetsBackend }),
 *   other: new BaseRepository({ entity: User, backend: postgresBackend }),
 *   state: fileSyncState('.reposit/users-sync.json'),
 *   conflicts: 'newest-wins',
 *   onProgress: (p) => log.info(p, 'sync'),
 * });
 * ```
 */
export async function syncRepositories<T extends object, ID>(
  options: SyncOptions<T, ID>,
): Promise<SyncProgress> {
  const { entity } = options;
  const ignored = new Set(
    [entity.versionField, entity.createdAtField, entity.updatedAtField].filter((f) => f !== undefined),
  );
  const compared = entity.fields.filter((field) => !ignored.has(field));
  const fingerprint = (value: T | undefined): string | undefined =>
    value === undefined
      ? undefined
      : JSON.stringify(
          compared.map((field) => canonical((value as Row)[field])),
          (_key, v) => (typeof v === 'bigint' ? `${v}n` : v),
        );

  const [sheetRows, otherRows, saved] = await Promise.all([
    collect(options.sheet),
    collect(options.other),
    options.state.load(),
  ]);
  const state: SyncState = { ...(saved ?? {}) };
  const keyOf = (row: T) => idKey((row as Row)[entity.idField]);
  const sheet = new Map(sheetRows.map((row) => [keyOf(row), row]));
  const other = new Map(otherRows.map((row) => [keyOf(row), row]));
  const keys = [...new Set([...sheet.keys(), ...other.keys(), ...Object.keys(state)])].filter((key) => {
    const a = fingerprint(sheet.get(key));
    const b = fingerprint(other.get(key));
    return !(a === b && state[key] === a);
  });

  const progress = {
    total: keys.length,
    processed: 0,
    copiedToSheet: 0,
    copiedToOther: 0,
    deletedInSheet: 0,
    deletedInOther: 0,
    conflicts: 0,
  };
  const chunkSize = options.chunkSize ?? 100;
  for (let i = 0; i < keys.length; i += chunkSize) {
    const chunk = keys.slice(i, i + chunkSize);
    await Promise.all(
      chunk.map(async (key) => {
        const a = sheet.get(key);
        const b = other.get(key);
        const fa = fingerprint(a);
        const fb = fingerprint(b);
        const base = state[key];
        let from: SyncSide;
        if (fa === fb) from = 'sheet';
        else if (fb === base) from = 'sheet';
        else if (fa === base) from = 'other';
        else {
          progress.conflicts += 1;
          from = resolve(options.conflicts ?? 'sheet-wins', a, b, entity.updatedAtField);
        }
        const winner = from === 'sheet' ? a : b;
        const target = from === 'sheet' ? options.other : options.sheet;
        const targetHas = from === 'sheet' ? b : a;
        if (fa !== fb) {
          if (winner === undefined) {
            if (targetHas !== undefined) await target.delete((targetHas as Row)[entity.idField] as ID);
            if (from === 'sheet') progress.deletedInOther += 1;
            else progress.deletedInSheet += 1;
          } else {
            await target.upsert(copyInput(winner as Row, entity.versionField));
            if (from === 'sheet') progress.copiedToOther += 1;
            else progress.copiedToSheet += 1;
          }
        }
        const settled = fingerprint(winner);
        if (settled === undefined) delete state[key];
        else state[key] = settled;
      }),
    );
    await options.state.save(state);
    progress.processed += chunk.length;
    options.onProgress?.({ ...progress });
  }
  if (keys.length === 0) await options.state.save(state);
  return { ...progress };
}

function resolve<T>(
  rule: ConflictRule<T>,
  sheet: T | undefined,
  other: T | undefined,
  updatedAt: string | undefined,
): SyncSide {
  if (typeof rule === 'function') return rule(sheet, other);
  if (rule === 'sheet-wins') return 'sheet';
  if (rule === 'other-wins') return 'other';
  if (sheet === undefined) return 'other';
  if (other === undefined) return 'sheet';
  if (!updatedAt) return 'sheet';
  const a = (sheet as Row)[updatedAt];
  const b = (other as Row)[updatedAt];
  return b instanceof Date && (!(a instanceof Date) || b.getTime() > a.getTime()) ? 'other' : 'sheet';
}

function canonical(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value === undefined ? null : value;
}

function copyInput(row: Row, versionField: string | undefined): Row {
  const input: Row = { ...row };
  if (versionField) delete input[versionField];
  return input;
}

async function collect<T extends object, ID>(repository: Repository<T, ID, unknown>): Promise<T[]> {
  const rows: T[] = [];
  for await (const row of repository.stream({}, { batchSize: 1000 })) rows.push(row);
  return rows;
}
