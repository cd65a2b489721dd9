import type { z } from 'zod';
import { ValidationError } from '../errors.js';

/** Any zod object schema an entity can be declared with. */
export type EntitySchema = z.ZodObject<z.ZodRawShape>;

/** Options of {@link defineEntity}. */
export interface EntityOptions<S extends EntitySchema, K extends FieldName<S>, G extends FieldName<S>> {
  /** The entity's name, used in cache keys, errors, logs and audit entries, e.g. `user`. */
  readonly name: string;
  /** The zod object schema; the entity type is inferred from it. */
  readonly schema: S;
  /** The identifying field. */
  readonly id: K;
  /**
   * Fields the store fills in when a create omits them (a serial id, column defaults).
   * They are optional in the create input.
   * @default []
   */
  readonly generated?: readonly G[];
  /**
   * A numeric field used for optimistic locking: set to 1 on create, incremented by every
   * update, and compared with `expectedVersion`.
   * @default undefined (no optimistic locking)
   */
  readonly version?: FieldName<S>;
  /**
   * A nullable date field: when set, `delete` stamps it instead of removing the row and
   * every read leaves stamped rows out.
   * @default undefined (hard delete)
   */
  readonly softDelete?: FieldName<S>;
  /**
   * Date fields the repository maintains: `createdAt` is set on create, `updatedAt` on
   * create and every update. Both become optional in the create input.
   * @default undefined
   */
  readonly timestamps?: { readonly createdAt?: FieldName<S>; readonly updatedAt?: FieldName<S> };
  /**
   * Bump it when the cached shape of the entity changes, so old cache entries are
   * never read by new code.
   * @default 1
   */
  readonly schemaVersion?: number;
}

/** The names of a schema's fields. */
export type FieldName<S extends EntitySchema> = keyof z.output<S> & string;

/**
 * A declared entity: its schema, identity and the derived schemas for create input and
 * update patches. Made by {@link defineEntity}.
 *
 * @typeParam T - the entity type
 * @typeParam K - the id field
 * @typeParam G - fields that are optional on create
 */
export interface Entity<
  T extends object = Record<string, unknown>,
  K extends keyof T & string = keyof T & string,
  G extends keyof T & string = never,
> {
  readonly name: string;
  readonly schema: EntitySchema;
  readonly idField: K;
  readonly versionField: (keyof T & string) | undefined;
  readonly softDeleteField: (keyof T & string) | undefined;
  readonly createdAtField: (keyof T & string) | undefined;
  readonly updatedAtField: (keyof T & string) | undefined;
  readonly schemaVersion: number;
  /** Every field, in schema order. */
  readonly fields: readonly (keyof T & string)[];
  /** Fields that may be omitted on create. */
  readonly generated: ReadonlySet<keyof T & string>;
  /** The zod schema of one field. */
  fieldSchema(field: string): z.ZodType | undefined;
  /** Whether a field accepts null. */
  isNullable(field: string): boolean;
  /** Validates a create input; throws {@link ValidationError} listing every problem. */
  parseCreate(input: unknown): Partial<T>;
  /** Validates an update patch (any subset of fields but the id); throws {@link ValidationError}. */
  parsePatch(patch: unknown): Partial<T>;
  /** Validates an id against the id field's schema; throws {@link ValidationError}. */
  parseId(id: unknown): T[K];
  /** Validates a whole entity (what backends return, when they want it checked). */
  parseEntity(value: unknown): T;
  /** Type-only marker carrying the create input type. */
  readonly __createInput?: CreateInput<T, G>;
}

/** The create input of an entity: generated fields are optional. */
export type CreateInput<T, G extends keyof T> = Omit<T, G> & Partial<Pick<T, G>>;

/** The entity type of an {@link Entity}. */
export type EntityType<E> = E extends Entity<infer T, infer _K, infer _G> ? T : never;
/** The id type of an {@link Entity}. */
export type IdOf<E> = E extends Entity<infer T, infer K, infer _G> ? T[K] : never;
/** The create input type of an {@link Entity}. */
export type CreateInputOf<E> = E extends Entity<infer T, infer _K, infer G> ? CreateInput<T, G> : never;

