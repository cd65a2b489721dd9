import type { RangeValues } from './sheets-gateway.js';

/** The part of a `spreadsheets.batchUpdate` response reposit reads back. */
export interface UpdatedSpreadsheet {
  readonly sheets?:
    | readonly {
        readonly properties?: {
          readonly title?: string | null;
          readonly gridProperties?: { readonly rowCount?: number | null } | null;
        } | null;
        readonly data?:
          | readonly {
              readonly startRow?: number | null;
              readonly rowData?:
                | readonly {
                    readonly values?: readonly { readonly effectiveValue?: EffectiveValue | null }[] | null;
                  }[]
                | null;
            }[]
          | null;
      }[]
    | null;
}

interface EffectiveValue {
  readonly numberValue?: number | null;
  readonly stringValue?: string | null;
  readonly boolValue?: boolean | null;
  readonly errorValue?: { readonly type?: string | null } | null;
}

/** A cell the way `values.get` renders it with `UNFORMATTED_VALUE` and serial-number dates. */
function unformatted(value: EffectiveValue | null | undefined): unknown {
  if (!value) return '';
  if (value.numberValue != null) return value.numberValue;
  if (value.boolValue != null) return value.boolValue;
  if (value.stringValue != null) return value.stringValue;
  // The values API shows an error cell as its code (#REF!, #N/A …); so does this.
  if (value.errorValue) return `#${value.errorValue.type ?? 'ERROR'}`;
  return '';
}

/**
 * The grid data a write returned for a whole tab, as the values-API read of that tab
 * would have given it (rows of unformatted values, trailing empties trimmed, the range
 * bounded by the grid), so one request both writes and re-reads the tab. Undefined when
 * the response does not hold the tab from its first row.
 *
 * @example
 * ```ts
 * const read = rangeValuesFromGrid(response.data.updatedSpreadsheet, 'Users');
 * if (read) snapshot = decodeTable(read, layout, kinds);
 * ```
 */
export function rangeValuesFromGrid(
  spreadsheet: UpdatedSpreadsheet | null | undefined,
  title: string,
): RangeValues | undefined {
  const sheet = spreadsheet?.sheets?.find((candidate) => candidate.properties?.title === title);
  const rowCount = sheet?.properties?.gridProperties?.rowCount;
  const data = sheet?.data?.[0];
  if (!sheet || typeof rowCount !== 'number' || !data || (data.startRow ?? 0) !== 0) return undefined;
  const values: unknown[][] = (data.rowData ?? []).map((row) => {
    const cells = (row.values ?? []).map((cell) => unformatted(cell.effectiveValue));
    while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
    return cells;
  });
  while (values.length > 0 && values[values.length - 1]!.length === 0) values.pop();
  return { range: `${title}!A1:ZZZ${rowCount}`, values };
}
