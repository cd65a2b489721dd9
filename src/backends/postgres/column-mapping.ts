import { ValidationError } from '../../errors.js';
import type { Entity } from '../../repository/entity.js';
import { type FieldCodec, fieldCodec } from './field-codec.js';
import { assertIdentifier, toSnakeCase } from './identifiers.js';
import type { ColumnOptions } from './postgres-backend-config.js';

/**
 * One field of the entity and the column that stores it.
 *
 * @example
 * ```ts
 * const column: MappedColumn = { field: 'createdAt', column: 'created_at', codec };
 * ```
 */
export interface MappedColumn {
  readonly field: string;
  readonly column: string;
  readonly codec: FieldCodec;
}

/**
 * The mapping between an entity's fields and a table's columns, with the value codecs
 * of every field. Field names only ever come from the entity schema, so every
 * identifier that reaches SQL is one the application declared.
 *
 * @example
 * ```ts
 * const mapping = new ColumnMapping(User, { email: 'email_address' });
 * mapping.column('createdAt'); // 'created_at'
 * mapping.decodeRow({ id: '42', createdAt: new Date() }); // { id: 42, createdAt: Date } (int8 → number)
 * ```
 */
export class ColumnMapping {
  /** Every mapped field, in schema order. */
  readonly columns: readonly MappedColumn[];
  readonly #byField: ReadonlyMap<string, MappedColumn>;
  readonly #entityName: string;
  readonly #decodeFields: readonly string[];
  readonly #decoders: readonly ((value: unknown) => unknown)[];

  constructor(
    entity: Pick<Entity, 'name' | 'fieldSchema' | 'isNullable'> & { readonly fields: readonly string[] },
    overrides: { readonly [field: string]: string | ColumnOptions | undefined } = {},
  ) {
    this.#entityName = entity.name;
    const known = new Set<string>(entity.fields);
    for (const field of Object.keys(overrides)) {
      if (!known.has(field)) {
        throw new ValidationError(
          `PostgresBackend for ${entity.name}: column override for unknown field "${field}" (fields: ${entity.fields.join(', ')})`,
          [{ path: `columns.${field}`, message: 'not a field of the entity', code: 'unknown_field' }],
        );
      }
    }
    const seen = new Map<string, string>();
    this.columns = entity.fields.map((field) => {
      const override = overrides[field];
      const options: ColumnOptions = typeof override === 'string' ? { name: override } : (override ?? {});
      const column = assertIdentifier('column', options.name ?? toSnakeCase(field), { allowDot: true });
      const clash = seen.get(column);
      if (clash !== undefined) {
        throw new ValidationError(
          `PostgresBackend for ${entity.name}: fields "${clash}" and "${field}" both map to column "${column}"`,
        );
      }
      seen.set(column, field);
      const codec = fieldCodec(entity.fieldSchema(field), {
        nullable: entity.isNullable(field),
        json: options.json,
      });
      return { field, column, codec };
    });
    this.#byField = new Map(this.columns.map((mapped) => [mapped.field, mapped]));
    this.#decodeFields = this.columns.map((mapped) => mapped.field);
    this.#decoders = this.columns.map((mapped) => mapped.codec.decode);
  }

  /** The mapping of a field; a `ValidationError` for a field the entity does not have. */
  get(field: string): MappedColumn {
    const mapped = this.#byField.get(field);
    if (!mapped) {
      throw new ValidationError(`${this.#entityName} has no field "${field}"`, [
        { path: field, message: 'unknown field', code: 'unknown_field' },
      ]);
    }
    return mapped;
  }

  /** The column of a field. */
  column(field: string): string {
    return this.get(field).column;
  }

  /** A field's value as a statement parameter. */
  encode(field: string, value: unknown): unknown {
    return this.get(field).codec.encode(value);
  }

  /**
   * Turns a row selected with field-name aliases into an entity, in place: int8 and
   * numeric strings become numbers or bigints as the schema says, NULL becomes
   * `undefined` for optional non-nullable fields, JSON text is parsed.
   */
  decodeRow<T>(row: Record<string, unknown>): T {
    const fields = this.#decodeFields;
    const decoders = this.#decoders;
    for (let index = 0; index < fields.length; index += 1) {
      const field = fields[index]!;
      let value: unknown;
      try {
        value = decoders[index]!(row[field]);
      } catch (error) {
        // A column whose contents cannot be the field's type (a fraction in a bigint
        // field, text that is not JSON): the mapping or the schema is wrong, not the call.
        const message = `column "${this.#byField.get(field)!.column}" holds a value field "${field}" cannot take`;
        throw new ValidationError(
          `${this.#entityName}: ${message}`,
          [{ path: field, message, code: 'invalid_stored_value' }],
          {
            entity: this.#entityName,
            cause: error,
          },
        );
      }
      if (value === undefined) delete row[field];
      else row[field] = value;
    }
    return row as T;
  }

  /** Throws a `ValidationError` when a (partial) entity has a key that is not a field. */
  assertFields(values: Readonly<Record<string, unknown>>): void {
    for (const key in values) if (!this.#byField.has(key)) this.get(key);
  }

  /**
   * The defined fields of a (partial) entity as `[column, parameter]` pairs, in schema
   * order. `undefined` fields are left out; unknown keys are a `ValidationError`.
   */
  toColumnValues(values: Readonly<Record<string, unknown>>): [string, unknown][] {
    this.assertFields(values);
    const pairs: [string, unknown][] = [];
    for (const mapped of this.columns) {
      const value = values[mapped.field];
      if (value !== undefined) pairs.push([mapped.column, mapped.codec.encode(value)]);
    }
    return pairs;
  }
}
