/**
 * Just enough introspection of a zod 4 schema to coerce environment strings, find the
 * fields marked secret and tell a known path from a typo. Wrappers (optional, default,
 * nullable, pipe, readonly …) are looked through.
 *
 * @module
 */
import type { z } from 'zod';

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly coerce?: boolean;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schemas met while unwrapping, outermost first (each may carry metadata). */
export function unwrapChain(schema: z.ZodType): z.ZodType[] {
  const chain = [schema];
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === 'pipe' ? def.in : undefined;
    if (next === undefined) return chain;
    chain.push(next);
    current = next;
  }
}

/** The schema under all wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType {
  return unwrapChain(schema).at(-1)!;
}

/** The kind of the unwrapped schema: `object`, `number`, `boolean`, `string`, `array` … */
export function kindOf(schema: z.ZodType): string {
  return defOf(unwrap(schema)).type;
}

/**
 * The schema of a child key, looking through unions of objects; `undefined` when the
 * key is not part of the schema.
 */
export function childSchema(schema: z.ZodType, key: string): z.ZodType | undefined {
  const def = defOf(unwrap(schema));
  // Own keys only: `constructor` or `__proto__` must not resolve to Object.prototype's members.
  if (def.type === 'object') return def.shape && Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
  if (def.type === 'record') return def.valueType;
  if (def.type === 'union' && def.options) {
    for (const option of def.options) {
      const child = childSchema(option, key);
      if (child) return child;
    }
  }
  return undefined;
}

/** The keys an object schema declares (empty for records and leaves). */
export function objectKeys(schema: z.ZodType): string[] {
  const def = defOf(unwrap(schema));
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Whether the schema accepts any key at this level (a record, or `z.any()`/`z.unknown()`). */
export function isOpen(schema: z.ZodType): boolean {
  const type = kindOf(schema);
  return type === 'record' || type === 'any' || type === 'unknown';
}

/** The schema at a dotted path, or `undefined` when the path is not part of it. */
export function schemaAt(schema: z.ZodType, path: string): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const key of path === '' ? [] : path.split('.')) {
    if (current === undefined) return undefined;
    if (isOpen(current) && kindOf(current) !== 'record') return current;
    current = childSchema(current, key);
  }
  return current;
}

/** Metadata attached with `.meta()` anywhere along the wrapper chain. */
export function metaOf(schema: z.ZodType): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const link of unwrapChain(schema).reverse()) {
    const meta = (link as { meta?: () => Record<string, unknown> | undefined }).meta?.();
    if (meta) Object.assign(merged, meta);
  }
  return merged;
}
