import type { z } from 'zod';

/**
 * How a field's values are stored in cells.
 *
 * @example
 * ```ts
 * const kind: CellKind = cellKind(z.date()); // 'date': ISO 8601 text, serial numbers read too
 * ```
 */
export type CellKind = 'string' | 'number' | 'boolean' | 'date' | 'bigint' | 'json';

/** One cell as the batchUpdate API takes it (`{}` empties the cell). */
export type CellData = {
  userEnteredValue?: { stringValue?: string; numberValue?: number; boolValue?: boolean };
};

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/**
 * The cell kind of a zod field schema, looking through optional/nullable/default and
 * pipes (the input side).
 *
 * @example
 * ```ts
 * cellKind(z.number().int().nullable()); // 'number'
 * ```
 */
export function cellKind(schema: z.ZodType | undefined): CellKind {
  let current = schema as { _zod?: { def: Record<string, unknown> } } | undefined;
  for (let depth = 0; current?._zod && depth < 20; depth += 1) {
    const def = current._zod.def;
    const type = def.type as string;
    if (WRAPPERS.has(type)) current = def.innerType as typeof current;
    else if (type === 'pipe') current = def.in as typeof current;
    else if (type === 'string' || type === 'enum' || type === 'template_literal') return 'string';
    else if (type === 'number' || type === 'int') return 'number';
    else if (type === 'boolean') return 'boolean';
    else if (type === 'date') return 'date';
    else if (type === 'bigint') return 'bigint';
    else if (type === 'literal') {
      const values = def.values as unknown[];
      const first = values?.[0];
      return typeof first === 'number' ? 'number' : typeof first === 'boolean' ? 'boolean' : 'string';
    } else return 'json';
  }
  return 'json';
}

/**
 * Encodes a field value for a cell. Dates are ISO 8601 text (sortable, unambiguous in
 * every locale), bigints decimal text, objects JSON; null empties the cell.
 *
 * @example
 * ```ts
 * encodeCell(new Date(0), 'date'); // { userEnteredValue: { stringValue: '1970-01-01T00:00:00.000Z' } }
 * ```
 */
export function encodeCell(value: unknown, kind: CellKind): CellData {
  if (value === null || value === undefined) return {};
  if (kind === 'json') return { userEnteredValue: { stringValue: JSON.stringify(value) } };
  if (typeof value === 'number') return { userEnteredValue: { numberValue: value } };
  if (typeof value === 'boolean') return { userEnteredValue: { boolValue: value } };
  if (value instanceof Date) return { userEnteredValue: { stringValue: value.toISOString() } };
  return { userEnteredValue: { stringValue: String(value) } };
}

/** The same value as a values-API cell (RAW input): `''` empties the cell. */
export function encodeRaw(value: unknown, kind: CellKind): string | number | boolean {
  const cell = encodeCell(value, kind).userEnteredValue;
  if (!cell) return '';
  return cell.stringValue ?? cell.numberValue ?? cell.boolValue ?? '';
}

const SERIAL_EPOCH = Date.UTC(1899, 11, 30);
const DAY = 86_400_000;

/**
 * Decodes a cell (UNFORMATTED_VALUE, dates as serial numbers) into what the field's
 * schema expects; values that do not fit are passed through for the schema to reject.
 * An empty cell is `undefined`.
 *
 * @example
 * ```ts
 * decodeCell('TRUE', 'boolean');  // true
 * decodeCell(45292, 'date');      // 2024-01-01T00:00:00.000Z (a date typed into the sheet)
 * ```
 */
export function decodeCell(cell: unknown, kind: CellKind): unknown {
  if (cell === undefined || cell === null || cell === '') return undefined;
  switch (kind) {
    case 'string':
      return typeof cell === 'boolean' ? (cell ? 'TRUE' : 'FALSE') : String(cell);
    case 'number':
      if (typeof cell === 'string' && cell.trim() !== '' && Number.isFinite(Number(cell)))
        return Number(cell);
      return cell;
    case 'boolean':
      if (typeof cell === 'string' && /^(true|false)$/i.test(cell.trim()))
        return cell.trim().toUpperCase() === 'TRUE';
      return cell;
    case 'date': {
      if (typeof cell === 'number') return new Date(SERIAL_EPOCH + Math.round(cell * DAY));
      const date = new Date(String(cell));
      return Number.isNaN(date.getTime()) ? cell : date;
    }
    case 'bigint':
      try {
        return BigInt(typeof cell === 'number' ? Math.trunc(cell) : String(cell).trim());
      } catch {
        return cell;
      }
    case 'json':
      if (typeof cell !== 'string') return cell;
      try {
        return JSON.parse(cell);
      } catch {
        return cell;
      }
  }
}
