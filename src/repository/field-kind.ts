import type { z } from 'zod';

/** The scalar type a field holds, as far as filters and sorting care. */
export type FieldKind = 'string' | 'number' | 'bigint' | 'boolean' | 'date' | 'enum' | 'other';

interface ZodInternals {
  _zod?: { def?: { type?: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType } };
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/**
 * The scalar kind of a zod field schema, looking through optional/nullable/default
 * wrappers. Objects, arrays, unions and the rest are `other`: not filterable or sortable.
 */
export function fieldKind(schema: z.ZodType | undefined): FieldKind {
  let current = schema as (z.ZodType & ZodInternals) | undefined;
  for (let depth = 0; current && depth < 16; depth++) {
    const def = current._zod?.def;
    const type = def?.type;
    if (type && WRAPPERS.has(type)) {
      current = def?.innerType as typeof current;
      continue;
    }
    if (type === 'pipe') {
      current = def?.out as typeof current;
      continue;
    }
    switch (type) {
      case 'string':
      case 'number':
      case 'bigint':
      case 'boolean':
      case 'date':
        return type;
      case 'enum':
      case 'literal':
        return 'enum';
      default:
        return 'other';
    }
  }
  return 'other';
}
