import type { z } from 'zod';
import { ValidationError } from '../../errors.js';

/**
 * How a field's values travel between the entity and PostgreSQL, derived from the
 * field's zod schema: `number` (int8 and numeric arrive as strings), `bigint`, `string`
 * (a bigint or uuid id may be declared as a string), `date`, `boolean`, `json`
 * (objects, arrays, records: stored as json/jsonb) and `other` (passed through).
 *
 * @example
 * ```ts
 * const kind: CodecKind = backend.mapping.get('createdAt').codec.kind; // 'date'
 * ```
 */
export type CodecKind = 'string' | 'number' | 'bigint' | 'boolean' | 'date' | 'json' | 'other';

/**
 * Converts one field's values: `encode` makes a statement parameter from an entity
 * value, `decode` makes an entity value from what pg returned.
 *
 * @example
 * ```ts
 * const codec = fieldCodec(z.number().int(), { nullable: false, optional: false });
 * codec.decode('9007199254740991'); // 9007199254740991 (an int8 column arrives as a string)
 * ```
 */
export interface FieldCodec {
  readonly kind: CodecKind;
  /** A field value as a pg parameter. */
  encode(value: unknown): unknown;
  /** A column value from pg as the field's value. */
  decode(value: unknown): unknown;
}

/**
 * Options of `fieldCodec`.
 *
 * @example
 * ```ts
 * const options: FieldCodecOptions = { nullable: true, json: false }; // a nullable text[] column
 * ```
 */
export interface FieldCodecOptions {
  /** Whether the schema accepts null (else a NULL column becomes `undefined`). */
  readonly nullable: boolean;
  /**
   * Force JSON encoding on (`true`: the column is json/jsonb) or off (`false`: pass
   * arrays as PostgreSQL arrays, e.g. for a `text[]` column).
   * @default undefined (objects, arrays and records are JSON)
   */
  readonly json?: boolean | undefined;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/**
 * Classifies a zod schema into a {@link CodecKind}, looking through optional,
 * nullable, default and similar wrappers and through the output side of pipes.
 *
 * @example
 * ```ts
 * fieldKind(z.date().nullable()); // 'date'
 * fieldKind(z.array(z.string())); // 'json'
 * ```
 */
export function fieldKind(schema: z.ZodType | undefined): CodecKind {
  let current = schema as { def?: ZodDef } | undefined;
  for (let depth = 0; current?.def && depth < 20; depth += 1) {
    const def: ZodDef = current.def;
    if (WRAPPERS.has(def.type)) {
      current = def.innerType as { def?: ZodDef };
      continue;
    }
    switch (def.type) {
      case 'pipe':
        // A transform on the output side makes the stored shape unknowable; otherwise
        // the output schema describes what the entity holds.
        current = (def.out as { def?: ZodDef } | undefined)?.def?.type === 'transform' ? undefined : def.out;
        continue;
      case 'string':
      case 'number':
      case 'bigint':
      case 'boolean':
      case 'date':
        return def.type;
      case 'object':
      case 'array':
      case 'record':
      case 'tuple':
        return 'json';
      case 'enum':
        return sameKind(Object.values(def.entries ?? {}).map(primitiveKind));
      case 'literal':
        return sameKind((def.values ?? []).map(primitiveKind));
      case 'union':
        return sameKind((def.options ?? []).map((option) => fieldKind(option as z.ZodType)));
      default:
        return 'other';
    }
  }
  return 'other';
}

interface ZodDef {
  readonly type: string;
  readonly innerType?: unknown;
  readonly out?: { def?: ZodDef };
  readonly entries?: Record<string, unknown>;
  readonly values?: readonly unknown[];
  readonly options?: readonly unknown[];
}

function primitiveKind(value: unknown): CodecKind {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'bigint' || type === 'boolean' ? type : 'other';
}

function sameKind(kinds: readonly CodecKind[]): CodecKind {
  const first = kinds[0];
  return first !== undefined && kinds.every((kind) => kind === first) ? first : 'other';
}

/**
 * Builds the codec of one field from its zod schema.
 *
 * @example
 * ```ts
 * const tags = fieldCodec(z.array(z.string()), { nullable: false });
 * tags.encode(['a', 'b']); // '["a","b"]' (a JSON parameter, not a PostgreSQL array)
 * ```
 */
export function fieldCodec(schema: z.ZodType | undefined, options: FieldCodecOptions): FieldCodec {
  const classified = fieldKind(schema);
  const kind: CodecKind =
    options.json === true ? 'json' : options.json === false && classified === 'json' ? 'other' : classified;
  const decodeValue = DECODERS[kind];
  const nullValue = options.nullable ? null : undefined;
  const encodeValue = kind === 'json' ? encodeJson : options.json === false ? passThrough : encodeOther;
  const encode = kind === 'json' ? encodeValue : (value: unknown) => encodeValue(storableText(value));
  return {
    kind,
    encode,
    decode: (value) => (value === null || value === undefined ? nullValue : decodeValue(value)),
  };
}

const passThrough = (value: unknown): unknown => value;

// With the `u` flag a well-formed surrogate pair is one code point, so this finds only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * PostgreSQL text cannot hold an unpaired UTF-16 surrogate: pg would send U+FFFD and the
 * stored value would silently differ from the one acknowledged. Refused instead, like NUL.
 */
function storableText(value: unknown): unknown {
  if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
    throw ValidationError.fromIssues('Invalid value for PostgreSQL text', [
      {
        path: '',
        message: 'the string holds an unpaired UTF-16 surrogate, which PostgreSQL cannot store',
        code: 'invalid_text',
      },
    ]);
  }
  return value;
}

const DECODERS: Record<CodecKind, (value: unknown) => unknown> = {
  number: (value) => (typeof value === 'number' ? value : Number(value)),
  bigint: (value) => (typeof value === 'bigint' ? value : BigInt(value as string | number)),
  string: (value) =>
    typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : String(value),
  date: (value) => (value instanceof Date ? value : new Date(value as string | number)),
  boolean: passThrough,
  // json/jsonb arrive parsed; a text column holding JSON arrives as a string.
  json: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
  other: passThrough,
};

/**
 * JSON for json/jsonb parameters. pg would turn a JS array into a PostgreSQL array
 * literal, so arrays (and everything else) are stringified here; bigints become strings
 * because JSON has no bigint.
 */
function encodeJson(value: unknown): unknown {
  return value === null || value === undefined ? value : JSON.stringify(value, jsonReplacer);
}

/** Unknown-shaped fields: structured values go to JSON, scalars pass through. */
function encodeOther(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value)) {
    return value;
  }
  return JSON.stringify(value, jsonReplacer);
}

/**
 * `JSON.stringify` replacer that writes bigints as strings instead of throwing.
 *
 * @example
 * ```ts
 * JSON.stringify({ n: 1n }, jsonReplacer); // '{"n":"1"}'
 * ```
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
