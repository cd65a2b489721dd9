import { ValidationError } from '../../errors.js';
import type { Entity } from '../../repository/entity.js';
import { type CellData, type CellKind, cellKind, decodeCell, encodeCell, encodeRaw } from './cell-codec.js';
import { parseHeader, type SheetHeader } from './sheet-header.js';

/** How a tab is laid out: which row holds the header and how fields are named there. */
export interface TableLayout<T extends object> {
  // biome-ignore lint/suspicious/noExplicitAny: any id and generated-field types are accepted.
  readonly entity: Entity<T, any, any>;
  readonly sheetTitle: string;
  /** One-based header row. */
  readonly headerRow: number;
  /** Header text per field, where it differs from the field name. */
  readonly columns: Readonly<Record<string, string>>;
  /** What to do with a data row that does not decode into a valid entity. */
  readonly invalidRows: 'error' | 'skip';
}

/** One decoded data row. */
export interface TableRow<T> {
  /** Zero-based row index in the sheet at the time of the read (never used as identity). */
  readonly rowIndex: number;
  /** The id, as text: the identity of the row. */
  readonly key: string;
  readonly entity: T;
}

/** A consistent read of a tab. */
export interface TableSnapshot<T> {
  /** Undefined when the header row is empty (a new tab). */
  readonly header: SheetHeader | undefined;
  readonly rows: readonly TableRow<T>[];
  readonly byKey: ReadonlyMap<string, TableRow<T>>;
  /** Zero-based index just after the last row holding anything (at least below the header). */
  readonly dataEnd: number;
  /** Rows in the sheet's grid when it was read. */
  readonly gridRows: number;
}

/** The text form of an id, used as the row's identity and its developer metadata value. */
export function idKey(id: unknown): string {
  return id instanceof Date ? id.toISOString() : String(id);
}

/** Cell kinds of every field, from the entity's schema. */
// biome-ignore lint/suspicious/noExplicitAny: only the schema is used.
export function fieldKinds(entity: Entity<any, any, any>): Map<string, CellKind> {
  return new Map(entity.fields.map((field) => [field, cellKind(entity.fieldSchema(field))]));
}

/** The header a new tab gets: field names (or their configured header text) in schema order. */
export function defaultHeader<T extends object>(
  layout: TableLayout<T>,
): { header: SheetHeader; names: string[] } {
  const names = layout.entity.fields.map((field) => layout.columns[field] ?? field);
  return {
    header: { columnOf: new Map(layout.entity.fields.map((f, i) => [f, i])), width: names.length },
    names,
  };
}

function isBlank(row: readonly unknown[] | undefined): boolean {
  return !row || row.every((cell) => cell === '' || cell === null || cell === undefined);
}

/**
 * Decodes a tab's values (read from A1, UNFORMATTED) into entities through the entity's
 * schema. Blank rows are skipped; a row that is not a valid entity, or an id used twice,
 * is a {@link ValidationError} naming the row (or is skipped, with `invalidRows: 'skip'`).
 */
export function decodeTable<T extends object>(
  read: { readonly range: string; readonly values: readonly (readonly unknown[])[] },
  layout: TableLayout<T>,
  kinds: ReadonlyMap<string, CellKind>,
): TableSnapshot<T> {
  const { values } = read;
  // The API reports a whole-sheet read bounded by the grid: `Users!A1:Z1000`.
  const gridRows = Math.max(Number(/(\d+)$/.exec(read.range)?.[1] ?? 0), values.length);
  const headerIndex = layout.headerRow - 1;
  const headerCells = values[headerIndex];
  let dataEnd = headerIndex + 1;
  for (let r = values.length - 1; r > headerIndex; r -= 1) {
    if (!isBlank(values[r])) {
      dataEnd = r + 1;
      break;
    }
  }
  if (isBlank(headerCells)) {
    if (dataEnd > headerIndex + 1) {
      throw new ValidationError(
        `Sheet "${layout.sheetTitle}" has data but its header row (row ${layout.headerRow}) is empty`,
      );
    }
    return { header: undefined, rows: [], byKey: new Map(), dataEnd, gridRows };
  }
  const { entity } = layout;
  const header = parseHeader(
    headerCells!,
    entity.fields,
    layout.columns,
    layout.sheetTitle,
    layout.headerRow,
  );
  const rows: TableRow<T>[] = [];
  const byKey = new Map<string, TableRow<T>>();
  for (let r = headerIndex + 1; r < dataEnd; r += 1) {
    const cells = values[r];
    if (isBlank(cells)) continue;
    const candidate: Record<string, unknown> = {};
    for (const field of entity.fields) {
      const value = decodeCell(cells![header.columnOf.get(field)!], kinds.get(field)!);
      if (value !== undefined) candidate[field] = value;
      else if (entity.isNullable(field)) candidate[field] = null;
    }
    const parsed = entity.schema.safeParse(candidate);
    if (!parsed.success) {
      if (layout.invalidRows === 'skip') continue;
      throw ValidationError.fromZod(
        `Row ${r + 1} of sheet "${layout.sheetTitle}" is not a valid ${entity.name}`,
        parsed.error,
        { entity: entity.name },
      );
    }
    const value = parsed.data as T;
    const key = idKey((value as Record<string, unknown>)[entity.idField]);
    const before = byKey.get(key);
    if (before) {
      if (layout.invalidRows === 'skip') continue;
      throw new ValidationError(
        `Sheet "${layout.sheetTitle}" holds ${entity.name} ${key} twice (rows ${before.rowIndex + 1} and ${r + 1})`,
        [{ path: `${r + 1}:${r + 1}`, message: `duplicate id ${key}`, code: 'duplicate_id' }],
        { entity: entity.name, id: key },
      );
    }
    const row = { rowIndex: r, key, entity: value };
    rows.push(row);
    byKey.set(key, row);
  }
  return { header, rows, byKey, dataEnd, gridRows };
}

/** An entity as a row of cells for `updateCells` (columns that are not fields stay empty). */
export function entityCells<T extends object>(
  entity: T,
  header: SheetHeader,
  kinds: ReadonlyMap<string, CellKind>,
): CellData[] {
  const cells: CellData[] = Array.from({ length: header.width }, () => ({}));
  for (const [field, column] of header.columnOf) {
    cells[column] = encodeCell((entity as Record<string, unknown>)[field], kinds.get(field)!);
  }
  return cells;
}

/**
 * An entity as a values-API row (RAW). Columns that are not fields are `null`, which the
 * API leaves as they are, so notes a person keeps beside the data survive updates.
 */
export function entityValues<T extends object>(
  entity: T,
  header: SheetHeader,
  kinds: ReadonlyMap<string, CellKind>,
): (string | number | boolean | null)[] {
  const values: (string | number | boolean | null)[] = Array.from({ length: header.width }, () => null);
  for (const [field, column] of header.columnOf) {
    values[column] = encodeRaw((entity as Record<string, unknown>)[field], kinds.get(field)!);
  }
  return values;
}
