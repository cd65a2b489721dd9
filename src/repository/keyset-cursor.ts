import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors.js';
import type { Condition, NormalizedSort } from './query.js';
import type { QueryNormalizer } from './query-normalizer.js';

interface CursorPayload {
  /** Sort keys as [field, direction] pairs. */
  readonly o: [string, 'a' | 'd'][];
  /** The last row's values of those keys, encoded. */
  readonly k: unknown[];
}

/**
 * Keyset pagination cursors: opaque tokens holding the sort order and the last row's
 * sort values. A token is fully validated before use (order must match the query,
 * values must fit the fields' types) and, with a secret, HMAC-signed so a tampered token
 * is rejected rather than turned into a different query.
 */
export class KeysetCursor {
  readonly #entityName: string;
  readonly #normalizer: QueryNormalizer;
  readonly #secret: string | undefined;

  constructor(entityName: string, normalizer: QueryNormalizer, secret?: string) {
    this.#entityName = entityName;
    this.#normalizer = normalizer;
    this.#secret = secret;
  }

  /** The cursor pointing after `row` in `orderBy`. */
  encode(orderBy: readonly NormalizedSort[], row: Record<string, unknown>): string {
    const payload: CursorPayload = {
      o: orderBy.map((key) => [key.field, key.direction === 'asc' ? 'a' : 'd']),
      k: orderBy.map((key) => encodeValue(row[key.field])),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return this.#secret ? `${body}.${this.#sign(body)}` : body;
  }

  /** The condition selecting rows after the cursor, in `orderBy`. */
  after(cursor: unknown, orderBy: readonly NormalizedSort[]): Condition {
    return KeysetCursor.conditionAfter(orderBy, this.#decode(cursor, orderBy));
  }

  /**
   * The condition selecting rows after the position given by `values` (one per sort
   * key): `(a > x) OR (a = x AND b > y) OR …`, with `<` for descending keys.
   */
  static conditionAfter(orderBy: readonly NormalizedSort[], values: readonly unknown[]): Condition {
    const branches: Condition[] = orderBy.map((key, index) => ({
      kind: 'and',
      conditions: [
        ...orderBy.slice(0, index).map(
          (prior, priorIndex): Condition => ({
            kind: 'field',
            field: prior.field,
            op: 'eq',
            value: values[priorIndex],
          }),
        ),
        { kind: 'field', field: key.field, op: key.direction === 'asc' ? 'gt' : 'lt', value: values[index] },
      ],
    }));
    return { kind: 'or', conditions: branches };
  }

  #decode(cursor: unknown, orderBy: readonly NormalizedSort[]): unknown[] {
    const invalid = (why: string) =>
      new ValidationError(
        `Invalid ${this.#entityName} cursor: ${why}`,
        [{ path: 'cursor', message: why, code: 'invalid_cursor' }],
        {
          entity: this.#entityName,
        },
      );
    if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096)
      throw invalid('expected a cursor string returned as nextCursor');
    let body = cursor;
    if (this.#secret) {
      const dot = cursor.lastIndexOf('.');
      const signature = dot < 0 ? '' : cursor.slice(dot + 1);
      body = dot < 0 ? cursor : cursor.slice(0, dot);
      const expected = Buffer.from(this.#sign(body));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw invalid('the signature does not match (tampered or from another deployment)');
    }
    let payload: CursorPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorPayload;
    } catch {
      throw invalid('not a cursor produced by this repository');
    }
    if (
      !payload ||
      !Array.isArray(payload.o) ||
      !Array.isArray(payload.k) ||
      payload.o.length !== orderBy.length ||
      payload.k.length !== orderBy.length
    ) {
      throw invalid('it was made for a different sort order');
    }
    return orderBy.map((key, index) => {
      // An unsigned token is attacker-controlled JSON: an entry may be anything, not a pair.
      const entry: unknown = payload.o[index];
      const [field, direction] = Array.isArray(entry) ? entry : [];
      if (field !== key.field || direction !== (key.direction === 'asc' ? 'a' : 'd'))
        throw invalid('it was made for a different sort order');
      const value = decodeValue(payload.k[index]);
      const problem = this.#normalizer.checkValue(key.field, value);
      if (problem) throw invalid(`value of "${key.field}": ${problem}`);
      return value;
    });
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#secret!).update(body).digest('base64url').slice(0, 32);
  }
}

function encodeValue(value: unknown): unknown {
  if (value instanceof Date) return { d: value.toISOString() };
  if (typeof value === 'bigint') return { b: value.toString() };
  return value;
}

function decodeValue(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (typeof record.d === 'string' && Object.keys(record).length === 1) return new Date(record.d);
    if (typeof record.b === 'string' && Object.keys(record).length === 1 && /^-?\d{1,40}$/.test(record.b))
      return BigInt(record.b);
    return undefined;
  }
  return value;
}
