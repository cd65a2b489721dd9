import type { Condition } from '../../repository/query.js';

/**
 * Converts between a legacy record and the new entity. `toEntity` may throw (or return
 * something the schema rejects): the record then goes to the dead-letter store and is
 * never written to the new side. `toLegacy` is the way back, for writes the legacy side
 * must still receive.
 *
 * @typeParam L - the legacy record
 * @typeParam T - the new entity
 * @typeParam ID - the new entity's id
 * @typeParam LID - the legacy record's id
 *
 * @example
 * ```ts
 * const mapper: LegacyMapper<LegacyCustomer, Customer, string, string> = {
 *   legacyIdField: 'CUST_NO',
 *   toEntity: (r) => ({ id: r.CUST_NO, email: r.EMAIL_ADDR.toLowerCase(), active: r.ACTIVE_FLG === 'Y', ... }),
 *   toLegacy: (c) => ({ CUST_NO: c.id, EMAIL_ADDR: c.email, ACTIVE_FLG: c.active ? 'Y' : 'N', ... }),
 *   toLegacyId: (id) => id,
 *   toEntityId: (id) => id,
 * };
 * ```
 */
export interface LegacyMapper<L extends object, T extends object, ID, LID> {
  /** The id field of the legacy record (backfill walks the legacy side in its order). */
  readonly legacyIdField: keyof L & string;
  /** Legacy record → new entity (validated by the entity's schema afterwards). */
  toEntity(record: L): T;
  /** New entity → legacy record (written as a whole). */
  toLegacy(entity: T): L;
  /** New id → legacy id. */
  toLegacyId(id: ID): LID;
  /** Legacy id → new id. */
  toEntityId(id: LID): ID;
  /**
   * Translates a filter over entity fields into one over legacy fields that matches the
   * same records or more (the adapter filters the converted entities again), so the
   * legacy store can narrow a query instead of being scanned whole. Return undefined when
   * it cannot be translated. {@link renameFields} builds one for fields stored alike.
   * @default undefined (queries scan the legacy side)
   */
  toLegacyCondition?(condition: Condition): Condition | undefined;
}

/**
 * A `toLegacyCondition` for fields whose values are stored the same way on both sides,
 * only under another name. Conditions on other fields are dropped from an `and` (which
 * only widens it) and make an `or` untranslatable.
 *
 * @example
 * ```ts
 * const mapper = { ...customerMapper, toLegacyCondition: renameFields({ id: 'CUST_NO', city: 'CITY' }) };
 * // { id: { in: ['C1', 'C2'] } } is sent to the legacy store as CUST_NO = any(...)
 * ```
 */
export function renameFields(
  names: Readonly<Record<string, string>>,
): (condition: Condition) => Condition | undefined {
  const translate = (condition: Condition): Condition | undefined => {
    if (condition.kind === 'field') {
      const legacyField = names[condition.field];
      return legacyField === undefined ? undefined : { ...condition, field: legacyField };
    }
    const children = condition.conditions.map(translate);
    if (condition.kind === 'or') {
      if (children.some((child) => child === undefined)) return undefined;
      return { kind: 'or', conditions: children as Condition[] };
    }
    const kept = children.filter((child): child is Condition => child !== undefined);
    return kept.length === 0 ? undefined : { kind: 'and', conditions: kept };
  };
  return translate;
}
