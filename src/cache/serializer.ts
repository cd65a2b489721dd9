/**
 * Turns cached values into strings for L2 and back, keeping the types JSON loses:
 * `Date`, `BigInt`, `Buffer` / `Uint8Array`, `Map`, `Set`, `undefined`, `NaN`, `±Infinity`
 * and `-0`, at any depth.
 *
 * The first character says how to read the rest: `0` is plain JSON (nothing special was
 * found while encoding, so decoding is a bare `JSON.parse`), `1` is JSON whose special
 * values are tagged objects `{"$r": kind, "v": payload}`. A user object that happens to
 * own a `$r` key is wrapped the same way, so no stored data can pose as a tag.
 *
 * @module
 */

import { freezeParsedJson } from './immutable.js';

/**
 * Converts values to strings and back for the L2 tier.
 *
 * @example
 * ```ts
 * const msgpack: Serializer = { serialize: (v) => pack(v).toString('base64'), deserialize: (t) => unpack(Buffer.from(t, 'base64')) };
 * new CacheManager({ serializer: msgpack });
 * ```
 */
export interface Serializer {
  /** Turns a value into the text stored in L2. */
  serialize(value: unknown): string;
  /** Turns stored text back into the value. */
  deserialize(text: string): unknown;
}

const TAG = '$r';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class Encoder {
  tagged = false;

  encode(value: unknown): Json {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Number.isFinite(value) && !Object.is(value, -0)) return value;
        return this.#tag('n', Number.isNaN(value) ? 'NaN' : Object.is(value, -0) ? '-0' : String(value));
      case 'bigint':
        return this.#tag('b', value.toString());
      case 'undefined':
        return this.#tag('u', 0);
      case 'object':
        return value === null ? null : this.#object(value);
      default:
        throw new TypeError(`Cannot cache a value of type ${typeof value}`);
    }
  }

  #tag(kind: string, payload: Json): Json {
    this.tagged = true;
    return { [TAG]: kind, v: payload };
  }

  #object(value: object): Json {
    if (Array.isArray(value)) return value.map((item) => this.encode(item));
    if (value instanceof Date) return this.#tag('d', value.getTime());
    if (value instanceof Uint8Array) {
      const kind = Buffer.isBuffer(value) ? 'B' : 'U';
      return this.#tag(
        kind,
        Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
      );
    }
    if (value instanceof Map) {
      return this.#tag(
        'm',
        [...value].map(([k, v]) => [this.encode(k), this.encode(v)]),
      );
    }
    if (value instanceof Set)
      return this.#tag(
        's',
        [...value].map((item) => this.encode(item)),
      );
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value)) {
      define(out, key, this.encode((value as Record<string, unknown>)[key]));
    }
    return Object.hasOwn(value, TAG) ? this.#tag('o', out) : out;
  }
}

function decode(value: Json): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(decode);
  const kind = value[TAG];
  if (typeof kind === 'string') return decodeTag(kind, value.v as Json);
  return decodeObject(value);
}

function decodeObject(value: { [key: string]: Json }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) define(out, key, decode(value[key] as Json));
  return out;
}

function decodeTag(kind: string, payload: Json): unknown {
  switch (kind) {
    case 'n':
      return payload === '-0' ? -0 : Number(payload);
    case 'b':
      return BigInt(payload as string);
    case 'u':
      return undefined;
    case 'd':
      return new Date(payload === null ? Number.NaN : (payload as number));
    case 'B':
      return Buffer.from(payload as string, 'base64');
    case 'U':
      return new Uint8Array(Buffer.from(payload as string, 'base64'));
    case 'm':
      return new Map((payload as [Json, Json][]).map(([k, v]) => [decode(k), decode(v)]));
    case 's':
      return new Set((payload as Json[]).map(decode));
    case 'o':
      return decodeObject(payload as { [key: string]: Json });
    default:
      throw new TypeError(`Unknown serializer tag "${kind}"`);
  }
}

/** Assigns without ever invoking the `__proto__` setter. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * The default serializer: JSON that keeps Date, BigInt, Buffer, Map, Set and the number
 * edge cases (see the module notes for the format).
 *
 * @example
 * ```ts
 * const text = richJsonSerializer.serialize({ at: new Date(0), n: 10n, raw: Buffer.from('hi') });
 * richJsonSerializer.deserialize(text); // { at: Date(0), n: 10n, raw: <Buffer 68 69> }
 * ```
 */
export const richJsonSerializer: Serializer = {
  serialize(value: unknown): string {
    const encoder = new Encoder();
    const encoded = encoder.encode(value);
    return encoder.tagged ? `1${JSON.stringify(encoded)}` : `0${JSON.stringify(encoded)}`;
  },
  deserialize(text: string): unknown {
    const mode = text.charCodeAt(0);
    if (mode === 48 /* '0' */) return JSON.parse(text.slice(1));
    if (mode === 49 /* '1' */) return decode(JSON.parse(text.slice(1)) as Json);
    throw new TypeError('Not a reposit cache payload (unknown serializer mode)');
  },
};

/**
 * {@link richJsonSerializer}'s `deserialize`, with plain-JSON payloads deep-frozen as they
 * are parsed (L1 in freeze mode would freeze them next, at greater cost); tagged payloads
 * come back unfrozen.
 *
 * @example
 * ```ts
 * Object.isFrozen(deserializeFrozen(richJsonSerializer.serialize({ a: [1] }))); // true
 * ```
 */
export function deserializeFrozen(text: string): unknown {
  if (text.charCodeAt(0) === 48 /* '0' */) return freezeParsedJson(JSON.parse(text.slice(1)));
  return richJsonSerializer.deserialize(text);
}
