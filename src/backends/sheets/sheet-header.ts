import { ValidationError, type ValidationIssue } from '../../errors.js';
import { columnLetters } from './column-letters.js';

/**
 * Where each entity field lives in the sheet, read from the header row.
 *
 * @example
 * ```ts
 * const header = parseHeader(['id', 'name', 'notes'], ['id', 'name'], {}, 'Users', 1);
 * header.columnOf.get('name'); // 1
 * ```
 */
export interface SheetHeader {
  /** Zero-based column of each field. */
  readonly columnOf: ReadonlyMap<string, number>;
  /** How many columns the header spans (fields and other, preserved columns). */
  readonly width: number;
}

/**
 * Maps a header row onto the entity's fields. Every field needs a column (its name, or
 * the header given in `columns`); a blank header between named ones or a header used
 * twice is an error that names the columns; other columns are left alone.
 */
export function parseHeader(
  cells: readonly unknown[],
  fields: readonly string[],
  columns: Readonly<Record<string, string>>,
  sheetTitle: string,
  headerRow: number,
): SheetHeader {
  const names = cells.map((cell) => (cell === undefined || cell === null ? '' : String(cell).trim()));
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  const issues: ValidationIssue[] = [];
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    const where = `${columnLetters(i)}${headerRow}`;
    if (name === '') {
      issues.push({
        path: where,
        message: `column ${columnLetters(i)} has a blank header`,
        code: 'blank_header',
      });
      return;
    }
    const before = seen.get(name);
    if (before !== undefined) {
      issues.push({
        path: where,
        message: `header "${name}" appears in columns ${columnLetters(before)} and ${columnLetters(i)}`,
        code: 'duplicate_header',
      });
    } else seen.set(name, i);
  });
  const columnOf = new Map<string, number>();
  const missing: string[] = [];
  for (const field of fields) {
    const header = columns[field] ?? field;
    const index = seen.get(header);
    if (index === undefined) missing.push(header === field ? field : `${header} (field ${field})`);
    else columnOf.set(field, index);
  }
  if (missing.length > 0) {
    issues.push({
      path: `${headerRow}:${headerRow}`,
      message: `no column for ${missing.join(', ')}`,
      code: 'missing_column',
    });
  }
  if (issues.length > 0) {
    throw ValidationError.fromIssues(
      `The header row (row ${headerRow}) of sheet "${sheetTitle}" is not usable`,
      issues,
    );
  }
  return { columnOf, width: names.length };
}
