import type { Serializer } from '../serializer.js';
import type { WriteBehindOp } from './write-behind.js';

/**
 * The value of a field of a stream entry, whose fields alternate name and value.
 *
 * @example
 * ```ts
 * fieldOf(['op', '{"op":"delete","id":1}'], 'op'); // '{"op":"delete","id":1}'
 * ```
 */
export function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * The write-behind operation in an entry's (verified) text, or what is wrong with it: the
 * stream is plain Redis, and anyone who can write to it can add anything.
 *
 * @example
 * ```ts
 * decodeOp(richJsonSerializer, '{"op":"delete","id":1}'); // { op: 'delete', id: 1 }
 * decodeOp(richJsonSerializer, '{"op":"drop"}'); // 'op must be "upsert" or "delete"'
 * ```
 */
export function decodeOp<T, ID>(serializer: Serializer, text: string): WriteBehindOp<T, ID> | string {
  let value: Partial<WriteBehindOp<T, ID>> | null;
  try {
    value = serializer.deserialize(text) as Partial<WriteBehindOp<T, ID>> | null;
  } catch (error) {
    return `the serializer cannot read it (${error instanceof Error ? error.message : 'not a value'})`;
  }
  if (typeof value !== 'object' || value === null) return 'not an object';
  if (value.op !== 'upsert' && value.op !== 'delete') return 'op must be "upsert" or "delete"';
  if (value.id === undefined) return 'no id';
  if (value.op === 'upsert' && !('value' in value)) return 'an upsert without a value';
  return value as WriteBehindOp<T, ID>;
}