/**
 * Declares an entity from a zod schema. The entity type, the id type and the create
 * input type are all inferred.
 *
 * @example
 * ```ts
 * const User = defineEntity({
 *   name: 'user',
 *   schema: z.object({
 *     id: z.number().int(),
 *     email: z.email(),
 *     name: z.string().min(1),
 *     version: z.number().int(),
 *     createdAt: z.date(),
 *   }),
 *   id: 'id',
 *   generated: ['id'],
 *   version: 'version',
 *   timestamps: { createdAt: 'createdAt' },
 * });
 * type User = EntityType<typeof User>; // { id: number; email: string; ... }
 * // create input: { email: string; name: string; id?: number; version?: number; createdAt?: Date }
 * ```
 */
export function defineEntity<
  S extends EntitySchema,
  const K extends FieldName<S>,
  const G extends FieldName<S> = never,
  const V extends FieldName<S> = never,
  const D extends FieldName<S> = never,
  const C extends FieldName<S> = never,
  const U extends FieldName<S> = never,
>(options: {
  readonly name: string;
  readonly schema: S;
  readonly id: K;
  readonly generated?: readonly G[];
  readonly version?: V;
  readonly softDelete?: D;
  readonly timestamps?: { readonly createdAt?: C; readonly updatedAt?: U };
  readonly schemaVersion?: number;
}): Entity<z.output<S>, K, G | V | D | C | U> {
  return buildEntity(options as EntityOptions<S, FieldName<S>, FieldName<S>>) as never;
}

function buildEntity<S extends EntitySchema>(options: EntityOptions<S, FieldName<S>, FieldName<S>>): Entity {
  const { name, schema } = options;
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    throw new ValidationError(
      `Entity name "${name}" must start with a letter and hold only letters, digits, "_" and "-"`,
    );
  }
  const shape = schema.shape as Record<string, z.ZodType>;
  const fields = Object.keys(shape);
  const known = new Set(fields);
  const requireField = (role: string, field: string | undefined) => {
    if (field !== undefined && !known.has(field)) {
      throw new ValidationError(
        `Entity "${name}": ${role} field "${field}" is not in the schema (fields: ${fields.join(', ')})`,
      );
    }
  };
  requireField('id', options.id);
  requireField('version', options.version);
  requireField('softDelete', options.softDelete);
  requireField('timestamps.createdAt', options.timestamps?.createdAt);
  requireField('timestamps.updatedAt', options.timestamps?.updatedAt);
  for (const field of options.generated ?? []) requireField('generated', field);

  const optionalOnCreate = new Set<string>(options.generated ?? []);
  for (const field of [
    options.version,
    options.softDelete,
    options.timestamps?.createdAt,
    options.timestamps?.updatedAt,
  ]) {
    if (field) optionalOnCreate.add(field);
  }
  const createMask = Object.fromEntries([...optionalOnCreate].map((field) => [field, true])) as Record<
    string,
    true
  >;
  const createSchema = schema.partial(createMask).strict();
  const patchSchema = schema
    .omit({ [options.id]: true } as Record<string, true>)
    .partial()
    .strict();
  const idSchema = shape[options.id]!;
  const nullable = new Map(fields.map((field) => [field, shape[field]!.safeParse(null).success]));

  const parse = <R>(what: string, target: z.ZodType, value: unknown, id?: unknown): R => {
    try {
      const result = target.safeParse(value);
      if (result.success) return result.data as R;
      throw ValidationError.fromZod(`Invalid ${name} ${what}`, result.error, { entity: name, id });
    } catch (error) {
      if (error instanceof ValidationError) throw error;
      // zod itself throws on some exotic input (an object whose `constructor.name` is not a
      // string breaks its error message); that is still the caller's bad input, not a crash.
      throw ValidationError.fromIssues(
        `Invalid ${name} ${what}`,
        [{ path: '', message: 'the value could not be validated (an unusual object)', code: 'invalid_type' }],
        { entity: name, id, cause: error },
      );
    }
  };

  return {
    name,
    schema,
    idField: options.id,
    versionField: options.version,
    softDeleteField: options.softDelete,
    createdAtField: options.timestamps?.createdAt,
    updatedAtField: options.timestamps?.updatedAt,
    schemaVersion: options.schemaVersion ?? 1,
    fields,
    generated: optionalOnCreate,
    fieldSchema: (field) => (known.has(field) ? shape[field] : undefined),
    isNullable: (field) => nullable.get(field) ?? false,
    parseCreate: (input) => parse('create input', createSchema, input),
    parsePatch: (patch) => parse('update patch', patchSchema, patch),
    parseId: (id) => parse('id', idSchema, id, id),
    parseEntity: (value) => parse('entity', schema, value),
  };
}
